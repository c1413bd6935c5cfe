package jp.tsunagu.connectors.mcs;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import jp.tsunagu.connectors.sns.ExternalMember;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.ExternalStamp;
import jp.tsunagu.connectors.sns.SnsConnector;
import jp.tsunagu.connectors.sns.testkit.ExternalSide;
import jp.tsunagu.connectors.sns.testkit.SnsConnectorConformanceTests;
import tools.jackson.databind.json.JsonMapper;

/** The MCS-style connector passes the conformance kit against the MCS simulator. */
class McsConnectorConformanceTests extends SnsConnectorConformanceTests {

    private static McsSimulator sns;
    private static McsConnector connector;

    @BeforeAll
    static void start() {
        sns = new McsSimulator().start(0);
        sns.addStation("st-vns", "ひかり訪問看護ステーション");
        sns.addUser("ns-sato", "佐藤", "由美", "st-vns", "看護師");
        sns.addClient("tsunagu", "s3cret");
        connector = new McsConnectorFactory(JsonMapper.builder().build(), Clock.systemUTC()).create(
                new McsConnectorProperties("mcs-test", sns.baseUrl(), sns.tokenUrl(), "tsunagu", "s3cret",
                        Duration.ofSeconds(3), Duration.ofSeconds(10), 1_000, 3, 8));
        sns.rateLimit(0);
    }

    @AfterAll
    static void stop() {
        sns.close();
    }

    @Override
    protected SnsConnector connector() {
        return connector;
    }

    @Override
    protected ExternalSide externalSide() {
        return new ExternalSide() {
            @Override
            public String createRoom(String name) {
                String id = sns.createProject("group", name);
                sns.addMember(id, "tsunagu");
                sns.addMember(id, "ns-sato");
                return id;
            }

            @Override
            public String postAsOther(String roomId, String html) {
                return sns.postAs("ns-sato", roomId, html);
            }

            @Override
            public void editAsOther(String messageId, String html) {
                sns.editAs("ns-sato", messageId, html);
            }

            @Override
            public void deleteAsOther(String messageId) {
                sns.deleteAs("ns-sato", messageId);
            }

            @Override
            public List<ExternalMessage> messages(String roomId) {
                return sns.messages(roomId).stream().map(m -> new ExternalMessage(m.id(), m.projectId(), m.parentId(),
                        new ExternalMember(m.user().id(), m.user().lastName(), m.user().professions(), null), m.body(),
                        m.createdAt(), m.updatedAt(), m.deleted(), List.of(), List.of(), null)).toList();
            }

            @Override
            public int stampCount(String messageId, ExternalStamp stamp) {
                return sns.message(messageId).reactionCount(stamp.name().toLowerCase(Locale.ROOT));
            }

            @Override
            public byte[] attachmentBytes(String attachmentId) {
                return sns.attachmentBytes(attachmentId);
            }
        };
    }
}
