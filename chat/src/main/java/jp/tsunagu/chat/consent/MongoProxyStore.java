package jp.tsunagu.chat.consent;

import java.time.Instant;

import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/** {@link ProxyStore} on MongoDB, one document per (resident, person). */
public final class MongoProxyStore implements ProxyStore {

    private final ReactiveMongoTemplate mongo;

    public MongoProxyStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<ProxyAuthority> save(ProxyAuthority proxy) {
        return mongo.save(proxy);
    }

    @Override
    public Mono<ProxyAuthority> findActive(String residentId, String userId) {
        return mongo.findOne(Query.query(where("_id").is(ProxyAuthority.idOf(residentId, userId)).and("active").is(true)),
                ProxyAuthority.class);
    }

    @Override
    public Flux<ProxyAuthority> ofResident(String residentId) {
        return mongo.find(Query.query(where("residentId").is(residentId)).with(Sort.by("recordedAt")),
                ProxyAuthority.class);
    }

    @Override
    public Mono<ProxyAuthority> end(String residentId, String userId, Actor by, Instant at) {
        return mongo.findAndModify(Query.query(where("_id").is(ProxyAuthority.idOf(residentId, userId)).and("active").is(true)),
                new Update().set("active", false).set("endedBy", by).set("endedAt", at),
                FindAndModifyOptions.options().returnNew(true), ProxyAuthority.class);
    }
}
