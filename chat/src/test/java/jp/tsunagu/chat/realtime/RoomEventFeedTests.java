package jp.tsunagu.chat.realtime;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.mongodb.MongoCommandException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The feed on a {@code mongo-java-server} with its oplog: entries reach the hubs in log order, the position is
 * saved under the node's name and used again, and a position the server no longer has makes every connection
 * resync.
 */
class RoomEventFeedTests {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private final MongoServer server = new MongoServer(new MemoryBackend());
    private final MongoClient client;
    private final MongoDatabase database;
    private final RoomEventHub hub = new RoomEventHub(1, JsonMapper.builder().build(), true);
    private final List<AutoCloseable> closing = new ArrayList<>();

    RoomEventFeedTests() {
        server.enableOplog();
        client = MongoClients.create("mongodb://127.0.0.1:" + server.bind().getPort());
        database = client.getDatabase("feed");
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        hub.close();
        client.close();
        server.shutdownNow();
    }

    private RoomEventFeed feed(java.util.function.Function<BsonDocument, com.mongodb.client.MongoChangeStreamCursor<
            com.mongodb.client.model.changestream.ChangeStreamDocument<org.bson.Document>>> opener) {
        RoomEventFeed feed = new RoomEventFeed(database, hub, (roomId, seq) -> { }, "node-t", Clock.systemUTC(), opener);
        closing.add(feed);
        return feed.start(WAIT);
    }

    private void logEntry(long seq) {
        database.getCollection(MongoRoomEventLog.COLLECTION).insertOne(new org.bson.Document("_id", "room-1:" + seq)
                .append("roomId", "room-1").append("seq", seq).append("type", "message.created")
                .append("json", "{\"type\":\"message.created\",\"seq\":" + seq + "}"));
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(condition.getAsBoolean()).isTrue();
    }

    @Test
    void entriesReachTheHubsInOrderAndTheNextStartResumesAfterTheLastOneRead() throws InterruptedException {
        StreamConnection c = new StreamConnection("user-1", 64, false);
        hub.join("room-1", c, 0).block(WAIT);
        hub.joined("room-1", c, List.of(), 0).block(WAIT);
        RoomEventFeed first = new RoomEventFeed(database, hub, (roomId, seq) -> { }, "node-t", Clock.systemUTC(), null).start(WAIT);
        for (long seq = 1; seq <= 3; seq++) {
            logEntry(seq);
        }
        StepVerifier.create(c.frames().take(3).map(StreamConnection.Frame::seq)).expectNext(1L, 2L, 3L)
                .expectComplete().verify(WAIT);
        await(() -> first.readCount() == 3);
        first.close();
        assertThat(database.getCollection(RoomEventFeed.CURSORS).find(new org.bson.Document("_id", "node-t")).first())
                .as("position saved under the node's name").isNotNull();

        logEntry(4);
        logEntry(5);                        // written while the node was down
        RoomEventFeed again = new RoomEventFeed(database, hub, (roomId, seq) -> { }, "node-t", Clock.systemUTC(), null).start(WAIT);
        closing.add(again);
        await(() -> again.readCount() == 2);
        assertThat(again.readCount()).as("4 and 5 only: it went on from 3").isEqualTo(2);
    }

    @Test
    void aPositionNoLongerInTheOplogResyncsEveryConnectionAndTheFeedStartsAgainFromNow() throws InterruptedException {
        StreamConnection c = new StreamConnection("user-1", 64, false);
        hub.join("room-1", c, 0).block(WAIT);
        hub.joined("room-1", c, List.of(), 0).block(WAIT);
        AtomicInteger opens = new AtomicInteger();
        java.util.concurrent.CountDownLatch reopened = new java.util.concurrent.CountDownLatch(1);
        RoomEventFeed lost = feed(after -> {
            if (opens.getAndIncrement() == 0) {
                // What a replica set answers when the resume point has left the oplog.
                throw new MongoCommandException(new BsonDocument("ok", new BsonInt32(0)).append("code", new BsonInt32(286))
                        .append("errmsg", new BsonString("ChangeStreamHistoryLost")), new ServerAddress());
            }
            var cursor = database.getCollection(MongoRoomEventLog.COLLECTION).watch().cursor();
            reopened.countDown();
            return cursor;
        });
        StepVerifier.create(c.frames().take(1).map(StreamConnection.Frame::json))
                .expectNextMatches(json -> json.contains("\"resync\"") && json.contains("events_lost"))
                .expectComplete().verify(WAIT);
        assertThat(lost.historyLostCount()).isEqualTo(1);
        assertThat(reopened.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).as("opened again, from now").isTrue();
        logEntry(1);
        await(() -> lost.readCount() == 1);
    }
}
