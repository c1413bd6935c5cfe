package jp.tsunagu.bridge.outbound;

import static org.springframework.data.mongodb.core.query.Criteria.where;

import java.time.Instant;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The {@code bridge_dead_letters} collection on MongoDB. */
public final class DeadLetterStore {

    private final ReactiveMongoTemplate mongo;

    public DeadLetterStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    /** Keeps a dead letter; the same one again (same derived id) is ignored. */
    public Mono<Void> keep(DeadLetter letter) {
        return mongo.insert(letter).then().onErrorResume(DuplicateKeyException.class, e -> Mono.empty());
    }

    public Mono<DeadLetter> findById(String id) {
        return mongo.findById(id, DeadLetter.class);
    }

    /** Newest first; {@code instanceId} or {@code linkId} narrow the list when given. */
    public Flux<DeadLetter> list(String instanceId, String linkId, boolean includeReplayed, int limit) {
        Criteria c = new Criteria();
        if (instanceId != null) {
            c = c.and("instanceId").is(instanceId);
        }
        if (linkId != null) {
            c = c.and("linkId").is(linkId);
        }
        if (!includeReplayed) {
            c = c.and("replayedAt").is(null);
        }
        return mongo.find(Query.query(c).with(Sort.by(Sort.Order.desc("failedAt"), Sort.Order.desc("_id"))).limit(limit),
                DeadLetter.class);
    }

    /** Marks it replayed; empty if there is none or it was replayed already. */
    public Mono<DeadLetter> markReplayed(String id, Instant at) {
        return mongo.findAndModify(Query.query(where("_id").is(id).and("replayedAt").is(null)),
                new Update().set("replayedAt", at), FindAndModifyOptions.options().returnNew(true), DeadLetter.class);
    }

    /** Letters not replayed, per connector instance: for metrics. */
    public Mono<Long> countOpen(String instanceId) {
        return mongo.count(Query.query(where("instanceId").is(instanceId).and("replayedAt").is(null)), DeadLetter.class);
    }
}
