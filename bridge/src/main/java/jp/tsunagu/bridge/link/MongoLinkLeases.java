package jp.tsunagu.bridge.link;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import jp.tsunagu.chat.support.MongoLeases;
import reactor.core.publisher.Mono;

/** Link leases in MongoDB ({@code bridge_leases}, {@code _id} the link id): {@link MongoLeases} keyed by link. */
public final class MongoLinkLeases implements LinkLeases {

    public static final String COLLECTION = "bridge_leases";

    private final MongoLeases leases;

    public MongoLinkLeases(ReactiveMongoTemplate mongo, String node, Duration ttl, Clock clock) {
        this.leases = new MongoLeases(mongo, COLLECTION, node, ttl, clock);
    }

    @Override
    public Mono<Boolean> hold(String linkId) {
        return leases.hold(linkId);
    }

    @Override
    public Mono<Map<String, String>> holders() {
        return leases.holders();
    }

    @Override
    public Mono<Void> releaseAll() {
        return leases.releaseAll();
    }
}
