package jp.tsunagu.chat.realtime;

import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import com.mongodb.reactivestreams.client.MongoCollection;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * The room event log of several nodes ({@code room_events}): every node writes its own changes' events here,
 * and every node's hubs read them back in order from a change stream ({@link RoomEventFeed}).
 *
 * <p>A room's sequence numbers are taken on the room document and the changes are then stored, so two nodes
 * can store 11 before 10. The log puts them back in order where it is cheapest, at the writer: a node logs
 * number s only once s-1 is in the log, so the log of a room, and the change stream reading it, holds every
 * number in order and a reader needs no reordering. A number taken and not used (a change that turned out to
 * change nothing, a failed write) is logged as skipped by its node when the room's turn ends; one abandoned by
 * a node that died is marked skipped by the next writer after {@code holeTimeout}. A writer that finds its
 * number already marked skipped (it stalled longer than that) logs a late marker instead, and every node sends
 * the room's connections {@code resync}: the change is stored, only its live delivery came too late.
 *
 * <p>Documents: {@code _id = roomId:seq}, {@code roomId}, {@code seq}, {@code type}, {@code json} (the frame,
 * serialised once), {@code removedUserId}, {@code skipped}, {@code node}, {@code at}; late markers have
 * {@code _id = roomId:seq:late} and {@code lateSeq} instead of {@code seq}. A TTL index keeps
 * {@link #RETENTION}.
 */
public final class MongoRoomEventLog implements RoomEventPublisher {

    public static final String COLLECTION = "room_events";
    /**
     * How long the log keeps events. Readers need seconds (a restarted node minutes). A day keeps the log of any
     * room active that day, so a node finds the room's last number in it, while a deleted or edited message's
     * earlier text, which its frames carry, stays here no longer than that.
     */
    public static final Duration RETENTION = Duration.ofDays(1);
    /** How often a writer looks again for the number before its own; changes in flight land within milliseconds. */
    private static final Duration PREDECESSOR_POLL = Duration.ofMillis(5);
    /** A writer that cannot reach the database keeps trying this long before it gives its event up. */
    private static final Duration WRITE_RETRY_FOR = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(MongoRoomEventLog.class);

    private final ReactiveMongoTemplate mongo;
    private final RoomEventHub hub;
    private final String node;
    private final Duration holeTimeout;
    private final Clock clock;
    /** Orders this node's writes per room; separate from the rooms' turns, which do not wait for the log. */
    private final RoomLinearizer writes = new RoomLinearizer();
    /** Per room, the highest number known to be in the log (written here or read back): its predecessors are. */
    private final Map<String, Long> known = new ConcurrentHashMap<>();
    /** Per room, numbers this node took and has not logged yet. */
    private final Map<String, TreeSet<Long>> taken = new ConcurrentHashMap<>();
    private final AtomicLong logged = new AtomicLong();
    private final AtomicLong filled = new AtomicLong();
    private final AtomicLong late = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();

    /**
     * @param hub         serialises each event once
     * @param node        this node's name, kept in each entry for operators
     * @param holeTimeout how long a missing number may keep the room's later events waiting before it is marked
     *                    skipped; it must exceed the longest stall between taking a number and storing its change
     */
    public MongoRoomEventLog(ReactiveMongoTemplate mongo, RoomEventHub hub, String node, Duration holeTimeout,
                             Clock clock) {
        this.mongo = mongo;
        this.hub = hub;
        this.node = node;
        this.holeTimeout = holeTimeout;
        this.clock = clock;
    }

    /** Creates the log's indexes: the room's last number, and expiry. */
    public Mono<Void> createIndexes() {
        return collection().flatMap(c -> Flux.concat(
                        c.createIndex(Indexes.compoundIndex(Indexes.ascending("roomId"), Indexes.descending("seq"))),
                        c.createIndex(Indexes.ascending("at"),
                                new IndexOptions().expireAfter(RETENTION.toSeconds(), TimeUnit.SECONDS)))
                .then());
    }

    /** A number this node took for a change of the room (see {@link jp.tsunagu.chat.room.MongoRoomStore}). */
    public void taken(String roomId, long seq) {
        taken.compute(roomId, (r, numbers) -> {
            TreeSet<Long> set = numbers == null ? new TreeSet<>() : numbers;
            set.add(seq);
            return set;
        });
    }

    /** Logs the event after any number this node took below it and did not use. */
    @Override
    public void publish(RoomEvent event) {
        LoggedEvent logged = LoggedEvent.of(event, hub.serialise(event));
        for (long unused : takeUpTo(event.roomId(), event.seq())) {
            write(LoggedEvent.skip(event.roomId(), unused));
        }
        write(logged);
    }

    /** The room's turn ended: numbers it took and did not use are logged as skipped. */
    public void turnEnded(String roomId) {
        for (long unused : takeUpTo(roomId, Long.MAX_VALUE)) {
            write(LoggedEvent.skip(roomId, unused));
        }
    }

    /** Another node's entry was read back; its number and every one below are in the log. */
    void seen(String roomId, long seq) {
        known.merge(roomId, seq, Math::max);
    }

    /**
     * The last number of the room in the log, up to which every change is stored; the room's counter when the
     * log has nothing of the room (no change in {@link #RETENTION}).
     */
    public Mono<Long> storedHead(CareRoom room) {
        return lastLogged(Filters.eq("roomId", room.id())).defaultIfEmpty(room.seq());
    }

    /** The highest number among the room's entries that {@code filter} matches; empty when none does. */
    private Mono<Long> lastLogged(Bson filter) {
        return collection().flatMap(c -> Mono.from(c.find(filter)
                        .sort(Sorts.descending("seq")).projection(Projections.include("seq")).limit(1).first()))
                .map(d -> ((Number) d.get("seq")).longValue());
    }

    public long loggedCount() {
        return logged.get();
    }

    /** Numbers marked skipped after {@code holeTimeout} because no node logged them. */
    public long filledCount() {
        return filled.get();
    }

    public long lateCount() {
        return late.get();
    }

    /** Events not logged because the database stayed unreachable. */
    public long lostCount() {
        return lost.get();
    }

    private List<Long> takeUpTo(String roomId, long seq) {
        List<Long>[] out = new List[] {List.of()};
        taken.computeIfPresent(roomId, (r, numbers) -> {
            var head = numbers.headSet(seq, false);
            out[0] = List.copyOf(head);
            head.clear();
            numbers.remove(seq);
            return numbers.isEmpty() ? null : numbers;
        });
        return out[0];
    }

    private void write(LoggedEvent event) {
        writes.run(event.roomId(), () -> afterPredecessor(event.roomId(), event.seq(), System.nanoTime() + holeTimeout.toNanos())
                        .then(insert(event)))
                .subscribe(null, e -> {
                    lost.incrementAndGet();
                    log.error("room {}: event {} not logged; other nodes' clients miss it live", event.roomId(),
                            event.seq(), e);
                });
    }

    /** Completes once number {@code seq - 1} of the room is in the log, or has been marked skipped. */
    private Mono<Void> afterPredecessor(String roomId, long seq, long deadline) {
        if (seq <= 1 || known.getOrDefault(roomId, 0L) >= seq - 1) {
            return Mono.empty();
        }
        return collection()
                .flatMap(c -> Mono.from(c.find(Filters.eq("_id", id(roomId, seq - 1))).projection(Projections.include("_id")).first()))
                .hasElement()
                .flatMap(present -> {
                    if (present) {
                        seen(roomId, seq - 1);
                        return Mono.empty();
                    }
                    if (System.nanoTime() - deadline > 0) {
                        return fillBelow(roomId, seq);
                    }
                    return Mono.delay(PREDECESSOR_POLL).then(afterPredecessor(roomId, seq, deadline));
                });
    }

    /**
     * Marks skipped the numbers between the room's last logged one and {@code seq}. With nothing of the room in
     * the log (a room idle for {@link #RETENTION}, or a log just switched on), the log starts at {@code seq - 1}.
     */
    private Mono<Void> fillBelow(String roomId, long seq) {
        return lastLogged(Filters.and(Filters.eq("roomId", roomId), Filters.lt("seq", seq)))
                .defaultIfEmpty(seq - 2)
                .flatMapMany(last -> Flux.range(0, (int) Math.min(seq - 1 - last, Integer.MAX_VALUE)).map(i -> last + 1 + i))
                .concatMap(missing -> {
                    filled.incrementAndGet();
                    log.warn("room {}: number {} was taken and never logged within {}; marked skipped", roomId,
                            missing, holeTimeout);
                    return insert(LoggedEvent.skip(roomId, missing));
                })
                .then();
    }

    private Mono<Void> insert(LoggedEvent event) {
        Document doc = new Document("_id", id(event.roomId(), event.seq()))
                .append("roomId", event.roomId())
                .append("seq", event.seq())
                .append("node", node)
                .append("at", Date.from(clock.instant()));
        if (event.skipped()) {
            doc.append("skipped", true);
        } else {
            doc.append("type", event.type()).append("json", event.json());
            if (event.removedUserId() != null) {
                doc.append("removedUserId", event.removedUserId());
            }
        }
        return collection().flatMap(c -> Mono.from(c.insertOne(doc)))
                .doOnNext(ok -> logged.incrementAndGet())
                .then()
                .onErrorResume(MongoRoomEventLog::isDuplicate, e -> alreadyThere(event))
                .retryWhen(Retry.backoff(1 + WRITE_RETRY_FOR.toMillis() / 500, Duration.ofMillis(50))
                        .maxBackoff(Duration.ofSeconds(1))
                        .filter(e -> !isDuplicate(e)))
                .doOnSuccess(ok -> seen(event.roomId(), event.seq()));
    }

    /**
     * The number is already in the log: this node's own insert whose answer was lost, another writer's skip mark
     * (nothing to do for a skip), or a skip mark over this event, which then came too late.
     */
    private Mono<Void> alreadyThere(LoggedEvent event) {
        if (event.skipped()) {
            return Mono.empty();
        }
        return collection()
                .flatMap(c -> Mono.from(c.find(Filters.eq("_id", id(event.roomId(), event.seq()))).first()))
                .filter(existing -> Boolean.TRUE.equals(existing.getBoolean("skipped")))
                .flatMap(skip -> {
                    late.incrementAndGet();
                    log.warn("room {}: event {} came after its number was marked skipped; the room's clients resync",
                            event.roomId(), event.seq());
                    Document marker = new Document("_id", id(event.roomId(), event.seq()) + ":late")
                            .append("roomId", event.roomId()).append("lateSeq", event.seq())
                            .append("node", node).append("at", Date.from(clock.instant()));
                    return collection().flatMap(c -> Mono.from(c.insertOne(marker)))
                            .onErrorResume(MongoRoomEventLog::isDuplicate, e -> Mono.empty());
                })
                .then();
    }

    static boolean isDuplicate(Throwable e) {
        return e instanceof MongoWriteException w && w.getError().getCategory() == ErrorCategory.DUPLICATE_KEY;
    }

    static String id(String roomId, long seq) {
        return roomId + ":" + seq;
    }

    private Mono<MongoCollection<Document>> collection() {
        return mongo.getCollection(COLLECTION);
    }
}
