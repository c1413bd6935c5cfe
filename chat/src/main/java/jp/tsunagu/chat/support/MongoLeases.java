package jp.tsunagu.chat.support;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.bson.Document;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * Leases in MongoDB: which node does a piece of work that must run on exactly one node at a time (a bridge
 * link, the escalation of urgent messages). One document per piece of work in the given collection ({@code _id}
 * its key, {@code owner} the node id, {@code expiresAt}, {@code since}). Taking or renewing is one conditional
 * upsert: it matches only a lease this node holds or one that has expired; when another node holds a live lease
 * the upsert collides on {@code _id} and the answer is "not yours". A node that dies stops renewing, and another
 * takes over once its lease expires; a node that stops cleanly releases its leases first.
 *
 * <p>The work renews the lease before each step (a bridge drain: before each message), so a live node keeps its
 * leases and a long task never outlives the lease it started under. Each step between renewals (one connector
 * call, with its own time limit) must finish within the lease time.
 *
 * <p>A renewal asked for less than a third of the lease time after this node's last successful write is answered
 * from memory: the stored lease is still valid for at least two thirds of its time, and only an expired lease can
 * be taken by another node, so the answer is the same and a drain does not pay a database write per message. The
 * third is etcd's choice for lease keep-alives (a client renews every TTL/3), leaving two renewals' margin.
 */
public final class MongoLeases {

    private final ReactiveMongoTemplate mongo;
    private final String collection;
    private final String node;
    private final Duration ttl;
    private final Clock clock;
    /** When this node last wrote each lease it holds; a key is absent once it is not known to be ours. */
    private final Map<String, Instant> lastWritten = new ConcurrentHashMap<>();

    public MongoLeases(ReactiveMongoTemplate mongo, String collection, String node, Duration ttl, Clock clock) {
        this.mongo = mongo;
        this.collection = collection;
        this.node = node;
        this.ttl = ttl;
        this.clock = clock;
    }

    /**
     * Takes or renews this node's lease on {@code key}. True when this node holds it now and for at least two
     * thirds of the lease time from now; false when another node holds an unexpired lease.
     */
    public Mono<Boolean> hold(String key) {
        Instant now = clock.instant();
        Instant written = lastWritten.get(key);
        if (written != null && now.isBefore(written.plus(ttl.dividedBy(3))) && !now.isBefore(written)) {
            return Mono.just(true);
        }
        Query mineOrLapsed = Query.query(where("_id").is(key)
                .orOperator(where("owner").is(node), where("expiresAt").lt(now)));
        Update take = new Update().set("owner", node).set("expiresAt", now.plus(ttl)).setOnInsert("since", now);
        return mongo.findAndModify(mineOrLapsed, take, FindAndModifyOptions.options().upsert(true).returnNew(true),
                        Document.class, collection)
                .map(lease -> node.equals(lease.getString("owner")))
                .defaultIfEmpty(false)
                .onErrorResume(DuplicateKeyException.class, e -> Mono.just(false))
                .doOnNext(held -> {
                    if (held) {
                        lastWritten.put(key, now);
                    } else {
                        lastWritten.remove(key);
                    }
                });
    }

    /** The node holding each live lease, by key. */
    public Mono<Map<String, String>> holders() {
        return mongo.find(Query.query(where("expiresAt").gt(clock.instant())), Document.class, collection)
                .collectMap(lease -> String.valueOf(lease.get("_id")), lease -> lease.getString("owner"));
    }

    /** Gives up every lease this node holds (a graceful shutdown), so another node takes over at once. */
    public Mono<Void> releaseAll() {
        lastWritten.clear();
        return mongo.remove(Query.query(Criteria.where("owner").is(node)), collection).then();
    }
}
