package jp.tsunagu.chat.notify;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

import org.bson.Document;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.BulkOperations;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveBulkOperations;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/** {@link NotificationStore} on MongoDB: collection {@code notifications}, one document per notification. */
public final class MongoNotificationStore implements NotificationStore {

    private static final FindAndModifyOptions RETURN_NEW = FindAndModifyOptions.options().returnNew(true);

    private final ReactiveMongoTemplate mongo;

    public MongoNotificationStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<Void> enqueue(Collection<Notification> notifications) {
        if (notifications.isEmpty()) {
            return Mono.empty();
        }
        // $setOnInsert: a retried post or a second node enqueues the same ids and changes nothing, not even a
        // notification already sent back to queued.
        ReactiveBulkOperations bulk = mongo.bulkOps(BulkOperations.BulkMode.UNORDERED, Notification.class);
        for (Notification n : notifications) {
            Document doc = new Document();
            mongo.getConverter().write(n, doc);
            Update insert = new Update();
            doc.forEach((k, v) -> {
                if (!k.equals("_id") && !k.equals("_class")) {
                    insert.setOnInsert(k, v);
                }
            });
            bulk.upsert(Query.query(where("_id").is(n.id())), insert);
        }
        return bulk.execute().then();
    }

    @Override
    public Mono<Void> enqueueClear(Notification clear) {
        return mongo.upsert(Query.query(where("_id").is(clear.id())), new Update()
                .max("seq", clear.seq())
                .set("state", Notification.State.QUEUED).set("dueAt", clear.dueAt()).set("createdAt", clear.createdAt())
                .set("attempts", 0).set("round", 0).set("delivered", List.of())
                .unset("finishedAt").unset("outcome").unset("expireAt")
                .setOnInsert("userId", clear.userId()).setOnInsert("roomId", clear.roomId())
                .setOnInsert("messageId", clear.messageId()).setOnInsert("reason", clear.reason())
                .setOnInsert("urgent", false).setOnInsert("shard", clear.shard()), Notification.class).then();
    }

    @Override
    public Mono<Notification> findById(String id) {
        return mongo.findById(id, Notification.class);
    }

    @Override
    public Flux<Notification> due(Collection<Integer> shards, Instant now, int limit) {
        if (shards.isEmpty()) {
            return Flux.empty();
        }
        return mongo.find(Query.query(where("state").is(Notification.State.QUEUED).and("dueAt").lte(now)
                .and("shard").in(shards)).with(Sort.by("dueAt")).limit(limit), Notification.class);
    }

    @Override
    public Flux<Notification> ofMessage(String messageId) {
        return mongo.find(Query.query(where("messageId").is(messageId).and("state").is(Notification.State.QUEUED)),
                Notification.class);
    }

    @Override
    public Mono<Notification> retry(Notification n, int attempts, List<String> delivered, Instant at) {
        return mongo.findAndModify(unchanged(n),
                new Update().set("attempts", attempts).set("delivered", delivered).set("dueAt", at),
                RETURN_NEW, Notification.class);
    }

    @Override
    public Mono<Notification> nextRound(Notification n, Instant at) {
        return mongo.findAndModify(unchanged(n), new Update().set("round", n.round() + 1).set("attempts", 0)
                .set("delivered", List.of()).set("dueAt", at), RETURN_NEW, Notification.class);
    }

    @Override
    public Mono<Notification> finish(Notification n, Notification.State state, String outcome, List<String> delivered,
                                     Instant at, Instant expireAt) {
        return mongo.findAndModify(unchanged(n), new Update().set("state", state).set("outcome", outcome)
                .set("delivered", delivered).set("finishedAt", at).set("expireAt", expireAt), RETURN_NEW,
                Notification.class);
    }

    /** The notification as the sender read it: still queued, in the same round, for the same read position. */
    private static Query unchanged(Notification n) {
        Criteria c = where("_id").is(n.id()).and("state").is(Notification.State.QUEUED).and("round").is(n.round())
                .and("seq").is(n.seq()).and("attempts").is(n.attempts());
        return Query.query(c);
    }

    @Override
    public Mono<Long> deleteExpired(Instant now) {
        return mongo.remove(Query.query(where("expireAt").lt(now)), Notification.class).map(r -> r.getDeletedCount());
    }
}
