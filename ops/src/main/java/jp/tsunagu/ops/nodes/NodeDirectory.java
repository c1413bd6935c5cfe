package jp.tsunagu.ops.nodes;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;
import org.bson.Document;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import jp.tsunagu.bridge.link.LinkLeases;
import jp.tsunagu.chat.realtime.RoomEventFeed;
import jp.tsunagu.chat.realtime.RoomEventHub;
import jp.tsunagu.chat.support.PeriodicRounds;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Mono;

/**
 * The deployment's nodes as operators see them ({@code GET /api/v1/admin/nodes}): every node writes a summary of
 * itself to {@code nodes} every {@link #EVERY}, and any node lists them all, so one call answers "which nodes are
 * up, how many connections each holds, how busy each is, which bridge links each works".
 */
public final class NodeDirectory implements AutoCloseable {

    public static final String COLLECTION = "nodes";
    /** A summary every 10 s: fresh enough for a dashboard, a write per node that costs nothing. */
    static final Duration EVERY = Duration.ofSeconds(10);
    /** A node silent for three summaries is shown as not alive; after a day it is left out. */
    static final Duration ALIVE_WITHIN = EVERY.multipliedBy(3);
    static final Duration FORGET_AFTER = Duration.ofDays(1);

    private final ReactiveMongoTemplate mongo;
    private final LinkLeases leases;
    private final String node;
    private final RoomEventHub hub;
    private final RoomLinearizer linearizer;
    private final RoomEventFeed feed;
    private final Clock clock;
    private final Instant startedAt;
    private long lastPublished;
    private long lastAt;
    private final PeriodicRounds rounds = new PeriodicRounds("node summary");

    /** @param feed the room event feed of several nodes, or null on one node */
    public NodeDirectory(ReactiveMongoTemplate mongo, LinkLeases leases, String node, RoomEventHub hub,
                         RoomLinearizer linearizer, RoomEventFeed feed, Clock clock) {
        this.mongo = mongo;
        this.leases = leases;
        this.node = node;
        this.hub = hub;
        this.linearizer = linearizer;
        this.feed = feed;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.lastAt = System.nanoTime();
    }

    public NodeDirectory start() {
        rounds.start(Duration.ZERO, EVERY, this::report);
        return this;
    }

    /** Writes this node's summary now. */
    Mono<Void> report() {
        long published = hub.publishedCount();
        long now = System.nanoTime();
        double seconds = Math.max(1e-3, (now - lastAt) / 1e9);
        double perSecond = (published - lastPublished) / seconds;
        lastPublished = published;
        lastAt = now;
        Document summary = new Document("_id", node)
                .append("startedAt", Date.from(startedAt))
                .append("seenAt", Date.from(clock.instant()))
                .append("connections", hub.openConnections())
                .append("eventsDelivered", published)
                .append("eventsPerSecond", Math.round(perSecond * 10) / 10.0)
                .append("deliveries", hub.deliveredCount())
                .append("slowConsumersDropped", hub.droppedConnections())
                .append("resyncs", hub.resyncCount())
                .append("busyRooms", linearizer.busyRooms())
                .append("relay", feed == null ? "local" : "mongo");
        if (feed != null) {
            summary.append("logEntriesRead", feed.readCount());
        }
        return mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.replaceOne(Filters.eq("_id", node), summary, new ReplaceOptions().upsert(true))))
                .then();
    }

    /** Every node seen in the last day, with whether it is alive and the bridge links it holds. */
    public Mono<List<Map<String, Object>>> list() {
        Instant now = clock.instant();
        Mono<Map<String, Long>> linksByNode = leases.holders().map(holders -> holders.values().stream()
                .collect(Collectors.groupingBy(owner -> owner, Collectors.counting())));
        Mono<List<Document>> nodes = mongo.getCollection(COLLECTION)
                .flatMapMany(c -> c.find(Filters.gt("seenAt", Date.from(now.minus(FORGET_AFTER)))).sort(Sorts.ascending("_id")))
                .collectList();
        return Mono.zip(nodes, linksByNode).map(t -> t.getT1().stream().map(d -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("node", d.getString("_id"));
            Instant seenAt = d.getDate("seenAt").toInstant();
            view.put("alive", !seenAt.isBefore(now.minus(ALIVE_WITHIN)));
            view.put("self", node.equals(d.getString("_id")));
            d.forEach((k, v) -> {
                if (!k.equals("_id")) {
                    view.put(k, v instanceof Date date ? date.toInstant().toString() : v);
                }
            });
            view.put("bridgeLinksHeld", t.getT2().getOrDefault(d.getString("_id"), 0L));
            return view;
        }).toList());
    }

    @Override
    public void close() {
        rounds.close();
    }
}
