package jp.tsunagu.chat.consent;

import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/** {@link GrantStore} on MongoDB: one document per version, {@code _id} = {@code grantId:version}. */
public final class MongoGrantStore implements GrantStore {

    private final ReactiveMongoTemplate mongo;

    public MongoGrantStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<ConsentGrant> insert(ConsentGrant version) {
        return mongo.insert(version);
    }

    @Override
    public Mono<ConsentGrant> current(String grantId) {
        return mongo.findOne(Query.query(where("grantId").is(grantId)).with(Sort.by(Sort.Direction.DESC, "version"))
                .limit(1), ConsentGrant.class);
    }

    @Override
    public Flux<ConsentGrant> versions(String grantId) {
        return mongo.find(Query.query(where("grantId").is(grantId)).with(Sort.by("version")), ConsentGrant.class);
    }

    @Override
    public Flux<ConsentGrant> currentOfRoom(String roomId) {
        // A room has tens of grant versions at most: keeping the highest per grant here is cheaper than a pipeline.
        return mongo.find(Query.query(where("roomId").is(roomId)), ConsentGrant.class)
                .collect(LinkedHashMap<String, ConsentGrant>::new, MongoGrantStore::keepHighest)
                .flatMapIterable(Map::values)
                .sort(Comparator.comparing(ConsentGrant::decidedAt).reversed());
    }

    private static void keepHighest(Map<String, ConsentGrant> byGrant, ConsentGrant g) {
        byGrant.merge(g.grantId(), g, (a, b) -> a.version() >= b.version() ? a : b);
    }

    @Override
    public Flux<ConsentGrant> activeEndingBetween(Instant after, Instant upTo) {
        return mongo.find(Query.query(where("status").is(ConsentGrant.Status.ACTIVE)
                .and("validUntil").gt(after).lte(upTo)), ConsentGrant.class);
    }
}
