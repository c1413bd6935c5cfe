package jp.tsunagu.chat.room;

import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;

import com.mongodb.client.model.Filters;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/** {@link MembershipStore} on MongoDB, one document per (room, user). */
public final class MongoMembershipStore implements MembershipStore {

    private final ReactiveMongoTemplate mongo;

    public MongoMembershipStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<Membership> find(String roomId, String userId) {
        return mongo.findById(Membership.idOf(roomId, userId), Membership.class);
    }

    /**
     * On every room request (the access check): the raw driver, so Spring Data's query mapping and entity
     * callbacks are skipped; the document is still read by the converter, as everywhere else.
     */
    @Override
    public Mono<Membership> findActive(String roomId, String userId) {
        return mongo.getCollection(mongo.getCollectionName(Membership.class))
                .flatMap(c -> Mono.from(c.find(Filters.eq("_id", Membership.idOf(roomId, userId))).first()))
                .map(d -> mongo.getConverter().read(Membership.class, d))
                .filter(Membership::active);
    }

    @Override
    public Mono<Membership> save(Membership membership) {
        return mongo.save(membership);
    }

    @Override
    public Flux<Membership> activeMembers(String roomId) {
        return mongo.find(Query.query(where("roomId").is(roomId).and("active").is(true))
                .with(Sort.by("joinedAt", "_id")), Membership.class);
    }

    @Override
    public Flux<Membership> activeOf(String userId, int limit) {
        return mongo.find(Query.query(where("userId").is(userId).and("active").is(true)).limit(limit), Membership.class);
    }

    @Override
    public Flux<Membership> changedSince(String roomId, long seq, int limit) {
        return mongo.find(Query.query(where("roomId").is(roomId).and("seq").gt(seq))
                .with(Sort.by("seq")).limit(limit), Membership.class);
    }
}
