package jp.tsunagu.bridge.link;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

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
 * <p>Every task on a link renews the lease before it starts, and tasks come at least every poll period (10 s by
 * default) and outbound tick, so a live node keeps its links. A task must finish within the lease time (its
 * connector calls have their own, shorter time limits), or another node could start the next one meanwhile.
 */
public final class MongoLinkLeases implements LinkLeases {

    public static final String COLLECTION = "bridge_leases";

    private final ReactiveMongoTemplate mongo;
    private final String node;
    private final Duration ttl;
    private final Clock clock;

    public MongoLinkLeases(ReactiveMongoTemplate mongo, String node, Duration ttl, Clock clock) {
        this.mongo = mongo;
        this.node = node;
        this.ttl = ttl;
        this.clock = clock;
    }

    @Override
    public Mono<Boolean> hold(String linkId) {
        Instant now = clock.instant();
        Query mineOrLapsed = Query.query(where("_id").is(linkId)
                .orOperator(where("owner").is(node), where("expiresAt").lt(now)));
        Update take = new Update().set("owner", node).set("expiresAt", now.plus(ttl)).setOnInsert("since", now);
        return mongo.findAndModify(mineOrLapsed, take, FindAndModifyOptions.options().upsert(true).returnNew(true),
                        Document.class, COLLECTION)
                .map(lease -> node.equals(lease.getString("owner")))
                .defaultIfEmpty(false)
                .onErrorResume(DuplicateKeyException.class, e -> Mono.just(false));
    }

    @Override
    public Mono<Map<String, String>> holders() {
        return mongo.find(Query.query(where("expiresAt").gt(clock.instant())), Document.class, COLLECTION)
                .collectMap(lease -> String.valueOf(lease.get("_id")), lease -> lease.getString("owner"));
    }

    @Override
    public Mono<Void> releaseAll() {
        return mongo.remove(Query.query(Criteria.where("owner").is(node)), COLLECTION).then();
    }
}
