package jp.tsunagu.bridge.link;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Mono;

import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.chat.support.TestMongo;
import jp.tsunagu.connectors.sns.ConnectorDescriptor;
import jp.tsunagu.connectors.sns.SnsConnector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/** An SNS account's rate limit is shared by the nodes that hold leases on its links. */
class RateShareTests {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Instant NOW = Instant.parse("2026-11-24T03:00:00Z");
    private static final TestMongo DB = new TestMongo();

    @AfterAll
    static void close() {
        DB.close();
    }

    private static SnsConnector connector(String instanceId) {
        SnsConnector c = mock(SnsConnector.class);
        when(c.descriptor()).thenReturn(new ConnectorDescriptor(instanceId, "mcs", Set.of()));
        return c;
    }

    private static void link(ReactiveMongoTemplate mongo, String id, String instanceId, boolean active) {
        mongo.insert(new BridgeLink(id, "room-" + id, instanceId, "ext-" + id, null, "it-admin", NOW, active, 0, 0))
                .block(WAIT);
    }

    private static void lease(ReactiveMongoTemplate mongo, String linkId, String owner, Instant expiresAt) {
        mongo.getCollection(MongoLinkLeases.COLLECTION).flatMap(c -> Mono.from(c.insertOne(
                new Document("_id", linkId).append("owner", owner).append("expiresAt", Date.from(expiresAt))))).block(WAIT);
    }

    @Test
    void eachInstanceIsSharedByTheNodesHoldingLiveLeasesOnItsLinks() {
        ReactiveMongoTemplate mongo = DB.freshDatabase();
        SnsConnector tone = connector("mcs-tone");
        SnsConnector kazo = connector("mcs-kazo");
        SnsConnector idle = connector("mcs-idle");
        link(mongo, "l1", "mcs-tone", true);
        link(mongo, "l2", "mcs-tone", true);
        link(mongo, "l3", "mcs-tone", true);
        link(mongo, "l4", "mcs-kazo", true);
        link(mongo, "l5", "mcs-kazo", true);
        link(mongo, "l6", "mcs-kazo", false);
        lease(mongo, "l1", "node-a", NOW.plusSeconds(20));
        lease(mongo, "l2", "node-b", NOW.plusSeconds(20));
        lease(mongo, "l3", "node-a", NOW.plusSeconds(20));
        lease(mongo, "l4", "node-a", NOW.plusSeconds(20));
        lease(mongo, "l5", "node-c", NOW.minusSeconds(1));   // lapsed: node c is gone
        lease(mongo, "l6", "node-d", NOW.plusSeconds(20));   // an unlinked link's lease counts for nothing

        MongoLinkLeases leases = new MongoLinkLeases(mongo, "node-x", Duration.ofSeconds(30), Clock.fixed(NOW, ZoneOffset.UTC));
        Map<String, Integer> shares = new RateShare(leases, new MongoLinkStore(mongo),
                new ConnectorRegistry(List.of(tone, kazo, idle))).apply().block(WAIT);

        assertThat(shares).containsEntry("mcs-tone", 2).containsEntry("mcs-kazo", 1).containsEntry("mcs-idle", 1);
        verify(tone).shareRateLimit(2);
        verify(kazo).shareRateLimit(1);
        verify(idle).shareRateLimit(1);
    }
}
