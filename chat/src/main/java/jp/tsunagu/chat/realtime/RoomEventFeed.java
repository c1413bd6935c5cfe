package jp.tsunagu.chat.realtime;

import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.ObjLongConsumer;

import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.OperationType;
import org.bson.BsonDocument;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the room event log ({@link MongoRoomEventLog}) from a MongoDB change stream and delivers every entry,
 * this node's own included, to the hubs: one path and one order for all nodes.
 *
 * <p>The stream's resume token is kept in {@code node_cursors} under the node's name, so a node restarted with
 * the same {@code tsunagu.node.id} resumes where it stopped, and a stream broken by a failover or a network
 * fault resumes from the last entry read. When the resume point has left the oplog, the events in between are
 * lost to this node: every connection gets {@code resync} and reloads, and the stream starts again from now.
 *
 * <p>One thread with the synchronous driver: a change stream is one cursor read in a loop, and
 * {@code tryNext} lets the loop pause on servers that answer an empty batch at once instead of waiting for data
 * (the embedded {@code mongo-java-server}), where the reactive driver would ask again without pause.
 */
public final class RoomEventFeed implements AutoCloseable {

    public static final String CURSORS = "node_cursors";
    /**
     * Errors that mean the stream cannot resume from its token: ChangeStreamHistoryLost (286),
     * ChangeStreamFatalError (280), InvalidResumeToken (260), per MongoDB's error codes.
     */
    static final Set<Integer> HISTORY_LOST = Set.of(286, 280, 260);
    /** How long a real MongoDB holds an empty read open waiting for new entries. */
    private static final Duration MAX_AWAIT = Duration.ofSeconds(1);
    /**
     * Pause after an empty batch that came back at once (a server that does not wait for data). Each read costs
     * the embedded server a scan of its oplog. Measured on 2 cores, two nodes at 50 posts/s (BENCHMARKS.md,
     * "Two nodes"): 3 ms gave a cross-node p99 of 20 ms for 0.86 cores; 10 ms gave 28 ms; 0 spins a core.
     */
    private static final long IDLE_PAUSE_MS = 3;
    /** An empty answer faster than this did not wait for data. */
    private static final long NO_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Resume tokens are saved at most this often: a restart re-reads at most this much, which the hubs drop. */
    private static final Duration SAVE_EVERY = Duration.ofSeconds(1);
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(1);

    private static final Logger log = LoggerFactory.getLogger(RoomEventFeed.class);

    private final MongoDatabase database;
    private final RoomEventHub hub;
    private final ObjLongConsumer<String> seen;
    private final String node;
    private final Clock clock;
    private final Function<BsonDocument, MongoChangeStreamCursor<ChangeStreamDocument<Document>>> opener;
    private final CountDownLatch opened = new CountDownLatch(1);
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong historyLost = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile java.util.function.LongConsumer lagMillis = ms -> { };
    private BsonDocument token;
    private BsonDocument savedToken;
    private long savedAtNanos;

    public RoomEventFeed(MongoDatabase database, RoomEventHub hub, MongoRoomEventLog eventLog, String node, Clock clock) {
        this(database, hub, eventLog::seen, node, clock, null);
    }

    /**
     * @param seen   told of every number read (the log's writers then need not look it up)
     * @param opener opens the change stream after a token (null: from now); null for the real collection
     */
    RoomEventFeed(MongoDatabase database, RoomEventHub hub, ObjLongConsumer<String> seen, String node, Clock clock,
                  Function<BsonDocument, MongoChangeStreamCursor<ChangeStreamDocument<Document>>> opener) {
        this.database = database;
        this.hub = hub;
        this.seen = seen;
        this.node = node;
        this.clock = clock;
        this.opener = opener != null ? opener : this::open;
        this.thread = new Thread(this::run, "room-event-feed");
        this.thread.setDaemon(true);
    }

    /** Starts reading, from the saved token if this node has one; returns once the stream is open. */
    public RoomEventFeed start(Duration waitForOpen) {
        Document saved = database.getCollection(CURSORS).find(new Document("_id", node)).first();
        if (saved != null && saved.get("token") instanceof Document t) {
            token = t.toBsonDocument();
            savedToken = token;
            log.info("room event feed of node {} resumes from its saved position", node);
        }
        thread.start();
        try {
            if (!opened.await(waitForOpen.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("room event feed not open after {}; it keeps trying", waitForOpen);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return this;
    }

    public long readCount() {
        return read.get();
    }

    public long historyLostCount() {
        return historyLost.get();
    }

    /** Told, for every entry read, how long after its writing it reached this node (the cross-node delivery lag). */
    public void onLag(java.util.function.LongConsumer lagMillis) {
        this.lagMillis = lagMillis;
    }

    private MongoChangeStreamCursor<ChangeStreamDocument<Document>> open(BsonDocument after) {
        var stream = database.getCollection(MongoRoomEventLog.COLLECTION).watch()
                .maxAwaitTime(MAX_AWAIT.toMillis(), TimeUnit.MILLISECONDS);
        return (after == null ? stream : stream.resumeAfter(after)).cursor();
    }

    private void run() {
        boolean failing = false;
        while (running) {
            try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = opener.apply(token)) {
                opened.countDown();
                if (failing) {
                    log.info("room event feed of node {} resumed", node);
                    failing = false;
                }
                while (running) {
                    long started = System.nanoTime();
                    ChangeStreamDocument<Document> change = cursor.tryNext();
                    if (change != null) {
                        handle(change);
                    }
                    BsonDocument resumeToken = cursor.getResumeToken();
                    if (resumeToken != null) {
                        token = resumeToken;
                    }
                    saveTokenNowAndThen(false);
                    if (change == null && System.nanoTime() - started < NO_WAIT_NANOS) {
                        Thread.sleep(IDLE_PAUSE_MS);
                    }
                }
            } catch (InterruptedException | MongoInterruptedException e) {
                break;
            } catch (MongoException e) {
                if (!running) {
                    break;
                }
                if (HISTORY_LOST.contains(e.getCode())) {
                    historyLost.incrementAndGet();
                    log.warn("room event feed of node {} cannot resume ({}): events were lost, every connection resyncs",
                            node, e.getMessage());
                    token = null;
                    hub.resyncAll("events_lost");
                    opened.countDown();
                    continue;
                }
                if (!failing) {
                    log.warn("room event feed of node {} broke; resuming from its last position: {}", node, e.toString());
                    failing = true;
                }
                if (!pause()) {
                    break;
                }
            } catch (RuntimeException e) {
                log.error("room event feed of node {} failed; resuming from its last position", node, e);
                if (!pause()) {
                    break;
                }
            }
        }
        saveTokenNowAndThen(true);
    }

    private void handle(ChangeStreamDocument<Document> change) {
        if (change.getOperationType() != OperationType.INSERT || change.getFullDocument() == null) {
            return;
        }
        Document d = change.getFullDocument();
        String roomId = d.getString("roomId");
        read.incrementAndGet();
        if (d.get("at") instanceof Date at) {
            lagMillis.accept(Math.max(0, clock.millis() - at.getTime()));
        }
        if (d.containsKey("lateSeq")) {
            hub.late(roomId, ((Number) d.get("lateSeq")).longValue());
            return;
        }
        long seq = ((Number) d.get("seq")).longValue();
        seen.accept(roomId, seq);
        hub.deliver(Boolean.TRUE.equals(d.getBoolean("skipped")) ? LoggedEvent.skip(roomId, seq)
                : new LoggedEvent(roomId, seq, d.getString("type"), d.getString("json"), d.getString("removedUserId"), false));
    }

    private void saveTokenNowAndThen(boolean now) {
        if (token == null || token.equals(savedToken)) {
            return;
        }
        if (!now && System.nanoTime() - savedAtNanos < SAVE_EVERY.toNanos()) {
            return;
        }
        try {
            database.getCollection(CURSORS).replaceOne(new Document("_id", node),
                    new Document("_id", node).append("token", token).append("at", Date.from(clock.instant())),
                    new ReplaceOptions().upsert(true));
            savedToken = token;
            savedAtNanos = System.nanoTime();
        } catch (MongoException e) {
            log.debug("resume token of node {} not saved this time: {}", node, e.toString());
        }
    }

    private boolean pause() {
        try {
            Thread.sleep(RETRY_PAUSE.toMillis());
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(3));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
