package jp.tsunagu.chat.notify;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.DayOfWeek;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;

import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Acknowledgement;
import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.MongoInboxStore;
import jp.tsunagu.chat.message.MongoMessageStore;
import jp.tsunagu.chat.message.MongoReadStore;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.MemberRole;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MongoMembershipStore;
import jp.tsunagu.chat.room.MongoRoomStore;
import jp.tsunagu.chat.room.NotifyLevel;
import jp.tsunagu.chat.room.RoomKind;
import jp.tsunagu.chat.support.MongoLeases;
import jp.tsunagu.chat.support.MovableClock;
import jp.tsunagu.chat.support.TestMongo;
import jp.tsunagu.connectors.push.VapidKeys;
import jp.tsunagu.connectors.push.WebPushSender;
import jp.tsunagu.connectors.push.simulator.PushServiceSimulator;
import jp.tsunagu.connectors.push.simulator.SimulatedDevice;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sender against the push service simulator, on the embedded MongoDB, with the time moved by hand: who gets
 * what, when nothing is sent, urgent repeats until acknowledged, retries, gone devices, a restart, and clearing
 * after a read elsewhere. Rounds are run by hand; the sending the moment a write lands is tested on its own.
 */
class NotificationSenderTests {

    /** A Wednesday, 10:00 in Japan. */
    private static final Instant NOW = Instant.parse("2026-12-09T01:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration REPEAT = Duration.ofMinutes(5);
    private static final int REPEATS = 6;
    private static final String ROOM = "0123456789abcdef01234567";
    private static final String NURSE = "ns-sato";
    private static final String MANAGER = "cm-suzuki";
    private static final String DOCTOR = "dr-tanaka";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static TestMongo db;
    private ReactiveMongoTemplate mongo;
    private MovableClock clock;
    private PushServiceSimulator service;
    private MongoRoomStore rooms;
    private MongoMembershipStore memberships;
    private MongoNotifyProfileStore profiles;
    private MongoNotificationStore queue;
    private MessageStore messages;
    private MongoReadStore reads;
    private NotificationMetrics metrics;
    private NotificationSender sender;
    private Notifier notifier;
    private long seq;

    @BeforeAll
    static void startMongo() {
        db = new TestMongo();
    }

    @AfterAll
    static void stopMongo() {
        db.close();
    }

    @BeforeEach
    void wire() {
        mongo = db.freshDatabase();
        clock = new MovableClock(NOW);
        service = new PushServiceSimulator(clock).start(0);
        rooms = new MongoRoomStore(mongo);
        memberships = new MongoMembershipStore(mongo, clock);
        profiles = new MongoNotifyProfileStore(mongo);
        queue = new MongoNotificationStore(mongo);
        metrics = new NotificationMetrics();
        sender = sender("node-a");
        notifier = new Notifier(new NotificationPlanner(4, Duration.ofHours(1)), queue, sender, clock);
        messages = new MongoMessageStore(mongo, new MongoInboxStore(mongo), notifier, clock);
        reads = new MongoReadStore(mongo, notifier);
        rooms.insert(new CareRoom(ROOM, RoomKind.PATIENT, "山田 花子 様", null, false, null, null, NOW, MANAGER, 0, 0,
                null, NOW, null, List.of())).block(WAIT);
        for (String u : List.of(NURSE, MANAGER, DOCTOR)) {
            memberships.save(new Membership(Membership.idOf(ROOM, u), ROOM, u, u, Profession.NURSE, "f", "f",
                    MemberRole.MEMBER, true, ++seq, NOW, null, null)).block(WAIT);
        }
    }

    @AfterEach
    void stop() {
        sender.close();
        // Whatever a test does, every push the simulator got carried a valid token and decrypted.
        assertThat(service.refusals()).allMatch(r -> r.endsWith(": gone"));
        service.close();
    }

    private NotificationSender sender(String node) {
        return new NotificationSender(queue, profiles, id -> messages.findById(id), memberships,
                new MongoReadStore(mongo), rooms,
                new WebPushSender(VapidKeys.generate(), "mailto:ops@example.org", Duration.ofSeconds(2),
                        Duration.ofSeconds(5), clock),
                new MongoLeases(mongo, "leases", node, Duration.ofSeconds(30), clock), 4,
                new NotificationSender.Settings(REPEAT, REPEATS, Duration.ofDays(1), Duration.ofHours(12)), metrics,
                JSON, clock);
    }

    // ---- who gets what ----

    @Test
    void aMentionReachesEveryDeviceOfThePersonCarryingIdsOnly() {
        SimulatedDevice phone = device(NURSE);
        SimulatedDevice tablet = device(NURSE);
        Message m = post(MANAGER, "血圧 168/95、ワーファリン服用中です", List.of(NURSE), Priority.NORMAL, null, null);

        round();

        for (SimulatedDevice d : List.of(phone, tablet)) {
            assertThat(service.received(d.id())).hasSize(1);
            JsonNode payload = JSON.readTree(service.received(d.id()).get(0).payload());
            assertThat(payload.propertyNames()).containsExactlyInAnyOrder("v", "type", "id", "round", "roomId",
                    "messageId", "seq", "reason", "urgent", "title");
            assertThat(payload.path("messageId").asString()).isEqualTo(m.id());
            assertThat(payload.path("roomId").asString()).isEqualTo(ROOM);
            assertThat(payload.path("reason").asString()).isEqualTo("mention");
            assertThat(payload.path("title").asString()).isEqualTo("メンションがあります");
            assertThat(service.received(d.id()).get(0).payload()).doesNotContain("血圧", "ワーファリン", "山田", MANAGER);
            assertThat(service.received(d.id()).get(0).headers()).containsEntry("Urgency", "normal");
        }
        assertThat(only(NURSE).state()).isEqualTo(Notification.State.SENT);
        assertThat(profiles.find(NURSE).block(WAIT).shown()).containsEntry(ROOM, m.seq());
        assertThat(metrics.sentCount()).isEqualTo(2);
    }

    @Test
    void nobodyHearsOfTheirOwnMessageOrOfOneThatDoesNotConcernThem() {
        device(NURSE);
        device(MANAGER);
        post(NURSE, "自分の記録", List.of(NURSE), Priority.NORMAL, null, null);
        post(NURSE, "ただの記録", List.of(), Priority.NORMAL, null, null);

        round();

        assertThat(all()).isEmpty();
    }

    @Test
    void aMentionReadBeforeItsPushLeavesIsNotPushed() {
        SimulatedDevice phone = device(NURSE);
        Message m = post(MANAGER, "確認お願いします", List.of(NURSE), Priority.NORMAL, null, null);
        read(NURSE, m.seq());

        round();

        assertThat(service.received(phone.id())).isEmpty();
        assertThat(only(NURSE).outcome()).isEqualTo("read");
    }

    @Test
    void aRoomSetToNoneHearsOnlyOfUrgentMessagesAskingForAcknowledgement() {
        SimulatedDevice phone = device(NURSE);
        rooms.setNotifyLevel(ROOM, NURSE, NotifyLevel.NONE).block(WAIT);
        post(MANAGER, "メンション", List.of(NURSE), Priority.NORMAL, null, null);
        post(MANAGER, "依頼", List.of(), Priority.NORMAL, request(NURSE, NOW.plus(Duration.ofDays(1))), null);
        Message urgent = post(DOCTOR, "至急", List.of(), Priority.URGENT, null, List.of(NURSE));

        round();

        assertThat(service.received(phone.id())).singleElement()
                .satisfies(p -> assertThat(JSON.readTree(p.payload()).path("messageId").asString()).isEqualTo(urgent.id()));
    }

    @Test
    void aRoomSetToAllHearsEveryMessageAndADirectRoomDoesByDefault() {
        SimulatedDevice phone = device(NURSE);
        rooms.setNotifyLevel(ROOM, NURSE, NotifyLevel.ALL).block(WAIT);
        post(MANAGER, "今日の様子", List.of(), Priority.NORMAL, null, null);

        String direct = "0123456789abcdef0123456f";
        rooms.insert(new CareRoom(direct, RoomKind.DIRECT, null, null, false, null, null, NOW, MANAGER, 0, 0, null, NOW,
                MANAGER + "|" + NURSE, List.of())).block(WAIT);
        memberships.save(new Membership(Membership.idOf(direct, NURSE), direct, NURSE, NURSE, Profession.NURSE, "f",
                "f", MemberRole.MEMBER, true, ++seq, NOW, null, null)).block(WAIT);
        post(direct, MANAGER, "お疲れさまです", List.of(), Priority.NORMAL, null, null);

        round();

        assertThat(service.received(phone.id())).extracting(p -> JSON.readTree(p.payload()).path("reason").asString())
                .containsExactly("message", "message");
    }

    @Test
    void quietHoursAndDoNotDisturbHoldBackAllButUrgentMessagesAskingForAcknowledgement() {
        SimulatedDevice phone = device(NURSE);
        // 10:00 on a Wednesday in Japan is inside 09:00-12:00 on Wednesdays.
        profiles.setQuiet(NURSE, null, new QuietHours(List.of(DayOfWeek.WEDNESDAY), LocalTime.of(9, 0), LocalTime.of(12, 0)))
                .block(WAIT);
        post(MANAGER, "メンション", List.of(NURSE), Priority.NORMAL, null, null);
        Message urgent = post(DOCTOR, "至急", List.of(), Priority.URGENT, null, List.of(NURSE));

        round();

        assertThat(service.received(phone.id())).singleElement().satisfies(p -> {
            assertThat(JSON.readTree(p.payload()).path("messageId").asString()).isEqualTo(urgent.id());
            assertThat(p.headers()).containsEntry("Urgency", "high");
        });
        assertThat(all()).extracting(Notification::outcome).contains("quiet-hours");

        profiles.setQuiet(NURSE, NOW.plus(Duration.ofHours(1)), null).block(WAIT);
        post(MANAGER, "もう一度", List.of(NURSE), Priority.NORMAL, null, null);
        awaitNoneDue();
        assertThat(all()).extracting(Notification::outcome).contains("do-not-disturb");
        assertThat(service.received(phone.id())).hasSize(1);
    }

    // ---- urgent repeats ----

    @Test
    void anUrgentMessageRepeatsEveryFiveMinutesUntilThePersonAcknowledges() {
        SimulatedDevice phone = device(DOCTOR);
        Message urgent = post(NURSE, "血圧 80/50、意識レベル低下", List.of(), Priority.URGENT, null, List.of(DOCTOR));

        round();
        assertThat(service.received(phone.id())).hasSize(1);
        clock.advance(REPEAT.minusSeconds(10));
        sender.run().block(WAIT);
        assertThat(service.received(phone.id())).as("not before five minutes").hasSize(1);
        clock.advance(Duration.ofSeconds(10));
        sender.run().block(WAIT);
        clock.advance(REPEAT);
        sender.run().block(WAIT);
        assertThat(service.received(phone.id())).hasSize(3)
                .extracting(p -> JSON.readTree(p.payload()).path("round").asInt()).containsExactly(0, 1, 2);

        acknowledge(urgent, DOCTOR);
        for (int i = 0; i < 5; i++) {
            clock.advance(REPEAT);
            sender.run().block(WAIT);
        }

        assertThat(service.received(phone.id())).hasSize(3);
        assertThat(only(DOCTOR).state()).isEqualTo(Notification.State.SENT);
        assertThat(only(DOCTOR).outcome()).isEqualTo("acknowledged");
    }

    @Test
    void anUrgentMessageNobodyAcknowledgesStopsAfterSixRepeats() {
        SimulatedDevice phone = device(DOCTOR);
        post(NURSE, "至急", List.of(), Priority.URGENT, null, List.of(DOCTOR));

        round();
        for (int i = 0; i < REPEATS + 3; i++) {
            clock.advance(REPEAT);
            sender.run().block(WAIT);
        }

        assertThat(service.received(phone.id())).hasSize(1 + REPEATS);
        assertThat(only(DOCTOR).state()).isEqualTo(Notification.State.SENT);
    }

    @Test
    void theOnCallContactAnEscalationAddsIsNotifiedAsUrgentEvenIfNotifiedOfTheMessageBefore() {
        SimulatedDevice nursePhone = device(NURSE);
        SimulatedDevice doctorPhone = device(DOCTOR);
        Message urgent = post(MANAGER, "至急", List.of(DOCTOR), Priority.URGENT, null, List.of(NURSE));
        round();
        assertThat(service.received(doctorPhone.id())).hasSize(1);

        messages.escalate(urgent, new Acknowledgement.Escalation(2, clock.instant(), List.of(NURSE), DOCTOR, "n1"), null,
                urgent.seq() + 1).block(WAIT);

        // Sent the moment the step lands: this node holds the shards since the round.
        awaitPushes(doctorPhone, 2);
        assertThat(service.received(doctorPhone.id())).hasSize(2)
                .extracting(p -> JSON.readTree(p.payload()).path("reason").asString()).containsExactly("mention", "urgent");
        assertThat(service.received(nursePhone.id())).hasSize(1);
    }

    // ---- requests ----

    @Test
    void aRequestTellsItsAssigneeAndRemindsThemOnceAnHourBeforeItIsDue() {
        SimulatedDevice phone = device(NURSE);
        Instant due = NOW.plus(Duration.ofDays(1));
        post(MANAGER, "訪問報告をお願いします", List.of(), Priority.NORMAL, request(NURSE, due), null);

        round();
        clock.set(due.minus(Duration.ofHours(1)).minusSeconds(1));
        sender.run().block(WAIT);
        assertThat(service.received(phone.id())).hasSize(1);
        // Reminders are looked at every half minute.
        clock.set(due.minus(Duration.ofHours(1)).plus(NotificationSender.REMINDERS_EVERY));
        sender.run().block(WAIT);
        clock.advance(Duration.ofMinutes(30));
        sender.run().block(WAIT);

        assertThat(service.received(phone.id())).extracting(p -> JSON.readTree(p.payload()).path("reason").asString())
                .containsExactly("request", "due");
    }

    // ---- devices ----

    @Test
    void aDeviceShowingTheRoomNowGetsNothingAndTheOthersDo() {
        SimulatedDevice phone = device(NURSE);
        SimulatedDevice desk = device(NURSE);
        profiles.setViewing(NURSE, deviceId(desk), ROOM, NOW.plus(Duration.ofMinutes(2))).block(WAIT);
        post(MANAGER, "メンション", List.of(NURSE), Priority.NORMAL, null, null);

        round();

        assertThat(service.received(phone.id())).hasSize(1);
        assertThat(service.received(desk.id())).isEmpty();
    }

    @Test
    void aDeviceThePushServiceSaysIsGoneIsForgotten() {
        SimulatedDevice phone = device(NURSE);
        SimulatedDevice old = device(NURSE);
        service.expire(old.id());
        post(MANAGER, "メンション", List.of(NURSE), Priority.NORMAL, null, null);

        round();

        assertThat(service.received(phone.id())).hasSize(1);
        assertThat(profiles.find(NURSE).block(WAIT).devices()).containsOnlyKeys(deviceId(phone));
        assertThat(metrics.expiredCount()).isEqualTo(1);
        assertThat(only(NURSE).state()).isEqualTo(Notification.State.SENT);
    }

    @Test
    void aThrottledPushIsRetriedAfterTheTimeTheServiceAsksAndOnlyToTheDevicesNotReached() {
        SimulatedDevice phone = device(NURSE);
        SimulatedDevice tablet = device(NURSE);
        service.failNext(tablet.id(), 429, 60);
        post(MANAGER, "メンション", List.of(NURSE), Priority.NORMAL, null, null);

        round();
        assertThat(service.received(phone.id())).hasSize(1);
        assertThat(service.received(tablet.id())).isEmpty();
        assertThat(only(NURSE).state()).isEqualTo(Notification.State.QUEUED);

        clock.advance(Duration.ofSeconds(59));
        sender.run().block(WAIT);
        assertThat(service.received(tablet.id())).isEmpty();
        clock.advance(Duration.ofSeconds(2));
        sender.run().block(WAIT);

        assertThat(service.received(tablet.id())).hasSize(1);
        assertThat(service.received(phone.id())).hasSize(1);
        assertThat(only(NURSE).state()).isEqualTo(Notification.State.SENT);
    }

    @Test
    void aServerErrorIsRetriedWithBackoffAndGivenUpAfterTheLastAttempt() {
        SimulatedDevice phone = device(NURSE);
        for (int i = 0; i < NotificationSender.MAX_ATTEMPTS; i++) {
            service.failNext(phone.id(), 500, 1);
        }
        post(MANAGER, "メンション", List.of(NURSE), Priority.NORMAL, null, null);

        round();
        for (int i = 0; i < NotificationSender.MAX_ATTEMPTS + 2; i++) {
            clock.advance(NotificationSender.MAX_BACKOFF);
            sender.run().block(WAIT);
        }

        assertThat(service.received(phone.id())).isEmpty();
        assertThat(only(NURSE).state()).isEqualTo(Notification.State.DROPPED);
        assertThat(only(NURSE).outcome()).isEqualTo("failed");
        assertThat(only(NURSE).attempts()).isEqualTo(NotificationSender.MAX_ATTEMPTS - 1);
    }

    @Test
    void nobodyWithoutADeviceIsSentAnything() {
        post(MANAGER, "メンション", List.of(NURSE), Priority.NORMAL, null, null);
        round();
        assertThat(only(NURSE).outcome()).isEqualTo("no-device");
    }

    // ---- durability ----

    @Test
    void aNotificationWhoseMessageNeverLandedIsPutOffThenDropped() {
        SimulatedDevice phone = device(NURSE);
        Message never = message(ROOM, "0123456789abcdef0000ffff", MANAGER, "x", List.of(NURSE), Priority.NORMAL, null, null, 99);
        notifier.newMessage(never, rooms.audience(ROOM).block(WAIT)).block(WAIT);

        round();
        assertThat(only(NURSE).state()).isEqualTo(Notification.State.QUEUED);
        clock.advance(NotificationSender.NEVER_LANDED);
        sender.run().block(WAIT);

        assertThat(only(NURSE).outcome()).isEqualTo("never-posted");
        assertThat(service.received(phone.id())).isEmpty();
    }

    @Test
    void aNodeTakingOverAfterACrashSendsWhatWasLeftQueuedAndNothingTwice() {
        List<SimulatedDevice> phones = new ArrayList<>();
        for (String u : List.of(NURSE, DOCTOR)) {
            phones.add(device(u));
        }
        post(MANAGER, "一通目", List.of(NURSE, DOCTOR), Priority.NORMAL, null, null);
        round();
        // Node A dies holding its leases (no clean shutdown) right after two more notifications were queued, before
        // it sent them: as if written through a node that never sends.
        NotificationSender dead = sender("node-dead");
        MessageStore throughDead = new MongoMessageStore(mongo, new MongoInboxStore(mongo),
                new Notifier(new NotificationPlanner(4, Duration.ofHours(1)), queue, dead, clock), clock);
        long s = roomSeq.incrementAndGet();
        throughDead.insert(message(ROOM, String.format("%024x", s), MANAGER, "二通目", List.of(NURSE, DOCTOR),
                Priority.NORMAL, null, null, s), rooms.audience(ROOM).block(WAIT)).block(WAIT);
        NotificationSender b = sender("node-b");
        clock.advance(NotificationPlanner.LANDING_GRACE.plusSeconds(1));
        b.run().block(WAIT);
        assertThat(phones).allSatisfy(p -> assertThat(service.received(p.id())).as("A's leases still live").hasSize(1));

        clock.advance(Duration.ofSeconds(31));
        b.run().block(WAIT);
        b.run().block(WAIT);

        assertThat(phones).allSatisfy(p -> assertThat(service.received(p.id()))
                .extracting(x -> JSON.readTree(x.payload()).path("seq").asLong()).doesNotHaveDuplicates().hasSize(2));
        assertThat(all()).allSatisfy(n -> assertThat(n.state()).isEqualTo(Notification.State.SENT));
        b.close();
    }

    @Test
    void enqueuingAgainChangesNothingEvenOnceSent() {
        device(NURSE);
        Message m = post(MANAGER, "メンション", List.of(NURSE), Priority.NORMAL, null, null);
        round();
        notifier.newMessage(m, rooms.audience(ROOM).block(WAIT)).block(WAIT);
        round();
        assertThat(only(NURSE).state()).isEqualTo(Notification.State.SENT);
        assertThat(metrics.sentCount()).isEqualTo(1);
    }

    // ---- at once, and clearing ----

    @Test
    void aNotificationLeavesTheMomentItsWriteLandsOnTheNodeHoldingTheShard() {
        SimulatedDevice phone = device(NURSE);
        sender.run().block(WAIT);

        post(MANAGER, "メンション", List.of(NURSE), Priority.NORMAL, null, null);

        awaitPushes(phone, 1);
        assertThat(service.received(phone.id())).hasSize(1);
    }

    @Test
    void readingTheRoomOnOneDeviceClosesItsNotificationsOnTheOthersOnce() {
        SimulatedDevice phone = device(NURSE);
        Message m = post(MANAGER, "メンション", List.of(NURSE), Priority.NORMAL, null, null);
        round();

        read(NURSE, m.seq());
        awaitPushes(phone, 2);
        JsonNode clear = JSON.readTree(service.received(phone.id()).get(1).payload());
        assertThat(clear.path("type").asString()).isEqualTo("clear");
        assertThat(clear.path("seq").asLong()).isEqualTo(m.seq());
        awaitCleared();

        read(NURSE, m.seq() + 1);
        round();
        assertThat(service.received(phone.id())).as("nothing shown: no push").hasSize(2);
    }

    // ---- helpers ----

    private void round() {
        clock.advance(NotificationPlanner.LANDING_GRACE.plusSeconds(1));
        sender.run().block(WAIT);
    }

    private SimulatedDevice device(String userId) {
        SimulatedDevice d = service.subscribe();
        profiles.addDevice(userId, deviceId(d), new NotifyProfile.Device(d.endpoint(), d.p256dh(), d.auth(), NOW,
                "test", null, null)).block(WAIT);
        return d;
    }

    private static String deviceId(SimulatedDevice d) {
        return "00000000000000000000" + String.format("%04d", Integer.parseInt(d.id().substring(1)));
    }

    private final AtomicLong roomSeq = new AtomicLong(100);

    private Message post(String author, String text, List<String> mentions, Priority priority, CareRequest request,
                         List<String> acknowledgers) {
        return post(ROOM, author, text, mentions, priority, request, acknowledgers);
    }

    private Message post(String roomId, String author, String text, List<String> mentions, Priority priority,
                         CareRequest request, List<String> acknowledgers) {
        long s = roomSeq.incrementAndGet();
        String id = String.format("%024x", s);
        Message m = message(roomId, id, author, text, mentions, priority, request, acknowledgers, s);
        return messages.insert(m, rooms.audience(roomId).block(WAIT)).block(WAIT);
    }

    private Message message(String roomId, String id, String author, String text, List<String> mentions,
                            Priority priority, CareRequest request, List<String> acknowledgers, long s) {
        Acknowledgement ack = acknowledgers == null ? null
                : new Acknowledgement(acknowledgers, List.of(), 0, clock.instant().plus(Duration.ofMinutes(15)), List.of());
        return new Message(id, roomId, s, s, Message.Change.CREATED,
                new Message.Author(author, author, Profession.NURSE, "f", "f"), text, null, null, null, priority,
                new Message.Mentions(mentions, List.of(), false), mentions, List.of(), Map.of(), List.of(),
                clock.instant(), null, null, "h" + id, null, null, null, null, request, ack);
    }

    private CareRequest request(String assignee, Instant due) {
        return new CareRequest(CareRequest.Kind.REPORT, new CareRequest.Assignees(List.of(assignee), List.of(), List.of()),
                List.of(assignee), assignee, MANAGER, due, CareRequest.State.OPEN, List.of());
    }

    private void acknowledge(Message m, String userId) {
        messages.apply(new MessageStore.Act(m, userId, null, null, null,
                new Acknowledgement.Ack(userId, clock.instant(), "call"), true, m.seq() + 50,
                Message.Change.ACKNOWLEDGED)).block(WAIT);
    }

    private void read(String userId, long upTo) {
        reads.save(new ReadReceipt(Membership.idOf(ROOM, userId), ROOM, userId, userId, Profession.NURSE, "f", upTo,
                upTo + 1000, clock.instant())).block(WAIT);
    }

    /** What the queue, the reminders and the delivery log hold. */
    private List<Notification> all() {
        return reactor.core.publisher.Flux.just(MongoNotificationStore.QUEUE, MongoNotificationStore.REMINDERS,
                        MongoNotificationStore.LOG)
                .concatMap(c -> mongo.find(new Query(), Notification.class, c)).collectList().block(WAIT);
    }

    private Notification only(String userId) {
        return all().stream().filter(n -> n.userId().equals(userId) && n.reason() != Notification.Reason.CLEAR)
                .reduce((a, b) -> { throw new AssertionError("more than one notification for " + userId); })
                .orElseThrow();
    }

    /** Waits for pushes sent off the test's thread (the sending the moment a write lands), up to 10 s. */
    private void awaitPushes(SimulatedDevice d, int count) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (service.received(d.id()).size() < count && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        assertThat(service.received(d.id())).hasSizeGreaterThanOrEqualTo(count);
    }

    /** Waits until the sending off the test's thread handled every notification due, up to 10 s. */
    private void awaitNoneDue() {
        long end = System.nanoTime() + WAIT.toNanos();
        while (all().stream().anyMatch(this::due) && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        assertThat(all()).noneMatch(this::due);
    }

    /** Queued and due by the end of its landing grace (a repeat or a retry later is not). */
    private boolean due(Notification n) {
        return n.state() == Notification.State.QUEUED
                && !n.dueAt().isAfter(clock.instant().plus(NotificationPlanner.LANDING_GRACE));
    }

    private void awaitCleared() {
        long end = System.nanoTime() + WAIT.toNanos();
        while (profiles.find(NURSE).block(WAIT).shown().containsKey(ROOM) && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        assertThat(profiles.find(NURSE).block(WAIT).shown()).doesNotContainKey(ROOM);
    }
}
