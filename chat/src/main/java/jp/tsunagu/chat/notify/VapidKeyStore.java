package jp.tsunagu.chat.notify;

import org.bson.Document;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import jp.tsunagu.connectors.push.VapidKeys;
import reactor.core.publisher.Mono;

/**
 * The server's VAPID key pair, made on the first start and kept in the database ({@code server_keys}, {@code _id}
 * {@code vapid}), so every node signs with the same key and browsers' subscriptions survive restarts: a
 * subscription is bound to the public key it was made with. Several nodes starting at once each make a pair; the
 * first insert wins and the others read it.
 */
public final class VapidKeyStore {

    static final String COLLECTION = "server_keys";
    static final String ID = "vapid";

    private final ReactiveMongoTemplate mongo;

    public VapidKeyStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    /** The stored pair, or a new one stored now. */
    public Mono<VapidKeys> keys() {
        return stored().switchIfEmpty(Mono.defer(() -> {
            VapidKeys fresh = VapidKeys.generate();
            return mongo.insert(new Document("_id", ID).append("publicKey", fresh.publicKey())
                            .append("privateKey", fresh.privateKey()), COLLECTION)
                    .thenReturn(fresh)
                    .onErrorResume(DuplicateKeyException.class, e -> stored());
        }));
    }

    private Mono<VapidKeys> stored() {
        return mongo.findById(ID, Document.class, COLLECTION)
                .map(d -> new VapidKeys(d.getString("publicKey"), d.getString("privateKey")));
    }
}
