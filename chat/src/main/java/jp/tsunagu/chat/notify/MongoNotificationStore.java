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

/**
 * {@link NotificationStore} on MongoDB: {@code notifications} (the queue), {@code notification_reminders} (waiting
 * for their time) and {@code notification_log} (finished, kept for the operators), one document per notification
 * in each.
 */
public final class MongoNotificationStore implements NotificationStore {

    static final String QUEUE = "notifications";
    static final String REMINDERS = "notification_reminders";
    static final String LOG = "notification_log";
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
        List<Notification> reminders = notifications.stream().filter(n -> n.reason() == Notification.Reason.DUE).toList();
        List<Notification> now = notifications.stream().filter(n -> n.reason() != Notification.Reason.DUE).toList();
        return Mono.when(insertMissing(now, QUEUE), insertMissing(reminders, REMINDERS));
    }

    /**
     * {@code $setOnInsert}: a retried post or a second node enqueues the same ids and changes nothing, not even a
     * notification already being sent.
     */
    private Mono<Void> insertMissing(List<Notification> notifications, String collection) {
        if (notifications.isEmpty()) {
            return Mono.empty();
        }
        ReactiveBulkOperations bulk = mongo.bulkOps(BulkOperations.BulkMode.UNORDERED, Notification.class, collection);
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
                .setOnInsert("userId", clear.userId()).setOnInsert("roomId", clear.roomId())
                .setOnInsert("messageId", clear.messageId()).setOnInsert("reason", clear.reason())
                .setOnInsert("urgent", false).setOnInsert("shard", clear.shard()), Notification.class, QUEUE).then();
    }

    @Override
    public Mono<Notification> findById(String id) {
        return mongo.findById(id, Notification.class, QUEUE);
    }

    @Override
    public Flux<Notification> due(Collection<Integer> shards, Instant now, int limit) {
        return shards.isEmpty() ? Flux.empty() : mongo.find(dueQuery(shards, now, limit), Notification.class, QUEUE);
    }

    @Override
    public Flux<Notification> promoteReminders(Collection<Integer> shards, Instant now, int limit) {
        if (shards.isEmpty()) {
            return Flux.empty();
        }
        // Into the queue first, then out of the reminders: a crash between the two moves it again, which the
        // queue's insert-if-missing makes harmless.
        return mongo.find(dueQuery(shards, now, limit), Notification.class, REMINDERS)
                .concatMap(r -> insertMissing(List.of(r), QUEUE)
                        .then(mongo.remove(Query.query(where("_id").is(r.id())), REMINDERS))
                        .thenReturn(r));
    }

    private static Query dueQuery(Collection<Integer> shards, Instant now, int limit) {
        return Query.query(where("state").is(Notification.State.QUEUED).and("dueAt").lte(now).and("shard").in(shards))
                .with(Sort.by("dueAt")).limit(limit);
    }

    @Override
    public Flux<Notification> ofMessage(String messageId) {
        return mongo.find(Query.query(where("messageId").is(messageId)), Notification.class, QUEUE);
    }

    @Override
    public Mono<Boolean> finishedBefore(String id) {
        return mongo.exists(Query.query(where("_id").is(id)), LOG);
    }

    @Override
    public Mono<Notification> retry(Notification n, int attempts, List<String> delivered, Instant at) {
        return mongo.findAndModify(unchanged(n),
                new Update().set("attempts", attempts).set("delivered", delivered).set("dueAt", at),
                RETURN_NEW, Notification.class, QUEUE);
    }

    @Override
    public Mono<Notification> nextRound(Notification n, Instant at) {
        return mongo.findAndModify(unchanged(n), new Update().set("round", n.round() + 1).set("attempts", 0)
                .set("delivered", List.of()).set("dueAt", at), RETURN_NEW, Notification.class, QUEUE);
    }

    @Override
    public Mono<Notification> finish(Notification n, Notification.State state, String outcome, List<String> delivered,
                                     Instant at, Instant expireAt) {
        // Out of the queue first: a crash before the record is written loses the record, never sends twice.
        return mongo.findAndRemove(unchanged(n), Notification.class, QUEUE)
                .map(removed -> record(new Finished(removed, state, outcome, delivered), at, expireAt))
                .flatMap(finished -> mongo.save(finished, LOG));
    }

    @Override
    public Mono<Integer> finishAll(List<Finished> finished, Instant at, Instant expireAt) {
        if (finished.isEmpty()) {
            return Mono.just(0);
        }
        // By _id alone, which the embedded server answers from its index where it scans the queue for the
        // conditional form of finish(): a busy queue made every push pay for a scan of it. What the condition
        // guarded against, two senders finishing the same notification, the shard's lease prevents: a sender pushes
        // only after renewing it, and one node finishes a batch once (its notifications stay "in flight" meanwhile).
        List<String> ids = finished.stream().map(f -> f.notification().id()).toList();
        return mongo.remove(Query.query(where("_id").in(ids)), QUEUE)
                .then(mongo.insert(finished.stream().map(f -> record(f, at, expireAt)).toList(), LOG).count())
                .map(Long::intValue);
    }

    private static Notification record(Finished f, Instant at, Instant expireAt) {
        Notification n = f.notification();
        return new Notification(n.id(), n.userId(), n.roomId(), n.messageId(), n.seq(), n.reason(), n.urgent(),
                n.level(), f.state(), n.shard(), n.createdAt(), n.dueAt(), n.attempts(), n.round(), f.delivered(), at,
                f.outcome(), expireAt);
    }

    /**
     * The notification as the sender read it: still there, in the same round, with the same attempts and read
     * position. The queue holds only what waits, so the embedded server's scan for this is short.
     */
    private static Query unchanged(Notification n) {
        Criteria c = where("_id").is(n.id()).and("state").is(Notification.State.QUEUED).and("round").is(n.round())
                .and("seq").is(n.seq()).and("attempts").is(n.attempts());
        return Query.query(c);
    }

    /** Takes a notification that was finished before out of the queue again, without a second record. */
    @Override
    public Mono<Boolean> discard(Notification n) {
        return mongo.findAndRemove(unchanged(n), Notification.class, QUEUE).hasElement();
    }

    @Override
    public Mono<Long> deleteExpired(Instant now) {
        return mongo.remove(Query.query(where("expireAt").lt(now)), LOG).map(r -> r.getDeletedCount());
    }
}
