package jp.tsunagu.bridge.inbound;

import static org.springframework.data.mongodb.core.query.Criteria.where;

import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The {@code bridge_quarantine} collection on MongoDB. */
public final class QuarantineStore {

    private final ReactiveMongoTemplate mongo;

    public QuarantineStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    /**
     * Keeps an item. The id is derived from its content by the caller, so the same bad payload seen in several
     * polls is kept once: a duplicate is ignored.
     */
    public Mono<Void> keep(QuarantinedItem item) {
        return mongo.insert(item).then()
                .onErrorResume(org.springframework.dao.DuplicateKeyException.class, e -> Mono.empty());
    }

    /** The items of one link, oldest first. */
    public Flux<QuarantinedItem> ofLink(String linkId) {
        return mongo.find(Query.query(where("linkId").is(linkId)).with(Sort.by("at")), QuarantinedItem.class);
    }
}
