package jp.tsunagu.chat.handler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Acknowledgement;
import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.InboxBackfill;
import jp.tsunagu.chat.message.InboxEntries;
import jp.tsunagu.chat.message.InboxEntries.Section;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MongoInboxStore;
import jp.tsunagu.chat.message.MongoMessageStore;
import jp.tsunagu.chat.message.MongoReadStore;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.message.RoomInbox;
import jp.tsunagu.chat.room.MemberRole;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MongoMembershipStore;
import jp.tsunagu.chat.room.MongoRoomStore;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.MovableClock;
import jp.tsunagu.chat.support.TestMongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * The inbox read from its projection: what a crash or a late write can leave there (an entry whose message was
 * never stored, a finished request still filed, a removal filed behind a newer write) never shows and never
 * hides what should show.
 */
class InboxHandlerTests {

    private static final Instant NOW = Instant.parse("2026-12-04T01:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String ROOM = Ids.derived("room", "yamada");
    private static final String NURSE = "ns-sato";
    private static final String MANAGER = "cm-suzuki";

    private static TestMongo db;
    private ReactiveMongoTemplate mongo;
    private MovableClock clock;
    private MongoInboxStore inboxes;
    private MongoMessageStore messages;
    private MongoMembershipStore memberships;
    private MongoReadStore reads;
    private InboxHandler handler;
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
    void freshDatabase() {
        mongo = db.freshDatabase();
        clock = new MovableClock(NOW);
        inboxes = new MongoInboxStore(mongo);
        messages = new MongoMessageStore(mongo, inboxes, clock);
        memberships = new MongoMembershipStore(mongo, clock);
        reads = new MongoReadStore(mongo);
        handler = new InboxHandler(new MongoRoomStore(mongo), memberships, messages, inboxes, reads, clock);
        for (String u : List.of(NURSE, MANAGER)) {
            memberships.save(new Membership(Membership.idOf(ROOM, u), ROOM, u, u, Profession.NURSE, "f", "f",
                    MemberRole.MEMBER, true, ++seq, NOW, null, null)).block(WAIT);
        }
    }

    @Test
    void aRequestShowsToItsAssigneeAndToItsRequesterOnceOverdue() {
        Message asked = messages.insert(request("ask-1", CareRequest.State.OPEN, NOW.plus(Duration.ofHours(2)))).block(WAIT);

        assertThat(ids(inbox(NURSE).requests())).containsExactly(asked.id());
        assertThat(inbox(MANAGER).myRequests()).isEmpty();
        clock.advance(Duration.ofHours(3));
        assertThat(inbox(MANAGER).myRequests()).extracting(InboxHandler.Item::kind).containsExactly("my_request_overdue");
    }

    @Test
    void anEntryWhoseMessageWasNeverStoredIsNotShownAndGoesOnceNoWriteCanBeInFlight() {
        Message lost = request("crashed", CareRequest.State.OPEN, NOW.plus(Duration.ofHours(2)));
        // What a crash between the filing and the insert leaves.
        inboxes.file(InboxEntries.of(lost, clock.instant())).block(WAIT);

        assertThat(inbox(NURSE).requests()).isEmpty();
        assertThat(projection(NURSE).asked()).containsKey(lost.id());
        clock.advance(InboxHandler.IN_FLIGHT.plusSeconds(1));
        assertThat(inbox(NURSE).requests()).isEmpty();
        assertThat(projection(NURSE).asked()).isEmpty();
    }

    @Test
    void aFinishedRequestStillFiledIsNeitherShownNorKept() {
        Message m = messages.insert(request("done", CareRequest.State.OPEN, NOW.plus(Duration.ofHours(2)))).block(WAIT);
        // Finished behind the store's back: what a crash before the removal leaves.
        mongo.updateFirst(Query.query(where("_id").is(m.id())), new Update().set("request",
                m.request().moved(CareRequest.State.DONE, NURSE, NOW, null)), Message.class).block(WAIT);

        assertThat(inbox(NURSE).requests()).isEmpty();
        assertThat(projection(NURSE).asked()).isEmpty();
    }

    @Test
    void aRemovalFiledLateForAnOlderStateNeverTakesOutWhatTheNewerStateFiled() {
        Message accepted = messages.insert(request("late", CareRequest.State.ACCEPTED, NOW.minus(Duration.ofHours(1)))).block(WAIT);
        CareRequest declined = accepted.request().moved(CareRequest.State.DECLINED, NURSE, NOW, "本日は訪問枠がありません");
        inboxes.file(InboxEntries.ofRequest(accepted, declined, clock.instant())).block(WAIT);
        mongo.updateFirst(Query.query(where("_id").is(accepted.id())), new Update().set("request", declined), Message.class)
                .block(WAIT);
        // The accepted state's removals arrive after the decline was filed (another node, slower).
        inboxes.file(InboxEntries.settled(accepted)).block(WAIT);

        assertThat(inbox(MANAGER).myRequests()).extracting(InboxHandler.Item::kind).containsExactly("my_request_declined");
        assertThat(projection(MANAGER).made()).as("settled by the decline, taken out when read").isEmpty();
    }

    @Test
    void aSectionFullOfStaleEntriesIsFilledFromTheNextOnes() {
        List<String> live = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            Message m = messages.insert(request("many-" + i, CareRequest.State.OPEN, NOW.plus(Duration.ofMinutes(10 + i))))
                    .block(WAIT);
            if (i < 30) {
                mongo.updateFirst(Query.query(where("_id").is(m.id())), new Update().set("request",
                        m.request().moved(CareRequest.State.DONE, NURSE, NOW, null)), Message.class).block(WAIT);
            } else {
                live.add(m.id());
            }
        }

        InboxHandler.PartItems part = handler.part(new CareUser(NURSE, NURSE, Profession.NURSE, "f", "f", Set.of()),
                InboxHandler.Part.REQUESTS).block(WAIT);

        assertThat(ids(part.items())).containsExactlyElementsOf(live);
        assertThat(part.count()).isEqualTo(40);
        assertThat(projection(NURSE).asked()).hasSize(40);
    }

    @Test
    void theOverviewShowsTheFirstPageOfEachPartAndCountsTheRest() {
        List<String> asked = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            asked.add(messages.insert(request("page-" + i, CareRequest.State.OPEN, NOW.plus(Duration.ofMinutes(10 + i))))
                    .block(WAIT).id());
        }
        // Stale entries among the first: skipped, taken out, and the page filled from the next ones.
        for (String id : asked.subList(0, 3)) {
            Message m = messages.findById(id).block(WAIT);
            mongo.updateFirst(Query.query(where("_id").is(id)), new Update().set("request",
                    m.request().moved(CareRequest.State.DONE, NURSE, NOW, null)), Message.class).block(WAIT);
        }
        messages.insert(urgent("page-urgent")).block(WAIT);

        InboxHandler.Inbox inbox = inbox(NURSE);

        assertThat(ids(inbox.requests())).containsExactlyElementsOf(asked.subList(3, 3 + InboxHandler.FIRST_PAGE));
        assertThat(inbox.counts().requests()).as("57 open, counted up to the limit").isEqualTo(InboxHandler.PART_LIMIT);
        assertThat(inbox.counts().acknowledgements()).isEqualTo(1);
        assertThat(inbox.counts().total()).isEqualTo(InboxHandler.PART_LIMIT + 2);
        assertThat(projection(NURSE).asked()).hasSize(57);
    }

    @Test
    void readMentionsAndAcknowledgedMessagesLeaveTheInbox() {
        Message urgent = messages.insert(urgent("urgent-1")).block(WAIT);
        assertThat(ids(inbox(NURSE).acknowledgements())).containsExactly(urgent.id());
        assertThat(ids(inbox(NURSE).mentions())).containsExactly(urgent.id());

        messages.apply(new jp.tsunagu.chat.message.MessageStore.Act(urgent, NURSE, null, null, null,
                new Acknowledgement.Ack(NURSE, NOW, "call"), true, ++seq, Message.Change.ACKNOWLEDGED)).block(WAIT);
        reads.save(new ReadReceipt(Membership.idOf(ROOM, NURSE), ROOM, NURSE, NURSE, Profession.NURSE, "f",
                urgent.seq(), ++seq, NOW)).block(WAIT);

        assertThat(inbox(NURSE).acknowledgements()).isEmpty();
        assertThat(inbox(NURSE).mentions()).isEmpty();
        assertThat(projection(NURSE).acknowledge()).isEmpty();
        assertThat(projection(NURSE).mentions()).isEmpty();
    }

    @Test
    void aDeletedMessageLeavesEveryInbox() {
        Message m = messages.insert(urgent("deleted")).block(WAIT);

        messages.delete(m.id(), MANAGER, NOW, ++seq).block(WAIT);

        assertThat(projection(NURSE).acknowledge()).isEmpty();
        assertThat(projection(NURSE).mentions()).isEmpty();
    }

    @Test
    void theBackfillFilesMessagesStoredBeforeTheProjectionOnce() {
        Message before = request("before", CareRequest.State.OPEN, NOW.plus(Duration.ofHours(2)));
        mongo.insert(before).block(WAIT);
        mongo.insert(urgent("before-urgent")).block(WAIT);
        InboxBackfill backfill = new InboxBackfill(mongo, inboxes, clock, "node-a");

        assertThat(backfill.run().block(WAIT)).isEqualTo(2);

        assertThat(ids(inbox(NURSE).requests())).containsExactly(before.id());
        assertThat(inbox(NURSE).acknowledgements()).hasSize(1);
        assertThat(new InboxBackfill(mongo, inboxes, clock, "node-b").run().block(WAIT)).as("done once").isZero();
    }

    private InboxHandler.Inbox inbox(String userId) {
        return handler.inbox(new CareUser(userId, userId, Profession.NURSE, "f", "f", Set.of())).block(WAIT);
    }

    /** The person's entries in the room, as stored. */
    private RoomInbox projection(String userId) {
        return inboxes.of(userId, List.of(ROOM)).next()
                .defaultIfEmpty(new RoomInbox(RoomInbox.idOf(ROOM, userId), ROOM, userId, null, null, null, null, null))
                .block(WAIT);
    }

    private static List<String> ids(List<InboxHandler.Item> items) {
        return items.stream().map(i -> i.message().id()).toList();
    }

    private Message request(String key, CareRequest.State state, Instant due) {
        List<CareRequest.Transition> history = new ArrayList<>();
        history.add(new CareRequest.Transition(CareRequest.State.OPEN, MANAGER, NOW, null));
        if (state != CareRequest.State.OPEN) {
            history.add(new CareRequest.Transition(state, NURSE, NOW, null));
        }
        CareRequest r = new CareRequest(CareRequest.Kind.REPORT, new CareRequest.Assignees(List.of(NURSE), null, null),
                List.of(NURSE), NURSE, MANAGER, due, state, history);
        return message(key, Priority.NORMAL, List.of(), r, null);
    }

    private Message urgent(String key) {
        return message(key, Priority.URGENT, List.of(NURSE), null,
                new Acknowledgement(List.of(NURSE), List.of(), 0, NOW.plus(Duration.ofMinutes(15)), List.of()));
    }

    private Message message(String key, Priority priority, List<String> mentioned, CareRequest request,
                            Acknowledgement ack) {
        long s = ++seq;
        return new Message(Ids.derived("message", key), ROOM, s, s, Message.Change.CREATED,
                new Message.Author(MANAGER, MANAGER, Profession.CARE_MANAGER, "f", "f"), "訪問後に報告をお願いします", null,
                null, null, priority, new Message.Mentions(mentioned, List.of(), false), mentioned, List.of(), Map.of(),
                List.of(), clock.instant().plusMillis(s), null, null, null, null, null, null, null, request, ack);
    }
}
