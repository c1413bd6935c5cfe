package jp.tsunagu.chat.config;

import java.time.Duration;

import org.bson.Document;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import reactor.core.publisher.Mono;

/**
 * Reports UP once MongoDB answers a {@code ping}. Replaces Spring Boot's indicator, whose {@code hello}
 * command the embedded server does not implement; {@code ping} works on both.
 */
public final class MongoPingHealthIndicator implements ReactiveHealthIndicator {

    /** A healthy MongoDB answers a ping in milliseconds; two seconds means it is not usable. */
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final ReactiveMongoTemplate mongo;

    public MongoPingHealthIndicator(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<Health> health() {
        return mongo.executeCommand(new Document("ping", 1))
                .timeout(TIMEOUT)
                .map(reply -> Health.up().build())
                .onErrorResume(e -> Mono.just(Health.down(e).build()));
    }
}
