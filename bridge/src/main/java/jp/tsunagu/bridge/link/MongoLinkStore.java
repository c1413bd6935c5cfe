package jp.tsunagu.bridge.link;

import static org.springframework.data.mongodb.core.query.Criteria.where;

import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** {@link LinkStore} on MongoDB ({@code bridge_links}). */
public final class MongoLinkStore implements LinkStore {

    private static final FindAndModifyOptions RETURN_NEW = FindAndModifyOptions.options().returnNew(true);

    private final ReactiveMongoTemplate mongo;

    public MongoLinkStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<BridgeLink> insert(BridgeLink link) {
        return mongo.insert(link);
    }

    @Override
    public Mono<BridgeLink> replace(BridgeLink link) {
        return mongo.save(link);
    }

    @Override
    public Mono<BridgeLink> findById(String id) {
        return mongo.findById(id, BridgeLink.class);
    }

    @Override
    public Flux<BridgeLink> all() {
        return mongo.findAll(BridgeLink.class);
    }

    @Override
    public Flux<BridgeLink> active() {
        return mongo.find(Query.query(where("active").is(true)), BridgeLink.class);
    }

    @Override
    public Mono<BridgeLink> activeFor(String instanceId, String externalRoomId) {
        return mongo.findOne(Query.query(where("instanceId").is(instanceId).and("externalRoomId").is(externalRoomId)
                .and("active").is(true)), BridgeLink.class);
    }

    @Override
    public Mono<BridgeLink> saveCursor(String id, String cursor) {
        return mongo.findAndModify(Query.query(where("_id").is(id).and("active").is(true)),
                new Update().set("cursor", cursor), RETURN_NEW, BridgeLink.class);
    }

    @Override
    public Mono<BridgeLink> advanceOutbound(String id, long seq) {
        return mongo.findAndModify(Query.query(where("_id").is(id)), new Update().max("outboundSeq", seq), RETURN_NEW,
                BridgeLink.class);
    }

    @Override
    public Mono<BridgeLink> deactivate(String id) {
        return mongo.findAndModify(Query.query(where("_id").is(id)), new Update().set("active", false), RETURN_NEW,
                BridgeLink.class);
    }
}
