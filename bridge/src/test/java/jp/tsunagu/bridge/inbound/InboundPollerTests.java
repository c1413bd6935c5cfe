package jp.tsunagu.bridge.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;


import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.link.BridgeLink;
import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.bridge.link.LinkStore;
import jp.tsunagu.bridge.link.LinkTurns;
import jp.tsunagu.bridge.link.MongoLinkStore;
import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.MongoMessageStore;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.MongoMembershipStore;
import jp.tsunagu.chat.room.MongoRoomStore;
import jp.tsunagu.chat.room.RoomKind;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.RoomLinearizer;
import jp.tsunagu.connectors.mcs.McsConnector;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import reactor.test.StepVerifier;

/**
 * The inbound path end to end below HTTP: the real MCS connector against the MCS simulator, the importer and
 * the chat stores on an in-memory MongoDB.
 */
class InboundPollerTests {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String INSTANCE = "mcs-test";
    private static final CareUser ADMIN = new CareUser("it-office", "情報政策課", Profession.CARE_MANAGER, null, null,
            Set.of(CareUser.SYSTEM_ADMIN));

    private static InboundFixture fixture;
    private static McsSimulator sns;
    private static McsConnector connector;

    private ReactiveMongoTemplate mongo;
    private RoomStore rooms;
    private MessageStore messages;
    private LinkStore links;
    private BridgeIdStore ids;
    private QuarantineStore quarantine;
    private InboundImporter importer;
    private LinkHandler linkHandler;
    private final List<RoomEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startAll() {
        fixture = new InboundFixture();
        sns = fixture.sns;
        connector = fixture.connector(INSTANCE);
    }

    @AfterAll
    static void stopAll() {
        fixture.close();
    }

    @BeforeEach
    void wire() {
        // A fresh database per test: no state leaks between tests.
        mongo = fixture.freshDatabase();
        rooms = new MongoRoomStore(mongo);
        messages = new MongoMessageStore(mongo);
        links = new MongoLinkStore(mongo);
        ids = new BridgeIdStore(mongo);
        quarantine = new QuarantineStore(mongo);
        ExternalMessageHandler handler = new ExternalMessageHandler(rooms, new MongoMembershipStore(mongo, Clock.systemUTC()), messages,
                new RoomLinearizer(), events::add,
                new HtmlSanitizer(), Clock.systemUTC());
        importer = new InboundImporter(handler, messages, ids, quarantine, Clock.systemUTC());
        linkHandler = new LinkHandler(links, rooms, registry(), importer, Clock.systemUTC());
    }

    private ConnectorRegistry registry() {
        return new ConnectorRegistry(List.of(connector));
    }

    private InboundPoller newPoller() {
        return new InboundPoller(registry(), links, importer, quarantine, new LinkTurns(), Clock.systemUTC(), Duration.ofSeconds(10));
    }

    private String room() {
        String id = Ids.newId();
        rooms.insert(new CareRoom(id, RoomKind.GROUP, "山田さんチーム", null, false, null, null, Instant.now(), "cm",
                0, 0, null, Instant.now(), null, List.of())).block(WAIT);
        return id;
    }

    private String project() {
        String pid = sns.createProject("patient", "山田 花子 様");
        sns.addMember(pid, "tsunagu");
        sns.addMember(pid, "ns-sato");
        sns.addMember(pid, "ph-ito");
        return pid;
    }

    private BridgeLink link(String roomId, String pid, int backfill) {
        var view = linkHandler.link(ADMIN, new LinkHandler.LinkRequest(roomId, INSTANCE, pid, backfill)).block(WAIT);
        return links.findById(view.id()).block(WAIT);
    }

    /** The room's messages in timeline order. */
    private List<Message> timeline(String roomId) {
        List<Message> newestFirst = new java.util.ArrayList<>(messages.page(roomId, null, 1000).collectList().block(WAIT));
        java.util.Collections.reverse(newestFirst);
        return newestFirst;
    }

    private InboundPoller.Round poll(InboundPoller poller) {
        return poller.pollOnce().block(WAIT);
    }

    @Test
    void backfillThenPostReplyEditDeleteArriveInOrderWithOriginAndAuthor() {
        String pid = project();
        String before1 = sns.postAs("ns-sato", pid, "昨日の訪問: 血圧 <b>132/80</b>");
        String before2 = sns.postAs("ph-ito", pid, "お薬カレンダーをセットしました");
        String roomId = room();
        BridgeLink link = link(roomId, pid, 20);
        assertThat(link.cursor()).isNotNull();
        assertThat(timeline(roomId)).extracting(Message::text)
                .containsExactly("昨日の訪問: 血圧 132/80", "お薬カレンダーをセットしました");

        InboundPoller poller = newPoller();
        String post = sns.postAs("ns-sato", pid, "本日の訪問: 発熱なし<script>alert(1)</script>");
        String reply = sns.replyAs("ph-ito", pid, post, "了解です");
        sns.editAs("ns-sato", before1, "昨日の訪問: 血圧 <b>128/78</b>");
        sns.deleteAs("ph-ito", before2);
        InboundPoller.Round round = poll(poller);
        assertThat(round.failedLinks()).isZero();

        List<Message> t = timeline(roomId);
        assertThat(t).hasSize(4);
        Message first = t.get(0);
        assertThat(first.text()).isEqualTo("昨日の訪問: 血圧 128/78");
        assertThat(first.edits()).hasSize(1);
        assertThat(first.origin().externalId()).isEqualTo(before1);
        assertThat(first.author().userId()).isEqualTo("ext:" + INSTANCE + ":ns-sato");
        assertThat(first.author().displayName()).contains("佐藤");
        assertThat(first.author().profession()).isEqualTo(Profession.NURSE);
        assertThat(first.author().facilityName()).isEqualTo("ひかり訪問看護ステーション");
        assertThat(t.get(1).isDeleted()).isTrue();
        assertThat(t.get(2).text()).isEqualTo("本日の訪問: 発熱なし");
        assertThat(t.get(2).html()).doesNotContain("script");
        assertThat(t.get(3).text()).isEqualTo("了解です");
        assertThat(t.get(3).parentId()).isEqualTo(t.get(2).id());
        assertThat(t.get(3).threadRootId()).isEqualTo(t.get(2).id());
        assertThat(t.get(3).origin().externalId()).isEqualTo(reply);
        assertThat(events).extracting(RoomEvent::type).contains("message.created", "message.edited", "message.deleted");

        // A new poller over the same database (a restart) re-imports nothing and moves nothing.
        long changeSeqs = t.stream().mapToLong(Message::changeSeq).sum();
        InboundPoller restarted = newPoller();
        poll(restarted);
        List<Message> again = timeline(roomId);
        assertThat(again).hasSize(4);
        assertThat(again.stream().mapToLong(Message::changeSeq).sum()).isEqualTo(changeSeqs);
        assertThat(links.findById(link.id()).block(WAIT).cursor()).isNotEqualTo(link.cursor());
    }

    @Test
    void replyToAParentNeverImportedComesWithTheQuote() {
        String pid = project();
        String old = sns.postAs("ns-sato", pid, "リンク前の投稿");
        String roomId = room();
        link(roomId, pid, 0);
        sns.replyAs("ph-ito", pid, old, "その件、承知しました");
        poll(newPoller());
        List<Message> t = timeline(roomId);
        assertThat(t).hasSize(1);
        assertThat(t.get(0).text()).isEqualTo(ExternalMessageHandler.UNKNOWN_PARENT_QUOTE + "\nその件、承知しました");
        assertThat(t.get(0).parentId()).isNull();
        assertThat(t.get(0).html()).startsWith("<blockquote>");
    }

    @Test
    void malformedItemIsQuarantinedAndTheRestImported() {
        String pid = project();
        String roomId = room();
        BridgeLink link = link(roomId, pid, 0);
        sns.postAs("ns-sato", pid, "一件目");
        sns.injectRawMessage(pid, "{\"id\":12,\"body\":[\"not a message\"]}");
        sns.postAs("ns-sato", pid, "二件目");
        InboundPoller.Round round = poll(newPoller());
        assertThat(timeline(roomId)).extracting(Message::text).containsExactly("一件目", "二件目");
        assertThat(round.quarantined()).isEqualTo(1);
        StepVerifier.create(quarantine.ofLink(link.id()))
                .assertNext(q -> {
                    assertThat(q.payload()).contains("not a message");
                    assertThat(q.reason()).isNotBlank();
                    assertThat(q.at()).isNotNull();
                })
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void aMessageThatTheBridgePostedIsNotImportedBack() {
        String pid = project();
        String roomId = room();
        link(roomId, pid, 0);
        String echoed = sns.postAs("tsunagu", pid, "ブリッジが送った投稿");
        ids.insert(new BridgeId(BridgeId.idOf(INSTANCE, echoed), INSTANCE, echoed, Ids.newId(),
                BridgeId.Direction.OUTBOUND, Instant.now())).block(WAIT);
        sns.postAs("ns-sato", pid, "外部の投稿");
        poll(newPoller());
        assertThat(timeline(roomId)).extracting(Message::text).containsExactly("外部の投稿");
    }

    @Test
    void aFailingLinkDoesNotStopOthersAndIsBackedOff() {
        String goneProject = project();
        String okProject = project();
        link(room(), goneProject, 0);
        String okRoom = room();
        link(okRoom, okProject, 0);
        sns.removeProject(goneProject);
        sns.postAs("ns-sato", okProject, "届くべき投稿");
        InboundPoller poller = newPoller();
        InboundPoller.Round round = poll(poller);
        assertThat(round.failedLinks()).isEqualTo(1);
        assertThat(timeline(okRoom)).extracting(Message::text).containsExactly("届くべき投稿");

        // Backed off: the next round does not ask about the failing room again.
        long latestBefore = sns.calls(McsSimulator.ROUTE_LATEST);
        sns.postAs("ns-sato", okProject, "次の投稿");
        InboundPoller.Round next = poll(poller);
        assertThat(next.failedLinks()).isZero();
        assertThat(sns.calls(McsSimulator.ROUTE_LATEST) - latestBefore).isEqualTo(1);
        assertThat(timeline(okRoom)).hasSize(2);
    }

    @Test
    void roomsArePolledOnlyWhenTheProbeSaysSomethingChanged() {
        String pid = project();
        String roomId = room();
        link(roomId, pid, 0);
        InboundPoller poller = newPoller();
        poll(poller);
        long latest = sns.calls(McsSimulator.ROUTE_LATEST);
        long status = sns.calls(McsSimulator.ROUTE_STATUS);
        poll(poller);
        assertThat(sns.calls(McsSimulator.ROUTE_STATUS)).isGreaterThan(status);
        assertThat(sns.calls(McsSimulator.ROUTE_LATEST)).isEqualTo(latest);
        sns.postAs("ns-sato", pid, "変化あり");
        poll(poller);
        assertThat(sns.calls(McsSimulator.ROUTE_LATEST)).isEqualTo(latest + 1);
        assertThat(timeline(roomId)).hasSize(1);
    }

    @Test
    void theScheduleRunsRoundsByItself() {
        String pid = project();
        String roomId = room();
        link(roomId, pid, 0);
        sns.postAs("ns-sato", pid, "自動で届く");
        InboundPoller poller = new InboundPoller(registry(), links, importer, quarantine, new LinkTurns(), Clock.systemUTC(),
                Duration.ofMillis(100));
        poller.start();
        try {
            StepVerifier.create(reactor.core.publisher.Mono.defer(() -> messages.page(roomId, null, 10).count())
                            .filter(n -> n == 1)
                            .repeatWhenEmpty(r -> r.delayElements(Duration.ofMillis(50))))
                    .expectNext(1L)
                    .expectComplete()
                    .verify(WAIT);
        } finally {
            poller.close();
        }
    }
}
