package jp.tsunagu.ops.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.ops.TsunaguApplication;
import jp.tsunagu.ops.support.TestIssuerConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two server nodes on one MongoDB, posting into one room at the same time through both: sequence numbers stay
 * unique and increasing, and an idempotency key sent to both nodes at once stores one message.
 */
class MultiNodeIntegrationTests {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static MongoServer mongo;
    private static ConfigurableApplicationContext nodeA;
    private static ConfigurableApplicationContext nodeB;
    private static final CareUser NURSE = new CareUser("ns-multi", "佐藤 由美", Profession.NURSE, "fac-vns", "ひかり", Set.of());
    private static final CareUser CM = new CareUser("cm-multi", "鈴木 和子", Profession.CARE_MANAGER, "fac-cm", "つばさ", Set.of());

    @BeforeAll
    static void startNodes() {
        mongo = new MongoServer(new MemoryBackend());
        mongo.enableOplog();
        String uri = "mongodb://127.0.0.1:" + mongo.bind().getPort() + "/tsunagu";
        nodeA = start("node-a", uri);
        nodeB = start("node-b", uri);
    }

    @AfterAll
    static void stopNodes() {
        nodeA.close();
        nodeB.close();
        mongo.shutdownNow();
    }

    private static ConfigurableApplicationContext start(String node, String uri) {
        return new SpringApplicationBuilder(TsunaguApplication.class, TestIssuerConfiguration.class).run(
                "--server.port=0", "--spring.main.banner-mode=off", "--spring.mongodb.uri=" + uri, "--tsunagu.node.id=" + node);
    }

    private static WebClient as(ConfigurableApplicationContext node, CareUser user) {
        return WebClient.builder().baseUrl("http://127.0.0.1:" + node.getEnvironment().getProperty("local.server.port"))
                .defaultHeader("Authorization", "Bearer " + TestIssuerConfiguration.ISSUER.mint(user, Duration.ofMinutes(30)))
                .build();
    }

    private static String room() {
        as(nodeA, NURSE).get().uri("/api/v1/rooms").retrieve().toBodilessEntity().block(WAIT); // signs the nurse in
        Map<?, ?> created = as(nodeB, CM).post().uri("/api/v1/rooms").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("kind", "group", "name", "二拠点テスト", "members", List.of(Map.of("userId", NURSE.id()))))
                .retrieve().bodyToMono(Map.class).block(WAIT);
        return (String) ((Map<?, ?>) created.get("room")).get("id");
    }

    private static Mono<Map> post(ConfigurableApplicationContext node, CareUser user, String roomId, String text, String key) {
        WebClient.RequestBodySpec request = as(node, user).post().uri("/api/v1/rooms/{r}/messages", roomId)
                .contentType(MediaType.APPLICATION_JSON);
        if (key != null) {
            request = request.header("Idempotency-Key", key);
        }
        return request.bodyValue(Map.of("text", text)).retrieve().bodyToMono(Map.class);
    }

    @Test
    void postsThroughBothNodesAtOnceGetUniqueIncreasingSequenceNumbers() {
        String roomId = room();
        int perNode = 40;
        List<Map> stored = Flux.merge(
                        Flux.range(0, perNode).flatMap(i -> post(nodeA, NURSE, roomId, "A" + i, null), 8),
                        Flux.range(0, perNode).flatMap(i -> post(nodeB, CM, roomId, "B" + i, null), 8))
                .collectList().block(WAIT);
        Set<Long> seqs = new HashSet<>();
        stored.forEach(m -> seqs.add(((Number) m.get("seq")).longValue()));
        assertThat(seqs).as("one number per post, none shared across nodes").hasSize(2 * perNode);

        // Each node's answers, in the order each author's posts were made one after another, increase.
        List<Long> inOrder = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            inOrder.add(((Number) post(i % 2 == 0 ? nodeA : nodeB, NURSE, roomId, "順番" + i, null).block(WAIT)
                    .get("seq")).longValue());
        }
        assertThat(inOrder).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void oneIdempotencyKeySentToBothNodesAtOnceStoresOneMessage() {
        String roomId = room();
        for (int round = 0; round < 10; round++) {
            String key = "retry-" + round;
            List<Map> answers = Flux.merge(post(nodeA, NURSE, roomId, "再送テスト" + round, key),
                    post(nodeB, NURSE, roomId, "再送テスト" + round, key)).collectList().block(WAIT);
            assertThat(answers).hasSize(2);
            assertThat(answers.get(0).get("id")).as("both nodes answer with the one stored message")
                    .isEqualTo(answers.get(1).get("id"));
        }
        Map<?, ?> page = as(nodeA, CM).get().uri("/api/v1/rooms/{r}/messages?limit=100", roomId).retrieve()
                .bodyToMono(Map.class).block(WAIT);
        assertThat(((List<?>) page.get("items"))).hasSize(10);
    }

    @Test
    void theAdminApiListsEveryNodeWithItsConnectionsAndOnlyForAdministrators() {
        CareUser admin = new CareUser("it-multi", "運用担当", Profession.CARE_MANAGER, null, null, Set.of(CareUser.SYSTEM_ADMIN));
        Map<?, ?> listed = as(nodeB, admin).get().uri("/api/v1/admin/nodes").retrieve().bodyToMono(Map.class).block(WAIT);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> items = (List<Map<String, Object>>) listed.get("items");
        assertThat(items).extracting(n -> (Object) n.get("node")).contains("node-a", "node-b");
        assertThat(items).filteredOn(n -> List.of("node-a", "node-b").contains(n.get("node")))
                .allSatisfy(n -> {
                    assertThat(n.get("alive")).isEqualTo(true);
                    assertThat(n.get("relay")).isEqualTo("mongo");
                    assertThat(n).containsKeys("connections", "eventsPerSecond", "logEntriesRead", "bridgeLinksHeld", "seenAt");
                });
        assertThat(items).filteredOn(n -> "node-b".equals(n.get("node"))).extracting(n -> (Object) n.get("self")).containsExactly(true);

        var refused = as(nodeA, NURSE).get().uri("/api/v1/admin/nodes").exchangeToMono(r -> r.toEntity(String.class)).block(WAIT);
        assertThat(refused.getStatusCode().value()).isEqualTo(403);
        assertThat(refused.getHeaders().getContentType().toString()).isEqualTo("application/problem+json");
    }
}
