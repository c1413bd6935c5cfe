package jp.tsunagu.bridge.link;

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
 * Link leases in MongoDB, one document per link ({@code bridge_leases}: {@code _id} the link id, {@code owner}
 * the node id, {@code expiresAt}, {@code since}). Taking or renewing is one conditional upsert: it matches only
 * a lease this node holds or one that has expired; when another node holds a live lease the upsert collides on
 * {@code _id} and the answer is "not yours". A node that dies stops renewing, and another takes over once its
 * lease expires; a node that stops cleanly releases its leases first.
 *
 * <p>Every task on a link renews the lease before it starts, and an outbound drain renews it again before each
 * message, so a live node keeps its links and a long backlog never outlives the lease it started under. Each step
 * between renewals (one connector call, with its own time limit) must finish within the lease time.
 *
 * <p>A renewal asked for less than a third of the lease time after this node's last successful write is answered
 * from memory: the stored lease is still valid for at least two thirds of its time, and only an expired lease can
 * be taken by another node, so the answer is the same and a drain does not pay a database write per message. The
 * third is etcd's choice for lease keep-alives (a client renews every TTL/3), leaving two renewals' margin.
 */
public final class MongoLinkLeases implements LinkLeases {

    public static final String COLLECTION = "bridge_leases";

    private final ReactiveMongoTemplate mongo;
    private final String node;
    private final Duration ttl;
    private final Clock clock;
    /** When this node last wrote each lease it holds; a link is absent once it is not known to be ours. */
    private final Map<String, Instant> lastWritten = new ConcurrentHashMap<>();

    public MongoLinkLeases(ReactiveMongoTemplate mongo, String node, Duration ttl, Clock clock) {
        this.mongo = mongo;
        this.node = node;
        this.ttl = ttl;
        this.clock = clock;
    }

    @Override
    public Mono<Boolean> hold(String linkId) {
        Instant now = clock.instant();
        Instant written = lastWritten.get(linkId);
        if (written != null && now.isBefore(written.plus(ttl.dividedBy(3))) && !now.isBefore(written)) {
            return Mono.just(true);
        }
        Query mineOrLapsed = Query.query(where("_id").is(linkId)
                .orOperator(where("owner").is(node), where("expiresAt").lt(now)));
        Update take = new Update().set("owner", node).set("expiresAt", now.plus(ttl)).setOnInsert("since", now);
        return mongo.findAndModify(mineOrLapsed, take, FindAndModifyOptions.options().upsert(true).returnNew(true),
                        Document.class, COLLECTION)
                .map(lease -> node.equals(lease.getString("owner")))
                .defaultIfEmpty(false)
                .onErrorResume(DuplicateKeyException.class, e -> Mono.just(false))
                .doOnNext(held -> {
                    if (held) {
                        lastWritten.put(linkId, now);
                    } else {
                        lastWritten.remove(linkId);
                    }
                });
    }

    @Override
    public Mono<Map<String, String>> holders() {
        return mongo.find(Query.query(where("expiresAt").gt(clock.instant())), Document.class, COLLECTION)
                .collectMap(lease -> String.valueOf(lease.get("_id")), lease -> lease.getString("owner"));
    }

    @Override
    public Mono<Void> releaseAll() {
        lastWritten.clear();
        return mongo.remove(Query.query(Criteria.where("owner").is(node)), COLLECTION).then();
    }
}
