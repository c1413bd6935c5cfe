package jp.tsunagu.chat.room;

import java.time.Duration;
import java.time.Instant;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.support.MovableClock;
import jp.tsunagu.chat.support.TestMongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * "My rooms" read from the per-user list of rooms: a superset the memberships are checked against, never
 * missing a room whose membership is active, whatever order a leave, a re-join and a reader's tidying land in.
 */
class MongoMembershipStoreTests {

    private static final Instant NOW = Instant.parse("2026-12-05T01:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String NURSE = "ns-sato";

    private static TestMongo db;
    private ReactiveMongoTemplate mongo;
    private MovableClock clock;
    private MongoMembershipStore store;
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
        store = new MongoMembershipStore(mongo, clock);
    }

    @Test
    void activeOfListsTheRoomsTheUserIsAnActiveMemberOf() {
        store.save(membership("room-a", true)).block(WAIT);
        store.save(membership("room-b", true)).block(WAIT);
        store.save(membership("room-b", false)).block(WAIT);

        assertThat(store.activeOf(NURSE, 100).map(Membership::roomId).collectList().block(WAIT)).containsExactly("room-a");
        assertThat(store.activeOf(NURSE, 1).collectList().block(WAIT)).hasSize(1);
        assertThat(store.activeOf("nobody", 100).collectList().block(WAIT)).isEmpty();
    }

    @Test
    void aLeftRoomIsTakenOutOfTheListOnlyOnceNoJoinCanBeInFlight() {
        store.save(membership("room-a", true)).block(WAIT);
        store.save(membership("room-a", false)).block(WAIT);

        store.activeOf(NURSE, 100).collectList().block(WAIT);
        assertThat(rooms()).containsKey("room-a");

        clock.advance(MongoMembershipStore.IN_FLIGHT.plusSeconds(1));
        assertThat(store.activeOf(NURSE, 100).collectList().block(WAIT)).isEmpty();
        assertThat(rooms()).doesNotContainKey("room-a");
    }

    @Test
    void aRejoinRefilesTheRoomSoATidyingOfTheOldEntryMissesIt() {
        store.save(membership("room-a", true)).block(WAIT);
        store.save(membership("room-a", false)).block(WAIT);
        clock.advance(MongoMembershipStore.IN_FLIGHT.plusSeconds(1));
        Object stale = rooms().get("room-a");

        store.save(membership("room-a", true)).block(WAIT);

        assertThat(rooms().get("room-a")).as("filed again, fresh").isNotEqualTo(stale);
        assertThat(store.activeOf(NURSE, 100).map(Membership::roomId).collectList().block(WAIT)).containsExactly("room-a");
        clock.advance(MongoMembershipStore.IN_FLIGHT.plusSeconds(1));
        assertThat(store.activeOf(NURSE, 100).map(Membership::roomId).collectList().block(WAIT)).containsExactly("room-a");
    }

    @Test
    void theBackfillFilesMembershipsStoredBeforeTheListOnce() {
        mongo.save(membership("room-a", true)).block(WAIT);
        mongo.save(membership("room-b", false)).block(WAIT);

        assertThat(store.backfill().block(WAIT)).isEqualTo(1);

        assertThat(store.activeOf(NURSE, 100).map(Membership::roomId).collectList().block(WAIT)).containsExactly("room-a");
        mongo.save(membership("room-c", true)).block(WAIT);
        assertThat(new MongoMembershipStore(mongo, clock).backfill().block(WAIT)).as("done once").isZero();
    }

    @Test
    void theBackfillFilesEveryPersonOfALargeDatabase() {
        // More people than the backfill files at once, and more memberships than a stream buffers.
        for (int u = 0; u < 300; u++) {
            for (int r = 0; r < 3; r++) {
                mongo.save(new Membership(Membership.idOf("room-" + r, "u" + u), "room-" + r, "u" + u, "u" + u,
                        Profession.NURSE, "f", "f", MemberRole.MEMBER, true, ++seq, NOW, null, null)).block(WAIT);
            }
        }
        assertThat(store.backfill().block(WAIT)).isEqualTo(900);
        assertThat(store.activeOf("u299", 100).collectList().block(WAIT)).hasSize(3);
    }

    private Document rooms() {
        return mongo.findById(NURSE, Document.class, MongoMembershipStore.USER_ROOMS).block(WAIT).get("rooms", Document.class);
    }

    private Membership membership(String roomId, boolean active) {
        return new Membership(Membership.idOf(roomId, NURSE), roomId, NURSE, NURSE, Profession.NURSE, "f", "f",
                MemberRole.MEMBER, active, ++seq, NOW, null, null);
    }
}
