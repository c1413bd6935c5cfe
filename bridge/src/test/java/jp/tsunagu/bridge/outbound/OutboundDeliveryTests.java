package jp.tsunagu.bridge.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;


import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.inbound.BridgeId;
import jp.tsunagu.bridge.inbound.BridgeIdStore;
import jp.tsunagu.bridge.inbound.InboundImporter;
import jp.tsunagu.bridge.inbound.InboundPoller;
import jp.tsunagu.bridge.inbound.QuarantineStore;
import jp.tsunagu.bridge.link.BridgeLink;
import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.bridge.link.LinkStore;
import jp.tsunagu.bridge.link.LinkTurns;
import jp.tsunagu.bridge.link.MongoLinkStore;
import jp.tsunagu.chat.attachment.Attachment;
import jp.tsunagu.chat.attachment.GridFsAttachmentStore;
import jp.tsunagu.chat.handler.DeliveryHandler;
import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Delivery;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MongoMessageStore;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.message.Stamp;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.realtime.StreamHandler;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.MongoRoomStore;
import jp.tsunagu.chat.room.RoomKind;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.MovableClock;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Mono;
import jp.tsunagu.chat.support.TestMongo;
import jp.tsunagu.connectors.mcs.McsConnector;
import jp.tsunagu.connectors.mcs.McsConnectorFactory;
import jp.tsunagu.connectors.mcs.McsConnectorProperties;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Outbound delivery end to end below HTTP: local changes written through the chat's stores, the real MCS
 * connector against the MCS simulator (with its faults), an in-memory MongoDB, and a clock the test moves.
 */
class OutboundDeliveryTests {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String INSTANCE = "mcs-out";
    private static final CareUser ADMIN = new CareUser("it-office", "情報政策課", Profession.CARE_MANAGER, null, null,
            Set.of(CareUser.SYSTEM_ADMIN));
    private static final Message.Author NURSE = new Message.Author("ns-1", "佐藤 美咲", Profession.NURSE, "f-aoba",
            "あおば訪問看護ステーション");

    private static TestMongo db;
    private static McsSimulator sns;
    private McsConnector connector;

    private final MovableClock clock = new MovableClock(Instant.parse("2026-11-23T01:00:00Z"));
    private final List<RoomEvent> events = new CopyOnWriteArrayList<>();
    private MongoRoomStore rooms;
    private MongoMessageStore messages;
    private GridFsAttachmentStore attachments;
    private LinkStore links;
    private BridgeIdStore ids;
    private DeadLetterStore deadLetters;
    private LinkHandler linkHandler;
    private OutboundDelivery delivery;
    private InboundPoller poller;
    private RoomLinearizer linearizer;

    @BeforeAll
    static void startAll() {
        db = new TestMongo();
        sns = new McsSimulator().start(0);
        sns.addStation("st-vns", "ひかり訪問看護ステーション");
        sns.addUser("ns-sato", "佐藤", "由美", "st-vns", "看護師");
        sns.addClient("tsunagu-out", "s3cret");
    }

    @AfterAll
    static void stopAll() {
        sns.close();
        db.close();
    }

    @BeforeEach
    void wire() {
        sns.rateLimit(0);
        // A connector per test (its circuit breaker must not carry one test's outage into the next); one in-line
        // attempt and a short time-out: the tests are about what happens after the connector gives up.
        connector = new McsConnectorFactory(JsonMapper.builder().build(), Clock.systemUTC()).create(
                new McsConnectorProperties(INSTANCE, sns.baseUrl(), sns.tokenUrl(), "tsunagu-out", "s3cret",
                        Duration.ofSeconds(2), Duration.ofSeconds(2), 1_000, 1, 8));
        ReactiveMongoTemplate mongo = db.freshDatabase();
        rooms = new MongoRoomStore(mongo);
        messages = new MongoMessageStore(mongo);
        attachments = new GridFsAttachmentStore(mongo);
        links = new MongoLinkStore(mongo);
        ids = new BridgeIdStore(mongo);
        deadLetters = new DeadLetterStore(mongo);
        QuarantineStore quarantine = new QuarantineStore(mongo);
        linearizer = new RoomLinearizer();
        ExternalMessageHandler external = new ExternalMessageHandler(rooms, new jp.tsunagu.chat.room.MongoMembershipStore(mongo, Clock.systemUTC()), messages, linearizer, events::add,
                new HtmlSanitizer(), clock);
        InboundImporter importer = new InboundImporter(external, messages, ids, quarantine, clock);
        ConnectorRegistry registry = new ConnectorRegistry(List.of(connector));
        linkHandler = new LinkHandler(links, rooms, registry, importer, clock);
        DeliveryHandler deliveries = new DeliveryHandler(rooms, messages, linearizer, events::add);
        delivery = new OutboundDelivery(rooms, linearizer, StreamHandler.StoredHead.ONE_NODE, messages, attachments, deliveries, ids, links, deadLetters,
                new HtmlSanitizer(), RetrySchedule.DEFAULT, 1024 * 1024, clock);
        poller = new InboundPoller(registry, links, importer, quarantine, new LinkTurns(), clock, Duration.ofSeconds(10));
    }

    @AfterEach
    void clearFaults() {
        sns.clearFaults();
    }

    // --- what goes out ---

    @Test
    void postsRepliesEditsStampsAndDeletionsGoOutInRoomOrderOnce() {
        Fixture f = linkedRoom();
        Message first = post(f.roomId, "体温36.8度、血圧128/76。", null);
        Message reply = post(f.roomId, "了解しました。", first.id());
        Message second = post(f.roomId, "明日の訪問は10時です。", null);

        OutboundDelivery.Drain drain = drain(f);
        assertThat(drain.delivered()).isEqualTo(3);
        List<McsSimulator.Message> there = sns.messages(f.pid);
        assertThat(there).hasSize(3);
        McsSimulator.Message firstThere = sns.message(external(first));
        assertThat(firstThere.body()).contains("【佐藤 美咲／看護師／あおば訪問看護ステーション】").contains("体温36.8度");
        assertThat(sns.message(external(reply)).parentId()).isEqualTo(firstThere.id());
        assertThat(sns.message(external(second)).createdAt()).isAfterOrEqualTo(firstThere.createdAt());
        assertThat(ids.find(INSTANCE, firstThere.id()).block(WAIT).direction()).isEqualTo(BridgeId.Direction.OUTBOUND);
        assertThat(entry(first).visibleState(reload(first).changeSeq())).isEqualTo(Delivery.State.DELIVERED);
        assertThat(events).anyMatch(e -> e.type().equals("message.delivery") && e.message().id().equals(first.id())
                && e.message().delivery().get(0).state().equals("delivered"));

        // Nothing new: a second drain sends nothing.
        long calls = sns.totalCalls();
        assertThat(drain(f).delivered()).isZero();
        assertThat(drain(f).delivered()).isZero();
        assertThat(sns.totalCalls()).isEqualTo(calls);

        // Edit, stamp, delete.
        seq(f.roomId, s -> messages.edit(first.id(), new Message.Edit(first.text(), null, first.createdAt()),
                "体温36.9度に訂正します。", null, clock.instant(), s));
        seq(f.roomId, s -> messages.stamp(second.id(), Stamp.ACCEPTED, "cm-1", true, s));
        seq(f.roomId, s -> messages.delete(reply.id(), NURSE.userId(), clock.instant(), s));
        assertThat(entry(first).visibleState(reload(first).changeSeq())).isEqualTo(Delivery.State.PENDING);
        assertThat(drain(f).delivered()).isEqualTo(3);
        assertThat(sns.message(external(first)).body()).contains("36.9度に訂正");
        assertThat(sns.message(external(second)).reactionCount("accepted")).isEqualTo(1);
        assertThat(sns.message(external(reply)).deleted()).isTrue();

        // Taking the last stamp back takes the integration account's back too.
        seq(f.roomId, s -> messages.stamp(second.id(), Stamp.ACCEPTED, "cm-1", false, s));
        drain(f);
        assertThat(sns.message(external(second)).reactionCount("accepted")).isZero();
        assertThat(sns.messages(f.pid)).hasSize(3);
    }

    @Test
    void theInboundPollNeverImportsWhatTheBridgePosted() {
        Fixture f = linkedRoom();
        post(f.roomId, "訪問しました。", null);
        drain(f);
        sns.postAs("ns-sato", f.pid, "ありがとうございます。");
        poller.pollOnce().block(WAIT);
        List<Message> here = messages.page(f.roomId, null, 50).collectList().block(WAIT);
        assertThat(here).extracting(Message::text).containsExactlyInAnyOrder("訪問しました。", "ありがとうございます。");
    }

    @Test
    void messagesFromBeforeTheLinkAreNotSentAndImportedOnesOnlyCarryStamps() {
        String roomId = room();
        post(roomId, "リンク前のメモ", null);
        String pid = project();
        String theirs = sns.postAs("ns-sato", pid, "褥瘡の写真を確認しました。");
        BridgeLink link = link(roomId, pid, 5);
        Fixture f = new Fixture(roomId, pid, link);
        Message imported = messages.findById(ExternalMessageHandler.localId(INSTANCE, theirs)).block(WAIT);
        assertThat(imported).isNotNull();

        seq(roomId, s -> messages.stamp(imported.id(), Stamp.VIEWED, "cm-1", true, s));
        drain(f);
        assertThat(sns.messages(pid)).hasSize(1);
        assertThat(sns.message(theirs).reactionCount("viewed")).isEqualTo(1);
        // Its status is not shown: it is their message.
        assertThat(jp.tsunagu.chat.api.MessageView.of(reload(imported)).delivery()).isEmpty();
    }

    @Test
    void attachmentsAreRelayedWithinTheCapAndNotedBeyondIt() throws Exception {
        Fixture f = linkedRoom();
        Attachment small = attachment(f.roomId, "bp.png", "image/png", new byte[2048]);
        Attachment big = attachment(f.roomId, "video.mp4", "video/mp4", new byte[2 * 1024 * 1024]);
        Message m = insert(f.roomId, "写真を添付します。", null, List.of(ref(small), ref(big)));
        drain(f);
        McsSimulator.Message there = sns.message(external(m));
        assertThat(there.attachments()).extracting(McsSimulator.Attachment::name).containsExactly("bp.png");
        assertThat(sns.attachmentBytes(there.attachments().get(0).id())).hasSize(2048);
        assertThat(there.body()).contains("添付「video.mp4」は大きすぎるため転送されませんでした");
    }

    // --- failures ---

    @Test
    void anOutageHoldsTheRoomBackThenEverythingGoesOutOnceInOrder() {
        Fixture f = linkedRoom();
        sns.down(true);
        List<Message> posted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            posted.add(post(f.roomId, "記録" + i, null));
        }
        OutboundDelivery.Drain first = drain(f);
        assertThat(first.delivered()).isZero();
        assertThat(first.blockedUntil()).isEqualTo(clock.instant().plusSeconds(5));
        Delivery waiting = entry(posted.get(0));
        assertThat(waiting.attempts()).isEqualTo(1);
        assertThat(waiting.error()).startsWith("unreachable");
        assertThat(entry(posted.get(1)).attempts()).isZero();

        // Not due yet: nothing is tried.
        long calls = sns.totalCalls();
        drain(f);
        assertThat(sns.totalCalls()).isEqualTo(calls);

        // Due, still down: the second step of the schedule (30 s).
        clock.advance(Duration.ofSeconds(5));
        assertThat(drain(f).blockedUntil()).isEqualTo(clock.instant().plusSeconds(30));
        assertThat(entry(posted.get(0)).attempts()).isEqualTo(2);

        // The first message is edited while it waits: it still goes first, with its new text.
        Message head = posted.get(0);
        seq(f.roomId, s -> messages.edit(head.id(), new Message.Edit(head.text(), null, head.createdAt()), "記録0（訂正）",
                null, clock.instant(), s));

        sns.down(false);
        clock.advance(Duration.ofSeconds(30));
        assertThat(drain(f).delivered()).isEqualTo(5);
        List<McsSimulator.Message> there = sns.messages(f.pid);
        assertThat(there).hasSize(5);
        List<String> order = there.stream().sorted(java.util.Comparator.comparing(McsSimulator.Message::id,
                        java.util.Comparator.comparingLong(OutboundDeliveryTests::numeric)))
                .map(McsSimulator.Message::body).toList();
        assertThat(order.get(0)).contains("記録0（訂正）");
        for (int i = 1; i < 5; i++) {
            assertThat(order.get(i)).contains("記録" + i);
        }
        assertThat(drain(f).delivered()).isZero();
        assertThat(sns.messages(f.pid)).hasSize(5);
    }

    @Test
    void aRefusedPostIsDeadLetteredAndTheRoomMovesOnAndAReplaySendsIt() {
        Fixture f = linkedRoom();
        Message refused = post(f.roomId, "送れないメモ", null);
        Message next = post(f.roomId, "次のメモ", null);
        sns.failNext(1, 400);
        OutboundDelivery.Drain d = drain(f);
        assertThat(d.deadLettered()).isEqualTo(1);
        assertThat(d.delivered()).isEqualTo(1);
        assertThat(entry(refused).visibleState(reload(refused).changeSeq())).isEqualTo(Delivery.State.FAILED);
        assertThat(entry(refused).error()).startsWith("rejected (400)");
        assertThat(sns.messages(f.pid)).hasSize(1);
        List<DeadLetter> letters = deadLetters.list(null, null, false, 10).collectList().block(WAIT);
        assertThat(letters).singleElement().satisfies(l -> {
            assertThat(l.messageId()).isEqualTo(refused.id());
            assertThat(l.operation()).isEqualTo("post");
            assertThat(l.linkId()).isEqualTo(f.link.id());
        });
        assertThat(external(next)).isNotNull();

        // A drain does not try the dead letter again by itself.
        drain(f);
        assertThat(sns.messages(f.pid)).hasSize(1);

        // Replayed: pending again, then delivered.
        OutboundScheduler scheduler = new OutboundScheduler(new ConnectorRegistry(List.of(connector)), links, delivery,
                new LinkTurns(), clock, Duration.ofSeconds(1), Duration.ofSeconds(30));
        DeadLetterHandler handler = new DeadLetterHandler(deadLetters, messages,
                new DeliveryHandler(rooms, messages, linearizer, events::add), scheduler, clock);
        handler.replay(ADMIN, letters.get(0).id()).block(WAIT);
        assertThat(entry(refused).visibleState(reload(refused).changeSeq())).isEqualTo(Delivery.State.PENDING);
        scheduler.drain(f.link.id()).block(WAIT);
        assertThat(sns.messages(f.pid)).hasSize(2);
        assertThat(entry(refused).visibleState(reload(refused).changeSeq())).isEqualTo(Delivery.State.DELIVERED);
        assertThat(deadLetters.list(null, null, false, 10).collectList().block(WAIT)).isEmpty();
    }

    @Test
    void aChangeStillFailingAfter24HoursIsDeadLettered() {
        Fixture f = linkedRoom();
        Message m = post(f.roomId, "長い障害", null);
        sns.down(true);
        drain(f);
        Instant first = clock.instant();
        for (int i = 0; i < 40 && deadLetters.list(null, null, false, 1).collectList().block(WAIT).isEmpty(); i++) {
            Instant next = entry(m).nextAttemptAt();
            assertThat(next).isNotNull();
            clock.set(next);
            drain(f);
        }
        Delivery failed = entry(m);
        assertThat(failed.state()).isEqualTo(Delivery.State.FAILED);
        assertThat(failed.error()).startsWith("gave up after");
        assertThat(clock.instant()).isEqualTo(first.plus(Duration.ofHours(24)));
        // 5 s, 30 s, 2 min, 10 min, 30 min, then hourly up to 24 h.
        assertThat(failed.attempts()).isBetween(25, 30);
    }

    @Test
    void aPostWhoseAnswerWasLostIsFoundThereInsteadOfPostedTwice() {
        Fixture f = linkedRoom();
        Message m = post(f.roomId, "回答が失われた投稿", null);
        // The SNS stores the post but answers after the connector's 2 s time-out.
        sns.delayNext(1, Duration.ofSeconds(4));
        OutboundDelivery.Drain d = drain(f);
        assertThat(d.delivered()).isZero();
        assertThat(entry(m).postStartedAt()).isNotNull();
        assertThat(sns.messages(f.pid)).hasSize(1);

        clock.advance(Duration.ofSeconds(5));
        drain(f);
        assertThat(sns.messages(f.pid)).hasSize(1);
        assertThat(entry(m).externalId()).isEqualTo(sns.messages(f.pid).get(0).id());
        assertThat(entry(m).visibleState(reload(m).changeSeq())).isEqualTo(Delivery.State.DELIVERED);
        assertThat(ids.find(INSTANCE, entry(m).externalId()).block(WAIT).direction()).isEqualTo(BridgeId.Direction.OUTBOUND);
    }

    /**
     * The interleaving behind #13: an early post that may have landed (here refused, so it stays "awaiting
     * confirmation") must never be taken for a later post whose text it prefixes. Matching by prefix mapped the
     * external post of 「ローカル10」 to 「ローカル1」: 10 was posted twice and 1 was marked as sent. Then a restart
     * (a new delivery over the same database) with one more lost answer.
     */
    @Test
    void anEarlierPostAwaitingConfirmationIsNeverTakenForALaterPostItsTextPrefixes() {
        Fixture f = linkedRoom();
        Message early = post(f.roomId, "ローカル1", null);
        sns.failNext(1, 400);
        drain(f);
        assertThat(entry(early).postStartedAt()).as("refused, yet it may have landed").isNotNull();

        List<Message> later = new ArrayList<>();
        for (int i = 2; i <= 9; i++) {
            later.add(post(f.roomId, "ローカル" + i, null));
        }
        drain(f);
        Message ten = post(f.roomId, "ローカル10", null);
        // 「ローカル10」 lands but its answer is lost; the inbound poll sees it before the next drain.
        sns.delayNext(1, Duration.ofSeconds(4));
        drain(f);
        poller.pollOnce().block(WAIT);
        clock.advance(Duration.ofSeconds(5));
        drain(f);

        Message eleven = post(f.roomId, "ローカル11", null);
        delivery = new OutboundDelivery(rooms, linearizer, StreamHandler.StoredHead.ONE_NODE, messages, attachments,
                new DeliveryHandler(rooms, messages, linearizer, events::add), ids, links, deadLetters,
                new HtmlSanitizer(), RetrySchedule.DEFAULT, 1024 * 1024, clock);
        sns.delayNext(1, Duration.ofSeconds(4));
        drain(f);
        poller.pollOnce().block(WAIT);
        clock.advance(Duration.ofSeconds(5));
        drain(f);

        List<String> there = sns.messages(f.pid).stream().map(x -> x.body().substring(x.body().indexOf("<br>") + 4)).toList();
        assertThat(there).containsExactlyInAnyOrder("ローカル2", "ローカル3", "ローカル4", "ローカル5", "ローカル6",
                "ローカル7", "ローカル8", "ローカル9", "ローカル10", "ローカル11");
        assertThat(entry(early).externalId()).as("never posted, so mapped to nothing").isNull();
        assertThat(ids.outboundOf(INSTANCE, early.id()).blockOptional(WAIT)).isEmpty();
        java.util.Set<String> externals = new java.util.HashSet<>();
        for (Message m : concat(later, List.of(ten, eleven))) {
            String x = entry(m).externalId();
            assertThat(x).as(m.text()).isNotNull();
            assertThat(externals.add(x)).as("one external post per local message: " + m.text()).isTrue();
            assertThat(ids.find(INSTANCE, x).block(WAIT).localMessageId()).isEqualTo(m.id());
        }
    }

    @Test
    void aPostWhoseSeqIsTakenWhileADrainStartsIsNotPassedByTheCursor() throws Exception {
        Fixture f = linkedRoom();
        post(f.roomId, "先の投稿", null);
        drain(f);
        Map<String, Delivery> pending = Map.of(INSTANCE, Delivery.pending(clock.instant()));
        reactor.core.publisher.Sinks.Empty<Void> release = reactor.core.publisher.Sinks.empty();
        // A post has taken its number but is not inserted yet when the drain starts.
        java.util.concurrent.CountDownLatch taken = new java.util.concurrent.CountDownLatch(1);
        var posting = linearizer.run(f.roomId, () -> rooms.nextSeq(f.roomId).doOnNext(x -> taken.countDown())
                .flatMap(seq -> release.asMono()
                .then(messages.insert(new Message(Ids.newId(), f.roomId, seq, seq, Message.Change.CREATED, NURSE,
                        "間に合った投稿", null, null, null, Priority.NORMAL, Message.Mentions.NONE, List.of(), List.of(),
                        Map.of(), List.of(), clock.instant(), null, null, "h", null, pending))))).toFuture();
        assertThat(taken.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        var draining = delivery.drain(links.findById(f.link.id()).block(WAIT), connector).toFuture();
        release.tryEmitEmpty();
        posting.join();
        draining.join();
        drain(f);
        assertThat(sns.messages(f.pid)).extracting(McsSimulator.Message::body)
                .anySatisfy(b -> assertThat(b).endsWith("間に合った投稿"));
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void aThousandMessagesPostedDuringAnOutageInSeveralRoomsGoOutExactlyOnceInRoomOrder() {
        List<Fixture> fixtures = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            fixtures.add(linkedRoom());
        }
        sns.down(true);
        for (int i = 0; i < 250; i++) {
            for (Fixture f : fixtures) {
                insert(f.roomId, f.roomId.substring(0, 6) + "-" + i, null, List.of());
            }
        }
        fixtures.forEach(this::drain);
        sns.down(false);
        clock.advance(Duration.ofSeconds(5));
        for (Fixture f : fixtures) {
            assertThat(drain(f).delivered()).isEqualTo(250);
            List<McsSimulator.Message> there = new ArrayList<>(sns.messages(f.pid));
            there.sort(java.util.Comparator.comparingLong(m -> numeric(m.id())));
            assertThat(there).hasSize(250);
            for (int i = 0; i < 250; i++) {
                assertThat(there.get(i).body()).endsWith(f.roomId.substring(0, 6) + "-" + i);
            }
        }
    }

    // --- helpers ---

    private record Fixture(String roomId, String pid, BridgeLink link) {
    }

    private Fixture linkedRoom() {
        String roomId = room();
        String pid = project();
        return new Fixture(roomId, pid, link(roomId, pid, 0));
    }

    private OutboundDelivery.Drain drain(Fixture f) {
        return delivery.drain(links.findById(f.link.id()).block(WAIT), connector).block(WAIT);
    }

    private String room() {
        String id = Ids.newId();
        rooms.insert(new CareRoom(id, RoomKind.GROUP, "山田さんチーム", null, false, null, null, clock.instant(), "cm",
                0, 0, null, clock.instant(), null, List.of())).block(WAIT);
        return id;
    }

    private String project() {
        String pid = sns.createProject("patient", "山田 花子 様");
        sns.addMember(pid, "tsunagu-out");
        sns.addMember(pid, "ns-sato");
        return pid;
    }

    private BridgeLink link(String roomId, String pid, int backfill) {
        var view = linkHandler.link(ADMIN, new LinkHandler.LinkRequest(roomId, INSTANCE, pid, backfill)).block(WAIT);
        return links.findById(view.id()).block(WAIT);
    }

    private Message post(String roomId, String text, String parentId) {
        return insert(roomId, text, parentId, List.of());
    }

    /** What MessageHandler writes for a post: the next seq, pending for every bridge of the room. */
    private Message insert(String roomId, String text, String parentId, List<Message.AttachmentRef> refs) {
        CareRoom room = rooms.findById(roomId).block(WAIT);
        Map<String, Delivery> pending = room.bridges().isEmpty() ? null : Map.of(INSTANCE, Delivery.pending(clock.instant()));
        return linearizer.run(roomId, () -> rooms.nextSeq(roomId).flatMap(seq -> messages.insert(new Message(
                Ids.newId(), roomId, seq, seq, Message.Change.CREATED, NURSE, text, null, parentId,
                parentId, Priority.NORMAL, Message.Mentions.NONE, List.of(), refs, Map.of(), List.of(), clock.instant(),
                null, null, "h", null, pending)))).block(WAIT);
    }

    private void seq(String roomId, java.util.function.LongFunction<Mono<Message>> change) {
        linearizer.run(roomId, () -> rooms.nextSeq(roomId).flatMap(change::apply)).block(WAIT);
    }

    private Attachment attachment(String roomId, String name, String type, byte[] bytes) throws Exception {
        Path file = Files.createTempFile("att", ".bin");
        Files.write(file, bytes);
        String fileId = attachments.putContent(file, name, type).block(WAIT);
        return attachments.insert(new Attachment(Ids.newId(), roomId, NURSE.userId(), name, type, bytes.length, "sha",
                fileId, null, null, null, clock.instant())).block(WAIT);
    }

    private static Message.AttachmentRef ref(Attachment a) {
        return new Message.AttachmentRef(a.id(), a.name(), a.contentType(), a.size(), false);
    }

    private Message reload(Message m) {
        return messages.findById(m.id()).block(WAIT);
    }

    private Delivery entry(Message m) {
        Message now = reload(m);
        return now.delivery() == null ? null : now.delivery().get(INSTANCE);
    }

    private String external(Message m) {
        Delivery d = entry(m);
        return d == null ? null : d.externalId();
    }

    /** The simulator's ids end in a counter; sorting by it is sorting by arrival. */
    private static long numeric(String id) {
        return Long.parseLong(id.replaceAll("\\D", ""));
    }
}
