package jp.tsunagu.chat.consent;

import java.time.Instant;

import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/** {@link ConsentRequestStore} on MongoDB; a decision is one conditional update. */
public final class MongoConsentRequestStore implements ConsentRequestStore {

    private final ReactiveMongoTemplate mongo;

    public MongoConsentRequestStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<ConsentRequest> insert(ConsentRequest request) {
        return mongo.insert(request);
    }

    @Override
    public Mono<ConsentRequest> findById(String id) {
        return mongo.findById(id, ConsentRequest.class);
    }

    @Override
    public Flux<ConsentRequest> ofRoom(String roomId, ConsentRequest.Status status) {
        Criteria c = where("roomId").is(roomId);
        if (status != null) {
            c = c.and("status").is(status);
        }
        return mongo.find(Query.query(c).with(Sort.by(Sort.Direction.DESC, "requestedAt")), ConsentRequest.class);
    }

    @Override
    public Mono<ConsentRequest> decide(String id, ConsentRequest.Status to, Actor by, Instant at, String reason,
                                       String grantId) {
        return mongo.findAndModify(Query.query(where("_id").is(id).and("status").is(ConsentRequest.Status.PENDING)),
                new Update().set("status", to).set("decidedBy", by).set("decidedAt", at).set("reason", reason)
                        .set("grantId", grantId),
                FindAndModifyOptions.options().returnNew(true), ConsentRequest.class);
    }
}
