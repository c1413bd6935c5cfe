package jp.tsunagu.chat.message;

import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;

import jp.tsunagu.chat.room.Membership;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/** {@link ReadStore} on MongoDB, one document per (room, user). */
public final class MongoReadStore implements ReadStore {

    private final ReactiveMongoTemplate mongo;
    private final NotificationQueue notifications;

    public MongoReadStore(ReactiveMongoTemplate mongo) {
        this(mongo, NotificationQueue.NONE);
    }

    /** @param notifications told of each read, so the person's other devices close what they show of the room */
    public MongoReadStore(ReactiveMongoTemplate mongo, NotificationQueue notifications) {
        this.mongo = mongo;
        this.notifications = notifications;
    }

    @Override
    public Flux<ReadReceipt> ofUser(String userId, java.util.Collection<String> roomIds) {
        // By _id (roomId:userId) alone: the only condition the embedded server answers from an index.
        return mongo.find(Query.query(where("_id").in(roomIds.stream().map(r -> Membership.idOf(r, userId)).toList())),
                ReadReceipt.class);
    }

    @Override
    public Mono<ReadReceipt> find(String roomId, String userId) {
        return mongo.findById(Membership.idOf(roomId, userId), ReadReceipt.class);
    }

    @Override
    public Flux<ReadReceipt> findAll(java.util.Collection<String> ids) {
        return ids.isEmpty() ? Flux.empty() : mongo.find(Query.query(where("_id").in(ids)), ReadReceipt.class);
    }

    @Override
    public Mono<ReadReceipt> save(ReadReceipt receipt) {
        return mongo.save(receipt).doOnNext(r -> notifications.read(r.userId(), r.roomId(), r.upToSeq()));
    }

    @Override
    public Flux<ReadReceipt> readersOf(String roomId, long seq) {
        return mongo.find(Query.query(where("roomId").is(roomId).and("upToSeq").gte(seq)), ReadReceipt.class);
    }

    @Override
    public Flux<ReadReceipt> changedSince(String roomId, long seq, int limit) {
        return mongo.find(Query.query(where("roomId").is(roomId).and("seq").gt(seq)).with(Sort.by("seq")).limit(limit),
                ReadReceipt.class);
    }
}
