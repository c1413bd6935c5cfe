package jp.tsunagu.ops.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.ops.TsunaguApplication;
import jp.tsunagu.ops.support.TestIssuerConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A nurse's phone posts, the server restarts before the phone sees the answer, the phone retries with the
 * same key: one message, the same id. Runs the embedded default with its data on disk, as in production
 * on one machine.
 */
class IdempotentRetryAcrossRestartIntegrationTests {

    @TempDir
    Path data;

    @Test
    void aRetryAfterRestartReturnsTheStoredMessage() {
        CareUser cm = new CareUser("cm-restart", "鈴木 和子", Profession.CARE_MANAGER, "fac-cm", "つばさ", Set.of());
        CareUser ns = new CareUser("ns-restart", "佐藤 由美", Profession.NURSE, "fac-vns", "ひかり", Set.of());
        String roomId;
        String messageId;
        try (ConfigurableApplicationContext first = start()) {
            WebTestClient http = client(first);
            signIn(http, ns);
            Map<?, ?> room = http.post().uri("/api/v1/rooms").header("Authorization", bearer(cm))
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("kind", "patient", "resident", Map.of("name", "山田 花子", "externalResidentId", "TONE-R1"),
                            "members", List.of(Map.of("userId", ns.id()))))
                    .exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
            roomId = (String) ((Map<?, ?>) room.get("room")).get("id");
            messageId = (String) postWithKey(http, ns, roomId).expectStatus().isCreated()
                    .expectBody(Map.class).returnResult().getResponseBody().get("id");
        }
        try (ConfigurableApplicationContext second = start()) {
            WebTestClient http = client(second);
            postWithKey(http, ns, roomId).expectStatus().isOk()
                    .expectHeader().valueEquals("Idempotency-Replayed", "true")
                    .expectBody().jsonPath("$.id").isEqualTo(messageId);
            Map<?, ?> page = http.get().uri("/api/v1/rooms/{r}/messages", roomId).header("Authorization", bearer(cm))
                    .exchange().expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
            assertThat((List<?>) page.get("items")).hasSize(1);
        }
    }

    private WebTestClient.ResponseSpec postWithKey(WebTestClient http, CareUser user, String roomId) {
        return http.post().uri("/api/v1/rooms/{r}/messages", roomId).header("Authorization", bearer(user))
                .header("Idempotency-Key", "3f1c-visit-0915").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "本日訪問。SpO2 97%")).exchange();
    }

    private static void signIn(WebTestClient http, CareUser user) {
        http.get().uri("/api/v1/rooms").header("Authorization", bearer(user)).exchange().expectStatus().isOk();
    }

    private static String bearer(CareUser user) {
        return "Bearer " + TestIssuerConfiguration.ISSUER.mint(user, Duration.ofMinutes(10));
    }

    private ConfigurableApplicationContext start() {
        // Arguments, not builder properties: those are defaults that application.yml would override.
        return new SpringApplicationBuilder(TsunaguApplication.class, TestIssuerConfiguration.class)
                .run("--server.port=0", "--tsunagu.embedded-mongo.data-dir=" + data, "--spring.main.banner-mode=off");
    }

    private static WebTestClient client(ConfigurableApplicationContext context) {
        String port = context.getEnvironment().getProperty("local.server.port");
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(30)).build();
    }
}
