package jp.tsunagu.ops.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import jp.tsunagu.ops.support.IntegrationTestSupport;

/**
 * The outbound half of the bridge through the whole server: people post, reply, edit, stamp, mention, attach and
 * delete over the REST API in a linked room; the changes reach the MCS simulator in order, each message shows
 * its send status (live, as {@code message.delivery} events), replies there land under the local original, and
 * dead letters are listed and replayed through the admin API. The schedule is off: links are drained through the
 * admin API so each step is deterministic.
 */
class BridgeOutboundIntegrationTests extends IntegrationTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String INSTANCE = "mcs-out-it";
    private static final McsSimulator SNS = new McsSimulator().start(0);

    static {
        SNS.rateLimit(0);
        SNS.addStation("st-vns", "ひかり訪問看護ステーション");
        SNS.addUser("ns-sato", "佐藤", "由美", "st-vns", "看護師");
        SNS.addClient("tsunagu-out-it", "s3cret");
    }

    @DynamicPropertySource
    static void bridge(DynamicPropertyRegistry registry) {
        registry.add("tsunagu.bridge.poller-enabled", () -> "false");
        registry.add("tsunagu.bridge.outbound.enabled", () -> "false");
        registry.add("tsunagu.bridge.mcs.instances[0].id", () -> INSTANCE);
        registry.add("tsunagu.bridge.mcs.instances[0].base-url", SNS::baseUrl);
        registry.add("tsunagu.bridge.mcs.instances[0].token-url", SNS::tokenUrl);
        registry.add("tsunagu.bridge.mcs.instances[0].client-id", () -> "tsunagu-out-it");
        registry.add("tsunagu.bridge.mcs.instances[0].client-secret", () -> "s3cret");
    }

    @AfterAll
    static void stopSimulator() {
        SNS.close();
    }

    @AfterEach
    void clearFaults() {
        SNS.clearFaults();
    }

    private final CareUser admin = person(unique("it"), Profession.CARE_MANAGER, null, CareUser.SYSTEM_ADMIN);

    private record Linked(Team team, String pid, String linkId) {
    }

    private Linked linked() {
        Team team = team();
        String pid = SNS.createProject("patient", "山田 花子 様");
        SNS.addMember(pid, "tsunagu-out-it");
        SNS.addMember(pid, "ns-sato");
        Map<?, ?> link = as(admin).post().uri("/api/v1/admin/bridge/links").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("roomId", team.roomId(), "instanceId", INSTANCE, "externalRoomId", pid, "backfill", 0))
                .exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        return new Linked(team, pid, (String) link.get("id"));
    }

    private Map<?, ?> drain(Linked l) {
        return as(admin).post().uri("/api/v1/admin/bridge/links/{id}/drain", l.linkId()).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    }

    private Map<?, ?> send(CareUser user, String roomId, Map<String, Object> body) {
        return as(user).post().uri("/api/v1/rooms/{r}/messages", roomId).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> message(CareUser user, String roomId, String id) {
        Map<?, ?> page = as(user).get().uri("/api/v1/rooms/{r}/messages?limit=100", roomId).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        return ((List<Map<String, Object>>) page.get("items")).stream().filter(m -> m.get("id").equals(id)).findFirst()
                .orElseThrow();
    }

    @SuppressWarnings("unchecked")
    private static String status(Map<?, ?> message) {
        List<Map<String, Object>> delivery = (List<Map<String, Object>>) message.get("delivery");
        assertThat(delivery).hasSize(1);
        assertThat(delivery.get(0).get("connector")).isEqualTo(INSTANCE);
        return (String) delivery.get(0).get("state");
    }

    @Test
    void whatPeoplePostHereReachesTheSnsInOrderWithItsStatusShownLive() {
        Linked l = linked();
        Team t = l.team();
        Map<?, ?> first = send(t.nurse(), t.roomId(), Map.of("text", "訪問しました。血圧 128/76、SpO2 97%。"));
        assertThat(status(first)).isEqualTo("pending");
        long after = ((Number) first.get("seq")).longValue();
        Map<?, ?> reply = send(t.careManager(), t.roomId(), Map.of("text", "ありがとうございます。", "parentId", first.get("id")));

        // A member's open stream sees the status change.
        var events = WebClient.create("http://localhost:" + port).get()
                .uri("/api/v1/rooms/{r}/events?after={a}", t.roomId(), after)
                .header("Authorization", "Bearer " + token(t.doctor())).accept(MediaType.TEXT_EVENT_STREAM)
                .retrieve().bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() { })
                .filter(e -> "message.delivery".equals(e.event()) || (e.data() != null && e.data().contains("\"message.delivery\"")))
                .take(2).collectList().toFuture();

        Map<?, ?> drained = drain(l);
        assertThat(drained.get("delivered")).isEqualTo(2);
        List<String> seen = events.orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).join().stream()
                .map(ServerSentEvent::data).toList();
        assertThat(seen).allMatch(d -> d.contains("\"delivered\""));

        List<McsSimulator.Message> there = SNS.messages(l.pid());
        assertThat(there).hasSize(2);
        assertThat(there.get(0).body()).contains("看護師").contains("訪問しました。");
        assertThat(there.get(1).parentId()).isEqualTo(there.get(0).id());
        assertThat(status(message(t.doctor(), t.roomId(), (String) first.get("id")))).isEqualTo("delivered");

        // Edit, stamp, delete: each goes out once.
        as(t.nurse()).patch().uri("/api/v1/rooms/{r}/messages/{m}", t.roomId(), first.get("id"))
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("text", "訪問しました。血圧 130/78（訂正）。"))
                .exchange().expectStatus().isOk();
        as(t.doctor()).put().uri("/api/v1/rooms/{r}/messages/{m}/stamps/{s}", t.roomId(), first.get("id"), "viewed")
                .exchange().expectStatus().is2xxSuccessful();
        as(t.careManager()).delete().uri("/api/v1/rooms/{r}/messages/{m}", t.roomId(), reply.get("id"))
                .exchange().expectStatus().is2xxSuccessful();
        assertThat(status(message(t.doctor(), t.roomId(), (String) first.get("id")))).isEqualTo("pending");
        drain(l);
        assertThat(SNS.message(there.get(0).id()).body()).contains("130/78（訂正）");
        assertThat(SNS.message(there.get(0).id()).reactionCount("viewed")).isEqualTo(1);
        assertThat(SNS.message(there.get(1).id()).deleted()).isTrue();
        assertThat(SNS.messages(l.pid())).hasSize(2);
        assertThat(status(message(t.doctor(), t.roomId(), (String) first.get("id")))).isEqualTo("delivered");

        // A reply there to the bridged message comes back under the local original, and nothing is echoed.
        SNS.replyAs("ns-sato", l.pid(), there.get(0).id(), "承知しました。");
        SNS.postAs("ns-sato", l.pid(), "次回は金曜です。");
        as(admin).get().uri("/api/v1/admin/bridge/links").exchange().expectStatus().isOk();
        pollInbound();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> items = (List<Map<String, Object>>) as(t.doctor()).get()
                .uri("/api/v1/rooms/{r}/messages?limit=100", t.roomId()).exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody().get("items");
        assertThat(items).hasSize(4);
        assertThat(items).filteredOn(m -> "承知しました。".equals(m.get("text"))).singleElement()
                .satisfies(m -> assertThat(m.get("parentId")).isEqualTo(first.get("id")));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRequestReachesTheSnsAsTextItsAcceptanceAsAStampAndStampsFromThereMoveNothing() {
        Linked l = linked();
        Team t = l.team();
        Map<?, ?> asked = send(t.careManager(), t.roomId(), Map.of("text", "週末の様子を報告してください",
                "request", Map.of("kind", "report", "assignees", Map.of("users", List.of(t.nurse().id())),
                        "dueAt", "2099-12-05T17:00+09:00")));
        drain(l);
        List<McsSimulator.Message> there = SNS.messages(l.pid());
        assertThat(there).hasSize(1);
        assertThat(there.get(0).body()).contains("週末の様子を報告してください")
                .contains("【依頼：報告依頼／期限 12月5日(土) 17:00／担当 " + t.nurse().displayName() + "】");

        // Someone there gives 承知: a stamp only (the SNS cannot tell who, so it cannot be an assignee's move).
        SNS.reactAs("ns-sato", there.get(0).id(), "accepted", true);
        pollInbound();
        Map<String, Object> afterTheirStamp = message(t.doctor(), t.roomId(), (String) asked.get("id"));
        assertThat(((Map<String, Object>) afterTheirStamp.get("request")).get("state")).isEqualTo("open");

        as(t.nurse()).put().uri("/api/v1/rooms/{r}/messages/{m}/stamps/{s}", t.roomId(), asked.get("id"), "accepted")
                .exchange().expectStatus().isOk();
        drain(l);
        assertThat(SNS.messages(l.pid())).as("a move is no new post").hasSize(1);
        assertThat(SNS.message(there.get(0).id()).body()).as("nor an edit").isEqualTo(there.get(0).body());
        assertThat(SNS.message(there.get(0).id()).reactionCount("accepted")).isEqualTo(2);
        Map<String, Object> accepted = message(t.doctor(), t.roomId(), (String) asked.get("id"));
        assertThat(((Map<String, Object>) accepted.get("request")).get("state")).isEqualTo("accepted");
    }

    @Autowired
    jp.tsunagu.bridge.inbound.InboundPoller poller;

    private void pollInbound() {
        assertThat(poller.pollOnce().block(WAIT)).isNotNull();
    }

    @Test
    void mentionsOfPeopleThereAndAttachmentsAreRelayed() {
        Linked l = linked();
        Team t = l.team();
        // The external nurse becomes known here by writing there first.
        SNS.postAs("ns-sato", l.pid(), "よろしくお願いします。");
        pollInbound();
        MultipartBodyBuilder form = new MultipartBodyBuilder();
        form.part("file", new ByteArrayResource("血圧記録\n128/76\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            @Override
            public String getFilename() {
                return "bp.txt";
            }
        }).contentType(MediaType.TEXT_PLAIN);
        String attachmentId = (String) as(t.nurse()).post().uri("/api/v1/rooms/{r}/attachments", t.roomId())
                .contentType(MediaType.MULTIPART_FORM_DATA).body(BodyInserters.fromMultipartData(form.build())).exchange()
                .expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody().get("id");
        send(t.nurse(), t.roomId(), Map.of("text", "佐藤さん、記録を添付します。", "attachmentIds", List.of(attachmentId),
                "mentions", Map.of("users", List.of("ext:" + INSTANCE + ":ns-sato"))));
        drain(l);
        McsSimulator.Message there = SNS.messages(l.pid()).get(1);
        assertThat(there.mentions()).contains(new McsSimulator.Mention("user", "ns-sato"));
        assertThat(there.attachments()).singleElement().satisfies(a -> assertThat(a.name()).isEqualTo("bp.txt"));
        assertThat(new String(SNS.attachmentBytes(there.attachments().get(0).id()), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("血圧記録\n128/76\n");
    }

    @Test
    void refusedChangesAreDeadLetteredListedAndReplayedByAdministratorsOnly() {
        Linked l = linked();
        Team t = l.team();
        Map<?, ?> m = send(t.nurse(), t.roomId(), Map.of("text", "送れないメモ"));
        SNS.failNext(1, 403);
        Map<?, ?> drained = drain(l);
        assertThat(drained.get("deadLettered")).isEqualTo(1);
        Map<String, Object> shown = message(t.doctor(), t.roomId(), (String) m.get("id"));
        assertThat(status(shown)).isEqualTo("failed");

        Map<?, ?> list = as(admin).get().uri("/api/v1/admin/bridge/dead-letters?linkId={l}", l.linkId()).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> items = (List<Map<String, Object>>) list.get("items");
        assertThat(items).singleElement().satisfies(d -> {
            assertThat(d.get("messageId")).isEqualTo(m.get("id"));
            assertThat((String) d.get("reason")).startsWith("rejected (403)");
        });
        String id = (String) items.get(0).get("id");

        as(t.careManager()).get().uri("/api/v1/admin/bridge/dead-letters").exchange().expectStatus().isForbidden()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        as(t.careManager()).post().uri("/api/v1/admin/bridge/dead-letters/{id}/replay", id).exchange()
                .expectStatus().isForbidden();
        as(t.careManager()).post().uri("/api/v1/admin/bridge/links/{id}/drain", l.linkId()).exchange()
                .expectStatus().isForbidden();
        http.get().uri("/api/v1/admin/bridge/dead-letters").exchange().expectStatus().isUnauthorized();
        as(admin).get().uri("/api/v1/admin/bridge/dead-letters?limit=0").exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.errors[0].field").isEqualTo("limit");
        as(admin).post().uri("/api/v1/admin/bridge/dead-letters/{id}/replay", "0123456789abcdef01234567").exchange()
                .expectStatus().isNotFound();
        as(admin).post().uri("/api/v1/admin/bridge/links/{id}/drain", "0123456789abcdef01234567").exchange()
                .expectStatus().isNotFound();

        as(admin).post().uri("/api/v1/admin/bridge/dead-letters/{id}/replay", id).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.replayedAt").isNotEmpty();
        as(admin).post().uri("/api/v1/admin/bridge/dead-letters/{id}/replay", id).exchange().expectStatus().isEqualTo(409);
        assertThat(status(message(t.doctor(), t.roomId(), (String) m.get("id")))).isEqualTo("pending");
        drain(l);
        assertThat(status(message(t.doctor(), t.roomId(), (String) m.get("id")))).isEqualTo("delivered");
        assertThat(SNS.messages(l.pid())).hasSize(1);
    }

    @Test
    void unlinkedRoomsPostNothing() {
        Linked l = linked();
        as(admin).delete().uri("/api/v1/admin/bridge/links/{id}", l.linkId()).exchange().expectStatus().isOk();
        Map<?, ?> m = send(l.team().nurse(), l.team().roomId(), Map.of("text", "リンク解除後"));
        assertThat((List<?>) m.get("delivery")).isEmpty();
        List<McsSimulator.Message> before = new ArrayList<>(SNS.messages(l.pid()));
        as(admin).post().uri("/api/v1/admin/bridge/links/{id}/drain", l.linkId()).exchange().expectStatus().isOk();
        assertThat(SNS.messages(l.pid())).hasSameSizeAs(before);
    }
}
