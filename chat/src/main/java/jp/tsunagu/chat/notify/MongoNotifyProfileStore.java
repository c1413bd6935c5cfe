package jp.tsunagu.chat.notify;

import java.time.Instant;
import java.util.Collection;

import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/** {@link NotifyProfileStore} on MongoDB: one {@code notify_profiles} document per person, changed field by field. */
public final class MongoNotifyProfileStore implements NotifyProfileStore {

    private final ReactiveMongoTemplate mongo;

    public MongoNotifyProfileStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<NotifyProfile> find(String userId) {
        return mongo.findById(userId, NotifyProfile.class);
    }

    @Override
    public Flux<NotifyProfile> findAll(Collection<String> userIds) {
        return userIds.isEmpty() ? Flux.empty()
                : mongo.find(Query.query(where("_id").in(userIds)), NotifyProfile.class);
    }

    @Override
    public Mono<Void> addDevice(String userId, String deviceId, NotifyProfile.Device device) {
        String field = "devices." + deviceId;
        // Filed under the new person first, then taken from anyone else: in between the device is the new
        // person's twice over, never no one's. (A scan on the embedded server; subscribing is rare.)
        return mongo.upsert(Query.query(where("_id").is(userId)), new Update().set(field, device), NotifyProfile.class)
                .then(mongo.updateMulti(Query.query(where(field).exists(true).and("_id").ne(userId)),
                        new Update().unset(field), NotifyProfile.class))
                .then();
    }

    @Override
    public Mono<Boolean> removeDevice(String userId, String deviceId) {
        String field = "devices." + deviceId;
        return mongo.updateFirst(Query.query(where("_id").is(userId).and(field).exists(true)),
                new Update().unset(field), NotifyProfile.class).map(r -> r.getModifiedCount() > 0);
    }

    @Override
    public Mono<Void> removeExpired(String userId, String deviceId, String endpoint) {
        String field = "devices." + deviceId;
        return mongo.updateFirst(Query.query(where("_id").is(userId).and(field + ".endpoint").is(endpoint)),
                new Update().unset(field), NotifyProfile.class).then();
    }

    @Override
    public Mono<Boolean> setViewing(String userId, String deviceId, String roomId, Instant until) {
        String field = "devices." + deviceId;
        Update update = roomId == null ? new Update().unset(field + ".viewing").unset(field + ".viewingUntil")
                : new Update().set(field + ".viewing", roomId).set(field + ".viewingUntil", until);
        return mongo.updateFirst(Query.query(where("_id").is(userId).and(field).exists(true)), update,
                NotifyProfile.class).map(r -> r.getMatchedCount() > 0);
    }

    @Override
    public Mono<NotifyProfile> setQuiet(String userId, Instant dndUntil, QuietHours quietHours) {
        return mongo.findAndModify(Query.query(where("_id").is(userId)),
                new Update().set("dndUntil", dndUntil).set("quietHours", quietHours),
                FindAndModifyOptions.options().upsert(true).returnNew(true), NotifyProfile.class);
    }

    @Override
    public Mono<Void> markShown(String userId, String roomId, long seq) {
        return mongo.updateFirst(Query.query(where("_id").is(userId)), new Update().max("shown." + roomId, seq),
                NotifyProfile.class).then();
    }

    @Override
    public Mono<Void> markShown(Collection<Shown> shown) {
        if (shown.isEmpty()) {
            return Mono.empty();
        }
        org.springframework.data.mongodb.core.ReactiveBulkOperations bulk = mongo.bulkOps(
                org.springframework.data.mongodb.core.BulkOperations.BulkMode.UNORDERED, NotifyProfile.class);
        shown.forEach(s -> bulk.updateOne(Query.query(where("_id").is(s.userId())), new Update().max("shown." + s.roomId(), s.seq())));
        return bulk.execute().then();
    }

    @Override
    public Mono<Void> clearShown(String userId, String roomId, long seq) {
        String field = "shown." + roomId;
        return mongo.updateFirst(Query.query(where("_id").is(userId).and(field).lte(seq)), new Update().unset(field),
                NotifyProfile.class).then();
    }
}
