package jp.tsunagu.chat.room;

import java.time.Instant;
import java.util.Collection;

import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import jp.tsunagu.chat.support.Cursor;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/** {@link RoomStore} on MongoDB; every write touches one document. */
public final class MongoRoomStore implements RoomStore {

    private final ReactiveMongoTemplate mongo;

    public MongoRoomStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<CareRoom> insert(CareRoom room) {
        return mongo.insert(room);
    }

    @Override
    public Mono<CareRoom> findById(String roomId) {
        return mongo.findById(roomId, CareRoom.class);
    }

    @Override
    public Mono<CareRoom> findByExternalResidentId(String externalResidentId) {
        return mongo.findOne(Query.query(where("resident.externalResidentId").is(externalResidentId)), CareRoom.class);
    }

    @Override
    public Mono<Long> nextSeq(String roomId) {
        return mongo.findAndModify(Query.query(where("_id").is(roomId)), new Update().inc("seq", 1L),
                FindAndModifyOptions.options().returnNew(true), CareRoom.class).map(CareRoom::seq);
    }

    @Override
    public Mono<CareRoom> markArchived(String roomId, String by, Instant at, long seq) {
        return mongo.findAndModify(Query.query(where("_id").is(roomId)),
                new Update().set("archived", true).set("archivedAt", at).set("archivedBy", by).set("changeSeq", seq),
                FindAndModifyOptions.options().returnNew(true), CareRoom.class);
    }

    @Override
    public Mono<CareRoom> setBridged(String roomId, String instanceId, boolean bridged) {
        Update update = bridged ? new Update().addToSet("bridges", instanceId) : new Update().pull("bridges", instanceId);
        return mongo.findAndModify(Query.query(where("_id").is(roomId)), update,
                FindAndModifyOptions.options().returnNew(true), CareRoom.class);
    }

    @Override
    public Mono<Void> recordLastMessage(String roomId, LastMessage last) {
        Query query = Query.query(where("_id").is(roomId).orOperator(
                where("lastMessage").is(null), where("lastMessage.seq").lte(last.seq())));
        Update update = new Update().set("lastMessage", last);
        if (last.createdAt() != null) {
            update.max("lastActivityAt", last.createdAt());
        }
        return mongo.updateFirst(query, update, CareRoom.class).then();
    }

    @Override
    public Flux<CareRoom> findActiveFirst(Collection<String> ids, Cursor after, int limit) {
        Criteria criteria = where("_id").in(ids);
        if (after != null) {
            criteria = criteria.orOperator(where("lastActivityAt").lt(after.at()),
                    where("lastActivityAt").is(after.at()).and("_id").lt(after.id()));
        }
        Query query = Query.query(criteria)
                .with(Sort.by(Sort.Order.desc("lastActivityAt"), Sort.Order.desc("_id")))
                .limit(limit);
        return mongo.find(query, CareRoom.class);
    }

    @Override
    public Mono<CareRoom> changedSince(String roomId, long seq) {
        return mongo.findOne(Query.query(where("_id").is(roomId).and("changeSeq").gt(seq)), CareRoom.class);
    }
}
