package jp.tsunagu.ops.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.data.mongodb.core.query.Criteria.where;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.bridge.link.LinkTurns;
import jp.tsunagu.bridge.link.MongoLinkLeases;
import jp.tsunagu.chat.api.Requests;
import jp.tsunagu.chat.handler.MessageHandler;
import jp.tsunagu.chat.handler.RoomHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import jp.tsunagu.ops.TsunaguApplication;
import jp.tsunagu.ops.support.Ports;
import jp.tsunagu.ops.support.TestIssuerConfiguration;
import reactor.core.publisher.Flux;

/**
 * Two server nodes on one MongoDB: node A, a separate JVM, works the bridge link (it holds the link's lease)
 * and is killed (SIGKILL, no clean shutdown) while it is delivering a backlog to a slow SNS; node B takes the
 * link over once A's lease lapses and finishes the delivery: every post is in the SNS exactly once, in order.
 */
class BridgeFailoverIntegrationTests {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Pattern POST = Pattern.compile("引き継ぎ(\\d+)");
    private static final int POSTS = 60;

    @TempDir
    Path logs;

    @Test
    void anotherNodeFinishesTheDeliveryOnceInOrderWhenTheLinksNodeDies() throws Exception {
        MongoServer mongoServer = new MongoServer(new MemoryBackend());
        mongoServer.enableOplog();
        String mongoUri = "mongodb://127.0.0.1:" + mongoServer.bind().getPort() + "/tsunagu";
        Process nodeA = null;
        try (McsSimulator sns = new McsSimulator().start(0)) {
            sns.rateLimit(0);
            sns.addClient("tsunagu-failover", "s3cret");
            String pid = sns.createProject("patient", "山田 花子 様");
            sns.addMember(pid, "tsunagu-failover");
            CareUser cm = new CareUser("cm-failover", "鈴木 和子", Profession.CARE_MANAGER, "fac-cm", "つばさ", Set.of());
            CareUser admin = new CareUser("it-failover", "運用担当", Profession.CARE_MANAGER, null, null,
                    Set.of(CareUser.SYSTEM_ADMIN));

            int portA = Ports.free();
            nodeA = startNodeA(portA, mongoUri, sns);
            try (ConfigurableApplicationContext nodeB = new SpringApplicationBuilder(TsunaguApplication.class,
                    TestIssuerConfiguration.class).run(args("node-b", mongoUri, sns, "--server.port=0").toArray(String[]::new))) {
                awaitReady(nodeA, portA);
                ReactiveMongoTemplate mongo = nodeB.getBean(ReactiveMongoTemplate.class);
                String roomId = nodeB.getBean(RoomHandler.class)
                        .create(cm, new Requests.CreateRoom("group", "山田さんチーム", null, List.of())).block(WAIT)
                        .room().room().id();
                LinkHandler.LinkView link = nodeB.getBean(LinkHandler.class)
                        .link(admin, new LinkHandler.LinkRequest(roomId, "mcs-failover", pid, 0)).block(WAIT);
                // Node A works this link: the lease is given to it, and it must then renew it itself.
                Instant given = Instant.now().plus(LEASE);
                mongo.upsert(Query.query(where("_id").is(link.id())), new Update().set("owner", "node-a")
                        .set("expiresAt", given), MongoLinkLeases.COLLECTION).block(WAIT);
                awaitTrue(() -> lease(mongo, link.id()).getDate("expiresAt").toInstant().isAfter(given),
                        "node A renews the link's lease");
                // Node B may have held the link since it was made; it answers renewals from memory for a third of the
                // lease time, so wait until it asks the database again and sees the link is A's.
                LinkTurns turnsOfB = nodeB.getBean(LinkTurns.class);
                awaitTrue(() -> !turnsOfB.renew(link.id()).block(WAIT), "node B sees the link is node A's");

                // A slow SNS (0.1 s a call) keeps node A behind, so it dies in the middle of the backlog.
                sns.delayNext(100_000, Duration.ofMillis(100));
                Flux.range(0, POSTS).concatMap(i -> nodeB.getBean(MessageHandler.class).post(cm, roomId,
                        new Requests.PostMessage("引き継ぎ" + i, null, null, null, null, null), "failover-" + i)).blockLast(WAIT);
                awaitTrue(() -> bridged(sns, pid).size() >= POSTS / 6, "node A delivers part of the backlog");
                nodeA.destroyForcibly().waitFor();
                int byA = bridged(sns, pid).size();
                sns.clearFaults();

                awaitTrue(() -> bridged(sns, pid).size() >= POSTS, "node B delivers the rest");
                Thread.sleep(1_500); // a second copy anywhere would show up now
                List<Integer> there = bridged(sns, pid);
                System.out.println("delivered by node A before it died: " + byA + " of " + POSTS);
                assertThat(byA).as("node A was killed mid-backlog").isLessThan(POSTS);
                assertThat(there).as("every post once, in order").isEqualTo(range(POSTS));
                assertThat(lease(mongo, link.id()).getString("owner")).isEqualTo("node-b");
            }
        } finally {
            if (nodeA != null) {
                nodeA.destroyForcibly();
            }
            mongoServer.shutdownNow();
        }
    }

    private static List<String> args(String node, String mongoUri, McsSimulator sns, String... more) {
        List<String> args = new ArrayList<>(List.of("--spring.main.banner-mode=off", "--spring.mongodb.uri=" + mongoUri,
                "--tsunagu.node.id=" + node, "--tsunagu.bridge.lease-ttl=" + LEASE.toSeconds() + "s",
                "--tsunagu.bridge.poll-period=200ms", "--tsunagu.bridge.outbound.tick=100ms",
                // A node that takes a link over finds its backlog at the sweep (no new event wakes it).
                "--tsunagu.bridge.outbound.sweep=300ms", "--tsunagu.bridge.outbound.retry-steps=1s",
                "--tsunagu.bridge.mcs.instances[0].id=mcs-failover",
                "--tsunagu.bridge.mcs.instances[0].base-url=" + sns.baseUrl(),
                "--tsunagu.bridge.mcs.instances[0].token-url=" + sns.tokenUrl(),
                "--tsunagu.bridge.mcs.instances[0].client-id=tsunagu-failover",
                "--tsunagu.bridge.mcs.instances[0].client-secret=s3cret",
                "--tsunagu.bridge.mcs.instances[0].requests-per-second=1000"));
        args.addAll(List.of(more));
        return args;
    }

    /** Node A in its own JVM (the test's classpath), so it can be killed without a clean shutdown. */
    private Process startNodeA(int port, String mongoUri, McsSimulator sns) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), TsunaguApplication.class.getName()));
        // The demo profile only for its token issuer; its data, SNS simulator and FHIR server stay off.
        command.addAll(args("node-a", mongoUri, sns, "--server.port=" + port, "--spring.profiles.active=demo",
                "--tsunagu.demo.data.enabled=false", "--tsunagu.demo.simulator.enabled=false",
                "--tsunagu.demo.fhir.enabled=false"));
        File log = logs.resolve("node-a.log").toFile();
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    }

    private void awaitReady(Process node, int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(node.isAlive()).as("node A is running (log: %s)", logs.resolve("node-a.log")).isTrue();
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/actuator/health/readiness")).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("node A not ready in 90 s; log: " + logs.resolve("node-a.log"));
    }

    private static Document lease(ReactiveMongoTemplate mongo, String linkId) {
        return mongo.findOne(Query.query(where("_id").is(linkId)), Document.class, MongoLinkLeases.COLLECTION).block(WAIT);
    }

    private static List<Integer> bridged(McsSimulator sns, String pid) {
        List<Integer> out = new ArrayList<>();
        for (McsSimulator.Message m : sns.messages(pid)) {
            Matcher matcher = POST.matcher(m.body());
            if (matcher.find()) {
                out.add(Integer.parseInt(matcher.group(1)));
            }
        }
        return out;
    }

    private static void awaitTrue(java.util.function.BooleanSupplier check, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!check.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    private static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }
}
