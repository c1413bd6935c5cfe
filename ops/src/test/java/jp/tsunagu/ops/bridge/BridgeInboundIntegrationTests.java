package jp.tsunagu.ops.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.inbound.BridgeId;
import jp.tsunagu.bridge.inbound.BridgeIdStore;
import jp.tsunagu.bridge.inbound.InboundImporter;
import jp.tsunagu.bridge.inbound.InboundPoller;
import jp.tsunagu.bridge.inbound.QuarantineStore;
import jp.tsunagu.bridge.link.LinkStore;
import jp.tsunagu.bridge.link.LinkTurns;
import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import jp.tsunagu.ops.support.IntegrationTestSupport;

/**
 * The whole server with one MCS instance configured against a simulator started here: linking through the
 * admin API with backfill, then external posts, replies, edits and deletions shown in the room over REST.
 * The poller's schedule is off; rounds are run by hand so each step is deterministic.
 */
class BridgeInboundIntegrationTests extends IntegrationTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String INSTANCE = "mcs-it";
    private static final McsSimulator SNS = new McsSimulator().start(0);

    static {
        SNS.rateLimit(0);
        SNS.addStation("st-vns", "ひかり訪問看護ステーション");
        SNS.addUser("ns-sato", "佐藤", "由美", "st-vns", "看護師");
        SNS.addUser("ph-ito", "伊藤", "健", null, "薬剤師");
        SNS.addClient("tsunagu-it", "s3cret");
    }

    @DynamicPropertySource
    static void bridge(DynamicPropertyRegistry registry) {
        registry.add("tsunagu.bridge.poller-enabled", () -> "false");
        registry.add("tsunagu.bridge.mcs.instances[0].id", () -> INSTANCE);
        registry.add("tsunagu.bridge.mcs.instances[0].base-url", SNS::baseUrl);
        registry.add("tsunagu.bridge.mcs.instances[0].token-url", SNS::tokenUrl);
        registry.add("tsunagu.bridge.mcs.instances[0].client-id", () -> "tsunagu-it");
        registry.add("tsunagu.bridge.mcs.instances[0].client-secret", () -> "s3cret");
    }

    @AfterAll
    static void stopSimulator() {
        SNS.close();
    }

    @Autowired
    InboundPoller poller;
    @Autowired
    ConnectorRegistry registry;
    @Autowired
    LinkStore links;
    @Autowired
    InboundImporter importer;
    @Autowired
    QuarantineStore quarantine;
    @Autowired
    BridgeIdStore ids;

    private final CareUser admin = person(unique("it"), Profession.CARE_MANAGER, null, CareUser.SYSTEM_ADMIN);

    private String project() {
        String pid = SNS.createProject("patient", "山田 花子 様");
        SNS.addMember(pid, "tsunagu-it");
        SNS.addMember(pid, "ns-sato");
        SNS.addMember(pid, "ph-ito");
        return pid;
    }

    private Map<?, ?> link(String roomId, String pid, int backfill) {
        return as(admin).post().uri("/api/v1/admin/bridge/links").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("roomId", roomId, "instanceId", INSTANCE, "externalRoomId", pid, "backfill", backfill))
                .exchange().expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
    }

    /** The room's messages over REST as a member sees them, oldest first. */
    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> timeline(CareUser member, String roomId) {
        Map<?, ?> page = as(member).get().uri("/api/v1/rooms/{r}/messages?limit=100", roomId).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        List<Map<String, Object>> items = new java.util.ArrayList<>((List<Map<String, Object>>) page.get("items"));
        java.util.Collections.reverse(items);
        return items;
    }

    private void round() {
        assertThat(poller.pollOnce().block(WAIT)).isNotNull();
    }

    @Test
    @SuppressWarnings("unchecked")
    void externalMessagesReachTheRoomInOrderWithOriginAndAuthor() {
        Team team = team();
        String pid = project();
        String older = SNS.postAs("ns-sato", pid, "昨日の訪問: 血圧 132/80");
        Map<?, ?> created = link(team.roomId(), pid, 20);
        assertThat(created.get("backfilled")).isEqualTo(1);
        assertThat(created.get("cursor")).isNotNull();

        String post = SNS.postAs("ns-sato", pid, "本日の訪問: 発熱なし<img src=x onerror=alert(1)>");
        String reply = SNS.replyAs("ph-ito", pid, post, "お薬は変更なしです");
        SNS.editAs("ns-sato", older, "昨日の訪問: 血圧 128/78");
        String gone = SNS.postAs("ph-ito", pid, "誤投稿");
        SNS.deleteAs("ph-ito", gone);
        String deletedLater = SNS.postAs("ph-ito", pid, "あとで消す");
        round();
        SNS.deleteAs("ph-ito", deletedLater);
        round();

        List<Map<String, Object>> t = timeline(team.nurse(), team.roomId());
        assertThat(t).extracting(m -> m.get("text"))
                .containsExactly("昨日の訪問: 血圧 128/78", "本日の訪問: 発熱なし", "お薬は変更なしです", "");
        Map<String, Object> first = t.get(0);
        assertThat((Map<String, Object>) first.get("origin"))
                .containsEntry("connector", INSTANCE).containsEntry("externalId", older);
        Map<String, Object> author = (Map<String, Object>) first.get("author");
        assertThat(author.get("userId")).isEqualTo("ext:" + INSTANCE + ":ns-sato");
        assertThat((String) author.get("displayName")).contains("佐藤");
        assertThat((Map<String, Object>) author.get("profession")).containsEntry("label", "看護師");
        assertThat(author.get("facilityName")).isEqualTo("ひかり訪問看護ステーション");
        assertThat(first.get("editCount")).isEqualTo(1);
        assertThat((String) t.get(1).get("html")).doesNotContain("onerror").doesNotContain("<img");
        assertThat(t.get(2).get("parentId")).isEqualTo(t.get(1).get("id"));
        assertThat(((Map<String, Object>) t.get(2).get("origin")).get("externalId")).isEqualTo(reply);
        assertThat(t.get(3).get("deleted")).isNotNull();
        assertThat(((Map<String, Object>) t.get(3).get("origin")).get("externalId")).isEqualTo(deletedLater);

        // A new poller over the same database (as after a restart) imports nothing again.
        InboundPoller restarted = new InboundPoller(registry, links, importer, quarantine, new LinkTurns(), Clock.systemUTC(),
                Duration.ofSeconds(10));
        assertThat(restarted.pollOnce().block(WAIT)).isNotNull();
        assertThat(timeline(team.nurse(), team.roomId())).hasSize(4);
    }

    @Test
    void replyToUnknownParentQuarantineAndEcho() {
        Team team = team();
        String pid = project();
        String beforeLink = SNS.postAs("ns-sato", pid, "リンク前の投稿");
        link(team.roomId(), pid, 0);

        SNS.replyAs("ph-ito", pid, beforeLink, "承知しました");
        SNS.injectRawMessage(pid, "{\"id\":7,\"body\":{\"not\":\"a message\"}}");
        String echoed = SNS.postAs("tsunagu-it", pid, "ブリッジから送った投稿");
        ids.insert(new BridgeId(BridgeId.idOf(INSTANCE, echoed), INSTANCE, echoed, Ids.newId(),
                BridgeId.Direction.OUTBOUND, Instant.now())).block(WAIT);
        SNS.postAs("ns-sato", pid, "最後の投稿");
        round();

        List<Map<String, Object>> t = timeline(team.careManager(), team.roomId());
        assertThat(t).extracting(m -> m.get("text")).containsExactly(
                ExternalMessageHandler.UNKNOWN_PARENT_QUOTE + "\n承知しました", "最後の投稿");
        String linkId = links.all().filter(l -> l.roomId().equals(team.roomId())).blockFirst(WAIT).id();
        assertThat(quarantine.ofLink(linkId).collectList().block(WAIT))
                .singleElement().satisfies(q -> assertThat(q.payload()).contains("a message"));
    }

    @Test
    void administratorsSeeConnectorInstancesAndTheirHealth() {
        as(admin).get().uri("/api/v1/admin/bridge/links").exchange().expectStatus().isOk();
        as(admin).get().uri("/api/v1/admin/bridge/connectors").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items[0].instanceId").isEqualTo(INSTANCE)
                .jsonPath("$.items[0].kind").isEqualTo("mcs")
                .jsonPath("$.items[0].state").isEqualTo("connected")
                .jsonPath("$.items[0].capabilities").value(caps -> assertThat(caps.toString()).contains("polling", "stamps"));
        as(team().nurse()).get().uri("/api/v1/admin/bridge/connectors").exchange().expectStatus().isForbidden()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void adminApiRefusesNonAdminsAndBadInput() {
        Team team = team();
        String pid = project();
        Map<String, Object> body = new HashMap<>(Map.of("roomId", team.roomId(), "instanceId", INSTANCE,
                "externalRoomId", pid));
        as(team.careManager()).post().uri("/api/v1/admin/bridge/links").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange().expectStatus().isForbidden()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        as(team.careManager()).get().uri("/api/v1/admin/bridge/links").exchange().expectStatus().isForbidden();

        as(admin).post().uri("/api/v1/admin/bridge/links").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("roomId", "nope", "instanceId", INSTANCE, "externalRoomId", pid))
                .exchange().expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.errors[0].field").isEqualTo("roomId");
        as(admin).post().uri("/api/v1/admin/bridge/links").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("roomId", team.roomId(), "instanceId", INSTANCE, "externalRoomId", pid, "backfill", 1000))
                .exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.errors[0].field").isEqualTo("backfill");
        as(admin).post().uri("/api/v1/admin/bridge/links").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("roomId", team.roomId(), "instanceId", "mcs-nowhere", "externalRoomId", pid))
                .exchange().expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.errors[0].field").isEqualTo("instanceId");
        as(admin).post().uri("/api/v1/admin/bridge/links").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("roomId", Ids.newId(), "instanceId", INSTANCE, "externalRoomId", pid))
                .exchange().expectStatus().isNotFound();

        Map<?, ?> created = link(team.roomId(), pid, 0);
        as(admin).post().uri("/api/v1/admin/bridge/links").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange().expectStatus().isEqualTo(409);
        as(admin).get().uri("/api/v1/admin/bridge/links").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.items[?(@.id == '" + created.get("id") + "' && @.active == true)]").exists();
        as(admin).delete().uri("/api/v1/admin/bridge/links/{id}", created.get("id")).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.active").isEqualTo(false);
    }
}
