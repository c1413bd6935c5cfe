package jp.tsunagu.bridge.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;


import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.link.BridgeLink;
import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.bridge.link.LinkStore;
import jp.tsunagu.bridge.link.LinkTurns;
import jp.tsunagu.bridge.link.MongoLinkStore;
import jp.tsunagu.bridge.metrics.BridgeMetrics;
import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.attachment.GridFsAttachmentStore;
import jp.tsunagu.chat.attachment.MediaInspector;
import jp.tsunagu.chat.handler.AttachmentHandler;
import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.handler.RoomAccess;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.MongoMessageStore;
import jp.tsunagu.chat.message.Stamp;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.MemberRole;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.MongoMembershipStore;
import jp.tsunagu.chat.room.MongoRoomStore;
import jp.tsunagu.chat.room.RoomKind;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.RoomLinearizer;
import jp.tsunagu.connectors.mcs.McsConnector;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import jp.tsunagu.connectors.sns.ConnectorHealth;
import jp.tsunagu.connectors.sns.ExternalAttachment;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import reactor.test.StepVerifier;

/**
 * What an external message brings beside its body: mentions (users, stations, everyone), stamp counts and files,
 * and the metrics of what was taken in. The real MCS connector against the MCS simulator, the chat stores on an
 * in-memory MongoDB.
 */
class InboundContentTests {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String INSTANCE = "mcs-content";
    private static final long CAP = 64 * 1024;
    private static final CareUser ADMIN = new CareUser("it-office", "情報政策課", Profession.CARE_MANAGER, null, null,
            Set.of(CareUser.SYSTEM_ADMIN));

    private static InboundFixture fixture;
    private static McsSimulator sns;
    private static McsConnector connector;

    private ReactiveMongoTemplate mongo;
    private RoomStore rooms;
    private MembershipStore memberships;
    private MessageStore messages;
    private LinkStore links;
    private BridgeIdStore ids;
    private InboundImporter importer;
    private InboundAttachments attachments;
    private LinkHandler linkHandler;
    private MeterRegistry meters;
    private BridgeMetrics metrics;
    private final List<RoomEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startAll() {
        fixture = new InboundFixture();
        sns = fixture.sns;
        sns.addUser("dr-kato", "加藤", "誠", null, "医師");
        connector = fixture.connector(INSTANCE);
    }

    @AfterAll
    static void stopAll() {
        fixture.close();
    }

    @BeforeEach
    void wire() {
        mongo = fixture.freshDatabase();
        rooms = new MongoRoomStore(mongo);
        memberships = new MongoMembershipStore(mongo, Clock.systemUTC());
        messages = new MongoMessageStore(mongo);
        links = new MongoLinkStore(mongo);
        ids = new BridgeIdStore(mongo);
        QuarantineStore quarantine = new QuarantineStore(mongo);
        ConnectorRegistry registry = new ConnectorRegistry(List.of(connector));
        ExternalMessageHandler handler = new ExternalMessageHandler(rooms, memberships, messages, new RoomLinearizer(),
                events::add, new HtmlSanitizer(), Clock.systemUTC());
        AttachmentHandler files = new AttachmentHandler(new GridFsAttachmentStore(mongo),
                new RoomAccess(rooms, memberships), new MediaInspector(AttachmentHandler.THUMBNAIL_EDGE), 20L << 20,
                java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "tsunagu-inbound-tests"), Clock.systemUTC());
        attachments = new InboundAttachments(registry, files, CAP);
        meters = new SimpleMeterRegistry();
        metrics = new BridgeMetrics(meters, registry.all());
        InboundMapping mapping = new InboundMapping(Map.of(INSTANCE, new InboundMapping.Instance(
                Map.of("dr-kato", "dr-local"), Map.of("st-vns", "fac-hikari"))));
        importer = new InboundImporter(handler, messages, ids, quarantine, attachments, mapping, metrics,
                Clock.systemUTC());
        linkHandler = new LinkHandler(links, rooms, registry, importer, Clock.systemUTC());
    }

    private String room() {
        String id = Ids.newId();
        rooms.insert(new CareRoom(id, RoomKind.GROUP, "山田さんチーム", null, false, null, null, Instant.now(), "cm",
                0, 0, null, Instant.now(), null, List.of())).block(WAIT);
        member(id, "cm-suzuki", "fac-care");
        member(id, "ns-local", "fac-hikari");
        member(id, "dr-local", "fac-clinic");
        return id;
    }

    private void member(String roomId, String userId, String facilityId) {
        memberships.save(new Membership(Membership.idOf(roomId, userId), roomId, userId, userId, Profession.NURSE,
                facilityId, facilityId, MemberRole.MEMBER, true, 0, Instant.now(), null, null)).block(WAIT);
    }

    private String project() {
        String pid = sns.createProject("patient", "山田 花子 様");
        for (String u : List.of("tsunagu", "ns-sato", "ph-ito", "dr-kato")) {
            sns.addMember(pid, u);
        }
        return pid;
    }

    private BridgeLink link(String roomId, String pid) {
        var view = linkHandler.link(ADMIN, new LinkHandler.LinkRequest(roomId, INSTANCE, pid, 0)).block(WAIT);
        return links.findById(view.id()).block(WAIT);
    }

    private InboundPoller poller() {
        return new InboundPoller(new ConnectorRegistry(List.of(connector)), links, importer, new QuarantineStore(mongo), new LinkTurns(),
                Clock.systemUTC(), Duration.ofSeconds(10));
    }

    private Message imported(String externalId) {
        return messages.findById(ExternalMessageHandler.localId(INSTANCE, externalId)).block(WAIT);
    }

    @Test
    void mentionsOfUsersStationsAndEveryoneReachTheRoomsMembers() {
        String pid = project();
        String roomId = room();
        link(roomId, pid);
        String station = sns.postAs("ph-ito", pid, "訪問看護さんへ: 残薬を確認してください", List.of(),
                List.of(McsSimulator.Mention.station("st-vns")));
        String users = sns.postAs("ns-sato", pid, "加藤先生、伊藤さん、ご確認を", List.of(),
                List.of(McsSimulator.Mention.user("dr-kato"), McsSimulator.Mention.user("ph-ito")));
        String all = sns.postAs("ns-sato", pid, "皆さまへ: 来週から訪問時間が変わります", List.of(),
                List.of(McsSimulator.Mention.project(pid)));
        String unmapped = sns.postAs("ns-sato", pid, "薬局さんへ", List.of(),
                List.of(McsSimulator.Mention.station("st-ph")));
        poller().pollOnce().block(WAIT);

        Message s = imported(station);
        assertThat(s.mentions().facilities()).containsExactly("fac-hikari");
        assertThat(s.mentionedUserIds()).containsExactly("ns-local");

        Message u = imported(users);
        // A mapped person is the local user; anyone else keeps their external id and reaches nobody here.
        assertThat(u.mentions().users()).containsExactly("dr-local", "ext:" + INSTANCE + ":ph-ito");
        assertThat(u.mentionedUserIds()).containsExactly("dr-local");

        Message a = imported(all);
        assertThat(a.mentions().room()).isTrue();
        assertThat(a.mentionedUserIds()).containsExactlyInAnyOrder("cm-suzuki", "ns-local", "dr-local");

        Message none = imported(unmapped);
        assertThat(none.mentions().facilities()).containsExactly("ext:" + INSTANCE + ":st-ph");
        assertThat(none.mentionedUserIds()).isEmpty();

        // The cross-room "mentioned me" list reads what was stored.
        assertThat(messages.mentioning("ns-local", List.of(roomId), null, 10).map(Message::id).collectList().block(WAIT))
                .containsExactlyInAnyOrder(a.id(), s.id());
        assertThat(messages.mentioning("dr-local", List.of(roomId), null, 10).map(Message::id).collectList().block(WAIT))
                .containsExactlyInAnyOrder(a.id(), u.id());
    }

    @Test
    void stampsAreCountsOfExternalPeopleWithoutTheIntegrationAccount() {
        String pid = project();
        String roomId = room();
        link(roomId, pid);
        String note = sns.postAs("ns-sato", pid, "本日の訪問: 発熱なし");
        InboundPoller poller = poller();
        poller.pollOnce().block(WAIT);
        assertThat(imported(note).externalStamps()).isNull();

        sns.reactAs("ph-ito", note, "viewed", true);
        sns.reactAs("dr-kato", note, "viewed", true);
        // The integration account's stamps mirror stamps given here: they are not counted again.
        sns.reactAs("tsunagu", note, "viewed", true);
        sns.reactAs("tsunagu", note, "accepted", true);
        events.clear();
        poller.pollOnce().block(WAIT);
        Message stamped = imported(note);
        assertThat(stamped.externalStamps()).isEqualTo(Map.of("viewed", 2));
        assertThat(stamped.lastChange()).isEqualTo(Message.Change.STAMPED);
        assertThat(events).extracting(RoomEvent::type).containsExactly("message.stamped");
        assertThat(metrics.inboundCount(INSTANCE, InboundImporter.Outcome.STAMPED)).isEqualTo(1);

        // A local stamp and the external counts add up in the view; only local people are named.
        messages.stamp(stamped.id(), Stamp.VIEWED, "cm-suzuki", true, stamped.changeSeq() + 1).block(WAIT);
        MessageView.StampView viewed = MessageView.of(imported(note)).stamps().get(0);
        assertThat(viewed.stamp()).isEqualTo("viewed");
        assertThat(viewed.count()).isEqualTo(3);
        assertThat(viewed.external()).isEqualTo(2);
        assertThat(viewed.userIds()).containsExactly("cm-suzuki");

        // Polling again with nothing changed changes nothing.
        long changeSeq = imported(note).changeSeq();
        events.clear();
        poller.pollOnce().block(WAIT);
        assertThat(imported(note).changeSeq()).isEqualTo(changeSeq);
        assertThat(events).isEmpty();

        sns.reactAs("ph-ito", note, "viewed", false);
        sns.reactAs("ph-ito", note, "completed", true);
        poller.pollOnce().block(WAIT);
        assertThat(imported(note).externalStamps()).isEqualTo(Map.of("viewed", 1, "completed", 1));
        assertThat(events).extracting(RoomEvent::type).containsExactly("message.stamped");
    }

    @Test
    void stampsOnAMessageTheBridgePostedGoToTheLocalOriginal() {
        String pid = project();
        String roomId = room();
        link(roomId, pid);
        String localId = Ids.newId();
        rooms.nextSeq(roomId).flatMap(seq -> messages.insert(new Message(localId, roomId, seq, seq,
                Message.Change.CREATED, new Message.Author("cm-suzuki", "鈴木", Profession.CARE_MANAGER, "fac-care",
                        "fac-care"), "明日の担当者会議は10時です", null, null, null, null, Message.Mentions.NONE,
                List.of(), List.of(), Map.of(), List.of(), Instant.now(), null, null, "h", null, null))).block(WAIT);
        InboundPoller poller = poller();
        poller.pollOnce().block(WAIT);
        // The bridge's outbound side posts it as the integration account and records the external id.
        String posted = sns.postAs("tsunagu", pid, "明日の担当者会議は10時です");
        ids.insert(new BridgeId(BridgeId.idOf(INSTANCE, posted), INSTANCE, posted, localId,
                BridgeId.Direction.OUTBOUND, Instant.now())).block(WAIT);
        sns.reactAs("ns-sato", posted, "viewed", true);
        poller.pollOnce().block(WAIT);

        assertThat(imported(posted)).isNull();
        assertThat(messages.findById(localId).block(WAIT).externalStamps()).isEqualTo(Map.of("viewed", 1));
        assertThat(messages.page(roomId, null, 10).count().block(WAIT)).isEqualTo(1);
    }

    @Test
    void filesAreStoredOnceAndThoseThatCannotBeAreNotedOnTheMessage() throws Exception {
        String pid = project();
        String roomId = room();
        link(roomId, pid);
        String photo = sns.uploadAs("ns-sato", "傷.png", "image/png", png());
        String big = sns.uploadAs("ns-sato", "scan.pdf", "application/pdf", new byte[(int) CAP + 1]);
        String odd = sns.uploadAs("ns-sato", "data.zip", "application/zip", new byte[] {0x50, 0x4b, 3, 4, 0, 0});
        String withFiles = sns.postAs("ns-sato", pid, "傷の写真です", List.of(photo, big, odd), List.of());
        InboundPoller poller = poller();
        poller.pollOnce().block(WAIT);

        Message m = imported(withFiles);
        assertThat(m.attachments()).hasSize(1);
        Message.AttachmentRef ref = m.attachments().get(0);
        assertThat(ref.id()).isEqualTo(InboundAttachments.localId(INSTANCE, photo));
        assertThat(ref.contentType()).isEqualTo("image/png");
        assertThat(ref.thumbnail()).isTrue();
        assertThat(m.text()).startsWith("傷の写真です\n");
        assertThat(m.text()).contains("添付「scan.pdf」", "上限", "添付「data.zip」", "形式");
        assertThat(m.html()).contains("<p>" + ExternalMessageHandler.NOTE_SIGN + "添付「scan.pdf」");

        // Read again (a re-poll of an edit, a webhook beside a poll): the file is found, not stored again.
        long files = mongo.getCollection("files.files").flatMap(c -> reactor.core.publisher.Mono.from(c.countDocuments()))
                .block(WAIT);
        var external = connector.history(pid, 10).filter(x -> x.id().equals(withFiles)).blockFirst(WAIT);
        StepVerifier.create(attachments.fetch(INSTANCE, roomId, "ext:" + INSTANCE + ":ns-sato", external.attachments()))
                .assertNext(f -> assertThat(f.attachments()).extracting(Message.AttachmentRef::id)
                        .containsExactly(ref.id()))
                .verifyComplete();
        assertThat(mongo.getCollection("files.files").flatMap(c -> reactor.core.publisher.Mono.from(c.countDocuments()))
                .block(WAIT)).isEqualTo(files);

        // An edit there keeps the notes here.
        sns.editAs("ns-sato", withFiles, "傷の写真です（再掲）");
        poller.pollOnce().block(WAIT);
        Message edited = imported(withFiles);
        assertThat(edited.text()).startsWith("傷の写真です（再掲）\n").contains("添付「scan.pdf」");
        assertThat(edited.attachments()).hasSize(1);
    }

    @Test
    void aFileThatCannotBeDownloadedBecomesANote() {
        ExternalAttachment gone = new ExternalAttachment("no-such-file", "血圧表.pdf", "application/pdf", 100,
                sns.apiUrl() + "/attachments/no-such-file/download");
        StepVerifier.create(attachments.fetch(INSTANCE, Ids.newId(), "ext:x:y", List.of(gone)))
                .assertNext(f -> {
                    assertThat(f.attachments()).isEmpty();
                    assertThat(f.notes()).containsExactly("添付「血圧表.pdf」を連携先から取得できなかったため、取り込んでいません。");
                })
                .verifyComplete();
        StepVerifier.create(InboundAttachments.none().fetch(INSTANCE, Ids.newId(), "ext:x:y", List.of(gone)))
                .assertNext(f -> assertThat(f.notes()).hasSize(1))
                .verifyComplete();
    }

    @Test
    void metricsCountOutcomesPerInstanceAndShowTheConnectorState() {
        String pid = project();
        String roomId = room();
        link(roomId, pid);
        sns.postAs("ns-sato", pid, "一件目");
        sns.injectRawMessage(pid, "{\"id\": 1}");
        sns.postAs("ns-sato", pid, "x".repeat(20_000));
        assertThat(metrics.state(INSTANCE)).isNull();
        poller().pollOnce().block(WAIT);

        assertThat(meters.get("tsunagu.bridge.inbound.messages").tag("instance", INSTANCE).tag("outcome", "created")
                .counter().count()).isEqualTo(1);
        assertThat(meters.get("tsunagu.bridge.inbound.messages").tag("instance", INSTANCE).tag("outcome", "quarantined")
                .counter().count()).isEqualTo(2);
        assertThat(metrics.state(INSTANCE)).isEqualTo(ConnectorHealth.State.CONNECTED);
        assertThat(meters.get("tsunagu.bridge.connector.state").tag("instance", INSTANCE).tag("kind", "mcs")
                .tag("state", "connected").gauge().value()).isEqualTo(1);
        assertThat(meters.get("tsunagu.bridge.connector.state").tag("instance", INSTANCE)
                .tag("state", "auth_failed").gauge().value()).isZero();
        assertThat(meters.find("tsunagu.bridge.connector.state").gauges()).hasSize(4);
    }

    private static byte[] png() throws Exception {
        BufferedImage image = new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB);
        image.setRGB(1, 1, 0xff0000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
