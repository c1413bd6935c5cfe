package jp.tsunagu.bridge.inbound;

import static org.springframework.data.mongodb.core.query.Criteria.where;

import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;

import reactor.core.publisher.Mono;

/** The {@code bridge_ids} map on MongoDB. */
public final class BridgeIdStore {

    private final ReactiveMongoTemplate mongo;

    public BridgeIdStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    /** Records an entry; fails with {@code DuplicateKeyException} if the (instance, external id) is known. */
    public Mono<BridgeId> insert(BridgeId entry) {
        return mongo.insert(entry);
    }

    /**
     * The local id of an external message: the message the bridge posted there ({@code OUTBOUND} entry), else the
     * id an import of it has or would have.
     */
    public Mono<String> localIdOf(String instanceId, String externalId) {
        return mongo.findById(BridgeId.idOf(instanceId, externalId), BridgeId.class)
                .map(BridgeId::localMessageId)
                .defaultIfEmpty(jp.tsunagu.chat.handler.ExternalMessageHandler.localId(instanceId, externalId));
    }

    /** The {@code OUTBOUND} entry of a local message posted through an instance, if any. */
    public Mono<BridgeId> outboundOf(String instanceId, String localMessageId) {
        return mongo.findOne(Query.query(where("instanceId").is(instanceId).and("localMessageId").is(localMessageId)
                .and("direction").is(BridgeId.Direction.OUTBOUND)), BridgeId.class);
    }

    /** True if the external message is in the map at all, either way. */
    public Mono<Boolean> isKnown(String instanceId, String externalId) {
        return mongo.exists(Query.query(where("_id").is(BridgeId.idOf(instanceId, externalId))), BridgeId.class);
    }

    /** The entry of an external message, if any. */
    public Mono<BridgeId> find(String instanceId, String externalId) {
        return mongo.findById(BridgeId.idOf(instanceId, externalId), BridgeId.class);
    }
}
