package jp.tsunagu.bridge.inbound;

import java.time.Clock;
import java.time.Duration;

import org.springframework.data.mongodb.core.ReactiveMongoTemplate;


import jp.tsunagu.chat.support.TestMongo;
import jp.tsunagu.connectors.mcs.McsConnector;
import jp.tsunagu.connectors.mcs.McsConnectorFactory;
import jp.tsunagu.connectors.mcs.McsConnectorProperties;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the inbound tests run against: an in-memory MongoDB, and an MCS simulator (no rate limit) with the
 * integration account {@code tsunagu}, a nurse {@code ns-sato} of station {@code st-vns} and a pharmacist
 * {@code ph-ito} of {@code st-ph}, reached through the real MCS connector.
 */
final class InboundFixture implements AutoCloseable {

    final McsSimulator sns;
    private final TestMongo db = new TestMongo();

    InboundFixture() {
        sns = new McsSimulator().start(0);
        sns.rateLimit(0);
        sns.addClient("tsunagu", "s3cret");
        sns.addStation("st-vns", "ひかり訪問看護ステーション");
        sns.addStation("st-ph", "さくら薬局");
        sns.addUser("ns-sato", "佐藤", "由美", "st-vns", "看護師");
        sns.addUser("ph-ito", "伊藤", "健", "st-ph", "薬剤師");
    }

    /** The connector of instance {@code instanceId} acting as the integration account; one attempt per call. */
    McsConnector connector(String instanceId) {
        return new McsConnectorFactory(JsonMapper.builder().build(), Clock.systemUTC()).create(
                new McsConnectorProperties(instanceId, sns.baseUrl(), sns.tokenUrl(), "tsunagu", "s3cret",
                        Duration.ofSeconds(3), Duration.ofSeconds(10), 1_000, 1, 8));
    }

    /** A fresh database: no state leaks between tests. */
    ReactiveMongoTemplate freshDatabase() {
        return db.freshDatabase();
    }

    @Override
    public void close() {
        sns.close();
        db.close();
    }
}
