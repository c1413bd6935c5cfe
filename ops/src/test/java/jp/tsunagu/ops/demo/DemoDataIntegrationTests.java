package jp.tsunagu.ops.demo;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jp.tsunagu.ops.TsunaguApplication;
import jp.tsunagu.ops.support.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo as README starts it (the demo profile: issuer, seeded rooms, the SNS simulator and the FHIR server),
 * on free ports: the seeded consent story holds together through the real FHIR source, so a change to the
 * consent rules that breaks the demo data fails here rather than at someone's first start.
 */
class DemoDataIntegrationTests {

    private static ConfigurableApplicationContext app;
    private static WebTestClient http;

    @BeforeAll
    static void start() {
        app = new SpringApplicationBuilder(TsunaguApplication.class).profiles("demo").run(
                "--server.port=0", "--tsunagu.embedded-mongo.in-memory=true", "--spring.main.banner-mode=off",
                "--tsunagu.demo.fhir.port=" + Ports.free(), "--tsunagu.demo.simulator.port=" + Ports.free(),
                "--tsunagu.demo.simulator.post-every=1h");
        http = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + app.getEnvironment().getProperty("local.server.port"))
                .responseTimeout(Duration.ofSeconds(30)).build();
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    private static WebTestClient as(String userId) {
        Map<?, ?> token = http.post().uri("/demo/token").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("user", userId)).exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        return http.mutate().defaultHeader("Authorization", "Bearer " + token.get("access_token")).build();
    }

    private static Map<?, ?> get(String userId, String uri, Object... vars) {
        return as(userId).get().uri(uri, vars).exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
    }

    private static String roomOf(String userId, String residentId) {
        return ((List<?>) get(userId, "/api/v1/rooms").get("items")).stream()
                .map(i -> (Map<?, ?>) ((Map<?, ?>) i).get("room"))
                .filter(r -> r.get("resident") != null
                        && residentId.equals(((Map<?, ?>) r.get("resident")).get("externalResidentId")))
                .map(r -> (String) r.get("id")).findFirst().orElseThrow();
    }

    /** The excerpt cards among the room's newest messages. */
    private static List<Map<?, ?>> cards(String userId, String roomId) {
        return ((List<?>) get(userId, "/api/v1/rooms/{r}/messages?limit=10", roomId).get("items")).stream()
                .<Map<?, ?>>map(m -> (Map<?, ?>) m).filter(m -> m.get("excerpt") != null).toList();
    }

    private static String state(String userId, String roomId, Object messageId) {
        return (String) get(userId, "/api/v1/rooms/{r}/messages/{m}/excerpt", roomId, messageId).get("state");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theDemoHasOpenOverdueAndDoneRequestsAndAnAcknowledgedUrgentMessage() {
        Map<?, ?> inbox = get("ns-sato", "/api/v1/inbox");
        List<Map<String, Object>> asked = (List<Map<String, Object>>) inbox.get("requests");
        assertThat(asked).extracting(i -> ((Map<String, Object>) ((Map<String, Object>) i.get("message")).get("request")).get("state"))
                .containsExactly("open", "accepted", "open");
        assertThat(asked.get(0).get("overdue")).as("the overdue report first").isEqualTo(true);
        List<?> done = (List<?>) get("ph-takahashi", "/api/v1/requests?state=done").get("items");
        assertThat(done).hasSize(1);
        List<?> mine = (List<?>) ((Map<?, ?>) get("cm-suzuki", "/api/v1/inbox")).get("myRequests");
        assertThat(mine).as("her overdue request to the nurse").hasSize(1);

        String saito = roomOf("dr-kobayashi", "TONE-000245");
        Map<String, Object> urgent = ((List<Map<String, Object>>) get("dr-kobayashi", "/api/v1/rooms/{r}/messages?limit=50", saito)
                .get("items")).stream().filter(m -> "urgent".equals(m.get("priority")) && m.get("acknowledgement") != null)
                .findFirst().orElseThrow();
        Map<String, Object> ack = (Map<String, Object>) urgent.get("acknowledgement");
        assertThat(ack.get("pending")).isEqualTo(List.of());
        assertThat(ack.get("required")).isEqualTo(List.of("dr-kobayashi"));
        assertThat(ack.get("nextEscalationAt")).isNull();
    }

    @Test
    void theHbA1cCardShowsToTheGrantsAudienceFromTheDemoFhirServer() {
        String saito = roomOf("cm-watanabe", "TONE-000245");
        List<Map<?, ?>> cards = cards("cm-watanabe", saito);
        assertThat(cards).hasSize(2);
        Map<?, ?> labs = cards.stream().filter(c -> ((String) c.get("text")).contains("HbA1c")).findFirst().orElseThrow();
        Map<?, ?> shown = get("dr-kobayashi", "/api/v1/rooms/{r}/messages/{m}/excerpt", saito, labs.get("id"));
        assertThat(shown.get("state")).isEqualTo("shown");
        List<?> items = (List<?>) ((Map<?, ?>) ((List<?>) shown.get("sections")).get(0)).get("items");
        assertThat(items).hasSize(1);
        assertThat(((Map<?, ?>) items.get(0)).get("display")).isEqualTo("HbA1c");
        // The helper's profession is outside the audience 斎藤 様 approved.
        assertThat(state("hp-nakamura", saito, labs.get("id"))).isEqualTo("not-shared");
    }

    @Test
    void proxiesAndAWaitingRequestAreThereToDecide() {
        String kimura = roomOf("fam-mori-yoko", "TONE-000318");
        Map<?, ?> overview = get("fam-mori-yoko", "/api/v1/rooms/{r}/consent", kimura);
        assertThat((List<?>) overview.get("grants")).isEmpty();
        assertThat((List<?>) overview.get("pendingRequests")).hasSize(1);
        assertThat(((Map<?, ?>) ((List<?>) overview.get("proxies")).get(0)).get("relationship")).isEqualTo("長女");

        String yamada = roomOf("fam-yamada-ken", "TONE-000123");
        List<Map<?, ?>> cards = cards("fam-yamada-ken", yamada);
        assertThat(cards).hasSize(3);
        for (Map<?, ?> card : cards) {
            assertThat(state("fam-yamada-ken", yamada, card.get("id"))).as("the son is his mother's recorded proxy")
                    .isEqualTo("shown");
        }
    }
}
