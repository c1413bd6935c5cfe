package jp.tsunagu.bridge.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import tools.jackson.databind.json.JsonMapper;

import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.outbound.DeadLetter;
import jp.tsunagu.bridge.outbound.DeadLetterStore;
import jp.tsunagu.chat.message.MongoMessageStore;
import jp.tsunagu.chat.support.TestMongo;
import jp.tsunagu.connectors.mcs.McsConnectorFactory;
import jp.tsunagu.connectors.mcs.McsConnectorProperties;

import static org.assertj.core.api.Assertions.assertThat;

/** The outbound backlog and dead-letter gauges count what the database holds, per connector instance. */
class BridgeBacklogProbeTests {

    private final TestMongo db = new TestMongo();

    @AfterEach
    void stop() {
        db.close();
    }

    @Test
    void gaugesShowPendingMessagesAndOpenDeadLettersPerInstance() {
        ReactiveMongoTemplate mongo = db.freshDatabase();
        // The instance's connector is never called: the probe only needs its id.
        var connector = new McsConnectorFactory(JsonMapper.builder().build(), Clock.systemUTC()).create(
                new McsConnectorProperties("mcs-tone", "http://127.0.0.1:9", "http://127.0.0.1:9/oauth/token", "tsunagu",
                        "s3cret", Duration.ofSeconds(1), Duration.ofSeconds(1), 10, 1, 1));
        for (String state : List.of("PENDING", "PENDING", "DELIVERED", "FAILED")) {
            mongo.insert(new Document("roomId", "r1").append("delivery", new Document("mcs-tone", new Document("state", state))),
                    "messages").block();
        }
        mongo.insert(new Document("roomId", "r1").append("delivery", new Document("mcs-other", new Document("state", "PENDING"))),
                "messages").block();
        DeadLetterStore deadLetters = new DeadLetterStore(mongo);
        Instant now = Instant.now();
        deadLetters.keep(new DeadLetter("d1", "l1", "r1", "mcs-tone", "m1", 3, "post", "refused", 5, now, null)).block();
        deadLetters.keep(new DeadLetter("d2", "l1", "r1", "mcs-tone", "m2", 4, "post", "refused", 5, now, now)).block();

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BridgeMetrics metrics = new BridgeMetrics(registry, List.of(connector));
        try (BridgeBacklogProbe probe = new BridgeBacklogProbe(new ConnectorRegistry(List.of(connector)),
                new MongoMessageStore(mongo), deadLetters, metrics, Duration.ofHours(1))) {
            probe.count().block(Duration.ofSeconds(10));
        }
        assertThat(registry.get("tsunagu.bridge.outbound.backlog").tag("instance", "mcs-tone").gauge().value()).isEqualTo(2);
        assertThat(registry.get("tsunagu.bridge.dead_letters").tag("instance", "mcs-tone").gauge().value())
                .as("the replayed one is not open").isEqualTo(1);
    }
}
