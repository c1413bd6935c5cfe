package jp.tsunagu.ops.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.micrometer.core.instrument.MeterRegistry;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.connectors.webhook.WebhookKeys;
import jp.tsunagu.connectors.webhook.WebhookSecret;
import jp.tsunagu.connectors.webhook.WebhookSigner;
import jp.tsunagu.ops.support.IntegrationTestSupport;

/**
 * The signed-webhook endpoint of the whole server: one webhook connector instance configured with two secrets (a
 * rotation under way); authentic events reach the linked room at once, forged, expired and replayed ones get 401
 * problem+json and a WARN line naming the instance and the reason.
 */
@ExtendWith(OutputCaptureExtension.class)
class BridgeWebhookIntegrationTests extends IntegrationTestSupport {

    private static final String INSTANCE = "care-sns-it";
    private static final WebhookSecret CURRENT = WebhookSecret.ofKey(key(1));
    private static final WebhookSecret PREVIOUS = WebhookSecret.ofKey(key(2));
    private static final WebhookSecret STRANGER = WebhookSecret.ofKey(key(3));

    @DynamicPropertySource
    static void bridge(DynamicPropertyRegistry registry) {
        registry.add("tsunagu.bridge.poller-enabled", () -> "false");
        registry.add("tsunagu.bridge.webhook.instances[0].id", () -> INSTANCE);
        registry.add("tsunagu.bridge.webhook.instances[0].url", () -> "http://127.0.0.1:9/hooks");
        registry.add("tsunagu.bridge.webhook.instances[0].secrets[0]", CURRENT::serialize);
        registry.add("tsunagu.bridge.webhook.instances[0].secrets[1]", PREVIOUS::serialize);
        registry.add("tsunagu.bridge.webhook.instances[0].send-secret", () -> WebhookSecret.ofKey(key(4)).serialize());
    }

    @Autowired
    MeterRegistry meters;

    private final CareUser admin = person(unique("it"), Profession.CARE_MANAGER, null, CareUser.SYSTEM_ADMIN);

    private static byte[] key(int seed) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) seed);
        return k;
    }

    private String linkedRoom(Team team) {
        String externalRoom = unique("p");
        as(admin).post().uri("/api/v1/admin/bridge/links").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("roomId", team.roomId(), "instanceId", INSTANCE, "externalRoomId", externalRoom))
                .exchange().expectStatus().isCreated();
        return externalRoom;
    }

    private static byte[] created(String externalRoom, String messageId, String html, String reactions) {
        return ("{\"type\":\"message.created\",\"room_id\":\"" + externalRoom + "\",\"message\":{\"id\":\"" + messageId
                + "\",\"author\":{\"id\":\"u-3\",\"display_name\":\"佐藤 由美\",\"professions\":[\"看護師\"],"
                + "\"station\":{\"id\":\"st-9\",\"name\":\"利根訪問看護ステーション\"}},\"html\":\"" + html
                + "\",\"created_at\":\"2026-11-24T09:29:58+09:00\",\"reactions\":" + reactions
                + ",\"mentions\":{\"user_ids\":[],\"station_ids\":[],\"all\":true}}}").getBytes(StandardCharsets.UTF_8);
    }

    private WebTestClient.ResponseSpec push(String instance, WebhookSecret secret, String webhookId, Instant at,
                                            byte[] body) {
        Map<String, String> headers = new WebhookSigner(WebhookKeys.of(secret)).headers(webhookId, at, body);
        return http.post().uri("/api/v1/bridge/webhooks/{i}", instance).contentType(MediaType.APPLICATION_JSON)
                .headers(h -> headers.forEach(h::set)).bodyValue(body).exchange();
    }

    private static String id() {
        return "msg_" + UUID.randomUUID();
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> timeline(CareUser member, String roomId) {
        Map<?, ?> page = as(member).get().uri("/api/v1/rooms/{r}/messages?limit=100", roomId).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        return (List<Map<String, Object>>) page.get("items");
    }

    private double applied(String outcome) {
        var counter = meters.find("tsunagu.bridge.inbound.messages").tag("instance", INSTANCE).tag("outcome", outcome)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    @SuppressWarnings("unchecked")
    void anAuthenticEventIsAppliedToTheLinkedRoomAtOnce() {
        Team team = team();
        String externalRoom = linkedRoom(team);
        double before = applied("created");

        push(INSTANCE, CURRENT, id(), Instant.now(), created(externalRoom, "m-1", "血圧 132/84<br>夕方に再訪します",
                "[{\"stamp\":\"viewed\",\"count\":2,\"self\":false},{\"stamp\":\"accepted\",\"count\":1,\"self\":true}]"))
                .expectStatus().isNoContent();
        // Signed with the secret being rotated out: still accepted.
        push(INSTANCE, PREVIOUS, id(), Instant.now(), created(externalRoom, "m-2", "了解です", "[]"))
                .expectStatus().isNoContent();

        List<Map<String, Object>> items = timeline(team.nurse(), team.roomId());
        assertThat(items).hasSize(2);
        Map<String, Object> first = items.get(1);
        assertThat(first.get("text")).isEqualTo("血圧 132/84\n夕方に再訪します");
        assertThat(((Map<String, Object>) first.get("author")).get("userId")).isEqualTo("ext:" + INSTANCE + ":u-3");
        assertThat((List<Map<String, Object>>) first.get("stamps")).singleElement().satisfies(s -> {
            assertThat(s.get("stamp")).isEqualTo("viewed");
            assertThat(s.get("count")).isEqualTo(2);
            assertThat(s.get("external")).isEqualTo(2);
            assertThat(s.get("userIds")).isEqualTo(List.of());
        });
        assertThat(((Map<String, Object>) first.get("mentions")).get("room")).isEqualTo(true);
        assertThat(applied("created") - before).isEqualTo(2);

        // The mention of everyone reached the room's members: it is in their "mentioned me" list.
        Map<?, ?> mentions = as(team.doctor()).get().uri("/api/v1/mentions").exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        assertThat((List<Map<String, Object>>) mentions.get("items")).extracting(m -> m.get("id"))
                .contains(first.get("id"));
    }

    @Test
    void forgedExpiredAndReplayedWebhooksAreRefusedWith401AndLogged(CapturedOutput output) {
        Team team = team();
        String externalRoom = linkedRoom(team);
        byte[] body = created(externalRoom, "m-9", "偽物", "[]");

        push(INSTANCE, STRANGER, id(), Instant.now(), body)
                .expectStatus().isUnauthorized()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.type").isEqualTo("/problems/webhook-forged")
                .jsonPath("$.errors[0].field").isEqualTo("webhook-signature");
        push(INSTANCE, CURRENT, id(), Instant.now().minus(Duration.ofMinutes(6)), body)
                .expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.type").isEqualTo("/problems/webhook-expired");
        String once = id();
        Instant at = Instant.now();
        push(INSTANCE, CURRENT, once, at, body).expectStatus().isNoContent();
        push(INSTANCE, CURRENT, once, at, body)
                .expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.type").isEqualTo("/problems/webhook-replayed");

        assertThat(timeline(team.nurse(), team.roomId())).hasSize(1);
        assertThat(output.getOut() + output.getErr())
                .contains("webhook connector " + INSTANCE + ": refused a webhook (FORGED")
                .contains("webhook connector " + INSTANCE + ": refused a webhook (EXPIRED")
                .contains("webhook connector " + INSTANCE + ": refused a webhook (REPLAYED");
    }

    @Test
    void unknownInstancesAnswer404AndUnreadablePayloads202() {
        push("no-such-instance", CURRENT, id(), Instant.now(), "{}".getBytes(StandardCharsets.UTF_8))
                .expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        double before = applied("quarantined");
        push(INSTANCE, CURRENT, id(), Instant.now(), "not json".getBytes(StandardCharsets.UTF_8))
                .expectStatus().isAccepted();
        assertThat(applied("quarantined") - before).isEqualTo(1);
        assertThat(meters.find("tsunagu.bridge.connector.state").tag("instance", INSTANCE).tag("kind", "webhook")
                .gauges()).hasSize(4);
    }
}
