package jp.tsunagu.chat.realtime;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import jp.tsunagu.chat.support.TestMongo;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The room event log's writers, as two nodes: a number goes into the log only after the one before it, so the log
 * of a room is complete and in order whatever order the nodes stored their changes in.
 */
class MongoRoomEventLogTests {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final TestMongo MONGO = new TestMongo();
    private static final Duration HOLE_TIMEOUT = Duration.ofMillis(300);

    private ReactiveMongoTemplate mongo;
    private RoomEventHub hub;
    private MongoRoomEventLog nodeA;
    private MongoRoomEventLog nodeB;

    @BeforeEach
    void setUp() {
        mongo = MONGO.freshDatabase();
        hub = new RoomEventHub(1, JsonMapper.builder().build(), true);
        nodeA = new MongoRoomEventLog(mongo, hub, "node-a", HOLE_TIMEOUT, Clock.systemUTC());
        nodeB = new MongoRoomEventLog(mongo, hub, "node-b", HOLE_TIMEOUT, Clock.systemUTC());
        nodeA.createIndexes().block(WAIT);
    }

    @AfterEach
    void closeHub() {
        hub.close();
    }

    @AfterAll
    static void closeMongo() {
        MONGO.close();
    }

    private static RoomEvent posted(long seq) {
        return new RoomEvent("message.created", "room-1", seq, null, null, null, null);
    }

    private List<Document> log() {
        return Flux.from(mongo.getCollection(MongoRoomEventLog.COLLECTION).block(WAIT).find().sort(new Document("seq", 1)))
                .collectList().block(WAIT);
    }

    private List<Long> logged() {
        return log().stream().filter(d -> d.containsKey("seq")).map(d -> d.getLong("seq")).toList();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void aNumberWaitsForTheOneBeforeItTakenOnAnotherNode() throws InterruptedException {
        nodeA.publish(posted(1));
        await(() -> logged().equals(List.of(1L)), "1 logged");
        nodeA.taken("room-1", 2);
        nodeB.taken("room-1", 3);
        nodeB.publish(posted(3));       // node b stored 3 first
        Thread.sleep(HOLE_TIMEOUT.toMillis() / 3);
        assertThat(logged()).as("3 waits for 2").containsExactly(1L);
        nodeA.publish(posted(2));
        await(() -> logged().equals(List.of(1L, 2L, 3L)), "2, then 3");
        assertThat(log()).extracting(d -> d.getString("node")).containsExactly("node-a", "node-a", "node-b");
        assertThat(log()).noneMatch(d -> d.containsKey("skipped"));
        assertThat(log().get(2).getString("json")).contains("\"seq\":3");
    }

    @Test
    void aNumberTakenAndNotUsedIsLoggedAsSkippedWhenTheTurnEnds() throws InterruptedException {
        nodeA.taken("room-1", 1);
        nodeA.turnEnded("room-1");           // the change turned out to change nothing
        nodeA.taken("room-1", 2);
        nodeA.taken("room-1", 3);
        nodeA.publish(posted(3));           // 2 failed, 3 went through in the same turn
        await(() -> logged().equals(List.of(1L, 2L, 3L)), "1, 2 and 3");
        assertThat(log()).extracting(d -> d.containsKey("skipped")).containsExactly(true, true, false);
        assertThat(nodeA.filledCount()).isZero();
    }

    @Test
    void aNumberAbandonedByADeadNodeIsMarkedSkippedAfterTheTimeoutAndItsLateEventResyncs() throws InterruptedException {
        nodeA.publish(posted(1));
        await(() -> logged().equals(List.of(1L)), "1 logged");
        nodeA.taken("room-1", 2);           // node a stalls (or dies) before it stores 2
        nodeB.publish(posted(3));
        await(() -> logged().equals(List.of(1L, 2L, 3L)), "2 marked skipped after the timeout, then 3");
        assertThat(log().get(1).getBoolean("skipped")).isTrue();
        assertThat(nodeB.filledCount()).isEqualTo(1);

        nodeA.publish(posted(2));           // node a comes back: too late for its place in the log
        await(() -> log().stream().anyMatch(d -> d.containsKey("lateSeq")), "a late marker");
        assertThat(nodeA.lateCount()).isEqualTo(1);
        assertThat(logged()).containsExactly(1L, 2L, 3L);
    }

    @Test
    void theStoredHeadIsTheLastLoggedNumberOrTheRoomsCounterWhenTheLogHasNothing() throws InterruptedException {
        var room = new jp.tsunagu.chat.room.CareRoom("room-1", null, null, null, false, null, null, null, null, 42, 0,
                null, null, null, null);
        assertThat(nodeA.storedHead(room).block(WAIT)).isEqualTo(42);
        nodeA.publish(posted(1));
        nodeA.publish(posted(2));
        await(() -> logged().size() == 2, "two logged");
        assertThat(nodeA.storedHead(room).block(WAIT)).isEqualTo(2);
    }
}
