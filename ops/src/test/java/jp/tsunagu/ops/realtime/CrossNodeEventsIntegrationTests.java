package jp.tsunagu.ops.realtime;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.realtime.RoomEventFeed;
import jp.tsunagu.ops.TsunaguApplication;
import jp.tsunagu.ops.realtime.EventInbox.Event;
import jp.tsunagu.ops.support.TestIssuerConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three server nodes on one {@code mongo-java-server} with its oplog: a member connected to any node gets every
 * event made on every node, in sequence order, with no gap and no duplicate, also across a restart of its node.
 */
class CrossNodeEventsIntegrationTests {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final CareUser NURSE = new CareUser("ns-x", "佐藤 由美", Profession.NURSE, "fac-vns", "ひかり", Set.of());
    private static final CareUser CM = new CareUser("cm-x", "鈴木 和子", Profession.CARE_MANAGER, "fac-cm", "つばさ", Set.of());
    private static final CareUser DOCTOR = new CareUser("dr-x", "高橋 誠", Profession.DOCTOR, "fac-cl", "みどり", Set.of());

    private static MongoServer mongo;
    private static String uri;
    private static final ConfigurableApplicationContext[] nodes = new ConfigurableApplicationContext[3];
    private final List<WebSocketClientConnection> open = new ArrayList<>();

    @BeforeAll
    static void startNodes() {
        mongo = new MongoServer(new MemoryBackend());
        mongo.enableOplog();
        uri = "mongodb://127.0.0.1:" + mongo.bind().getPort() + "/tsunagu";
        for (int i = 0; i < nodes.length; i++) {
            nodes[i] = start(i);
        }
    }

    @AfterAll
    static void stopNodes() {
        for (ConfigurableApplicationContext node : nodes) {
            node.close();
        }
        mongo.shutdownNow();
    }

    @AfterEach
    void closeClients() {
        open.forEach(WebSocketClientConnection::close);
    }

    private static ConfigurableApplicationContext start(int i) {
        return new SpringApplicationBuilder(TsunaguApplication.class, TestIssuerConfiguration.class, OwnNettyResources.class)
                .run("--server.port=0", "--spring.main.banner-mode=off", "--spring.mongodb.uri=" + uri,
                        "--tsunagu.node.id=node-" + (char) ('a' + i), "--server.shutdown=immediate");
    }

    /**
     * Each node its own Netty threads. By default every server in a JVM shares Reactor Netty's global resources,
     * and the first node to stop disposes them under the others.
     */
    @Configuration(proxyBeanMethods = false)
    static class OwnNettyResources {
        @Bean
        ReactorResourceFactory reactorResourceFactory() {
            ReactorResourceFactory factory = new ReactorResourceFactory();
            factory.setUseGlobalResources(false);
            return factory;
        }
    }

    private static WebClient as(int node, CareUser user) {
        return WebClient.builder().baseUrl("http://127.0.0.1:" + port(node))
                .defaultHeader("Authorization", "Bearer " + token(user)).build();
    }

    private static String port(int node) {
        return nodes[node].getEnvironment().getProperty("local.server.port");
    }

    private static String token(CareUser user) {
        return TestIssuerConfiguration.ISSUER.mint(user, Duration.ofMinutes(30));
    }

    private WebSocketClientConnection connect(int node, CareUser user, String roomId, Long after) {
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(token(user));
        WebSocketClientConnection c = new WebSocketClientConnection(
                URI.create("ws://127.0.0.1:" + port(node) + "/api/v1/ws"), headers, true);
        open.add(c);
        c.send("{\"type\":\"subscribe\",\"roomId\":\"" + roomId + "\"" + (after == null ? "" : ",\"after\":" + after) + "}");
        return c;
    }

    /** A room of the three, made on node b; each member signs in on a different node first. */
    private static String room() {
        as(0, NURSE).get().uri("/api/v1/rooms").retrieve().toBodilessEntity().block(WAIT);
        as(2, DOCTOR).get().uri("/api/v1/rooms").retrieve().toBodilessEntity().block(WAIT);
        Map<?, ?> created = as(1, CM).post().uri("/api/v1/rooms").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("kind", "group", "name", "三拠点テスト",
                        "members", List.of(Map.of("userId", NURSE.id()), Map.of("userId", DOCTOR.id()))))
                .retrieve().bodyToMono(Map.class).block(WAIT);
        return (String) ((Map<?, ?>) created.get("room")).get("id");
    }

    private static Mono<Map> post(int node, CareUser user, String roomId, String text) {
        return as(node, user).post().uri("/api/v1/rooms/{r}/messages", roomId).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", text)).retrieve().bodyToMono(Map.class);
    }

    private static long head(String roomId) {
        Map<?, ?> detail = as(0, NURSE).get().uri("/api/v1/rooms/{r}", roomId).retrieve().bodyToMono(Map.class).block(WAIT);
        return ((Number) ((Map<?, ?>) detail.get("room")).get("seq")).longValue();
    }

    /** Room events (not control frames) after number {@code from}, up to and including number {@code last}. */
    private static List<Event> eventsUpTo(EventInbox inbox, long from, long last) {
        List<Event> events = new ArrayList<>();
        while ((events.isEmpty() ? from : events.get(events.size() - 1).seq()) < last) {
            Event e = inbox.next();
            assertThat(e.type()).as("no resync or error: %s", e).isNotIn("resync", "error");
            if (!e.type().equals("subscribed")) {
                events.add(e);
            }
        }
        return events;
    }

    private static List<Long> seqs(List<Event> events) {
        return events.stream().map(Event::seq).toList();
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(s);
        }
        return out;
    }

    @Test
    void membersOnEveryNodeGetEveryNodesEventsInOrderWithoutGapsOrDuplicates() {
        String roomId = room();
        WebSocketClientConnection onA = connect(0, NURSE, roomId, null);
        WebSocketClientConnection onB = connect(1, CM, roomId, null);
        WebSocketClientConnection onC = connect(2, DOCTOR, roomId, null);
        long start = 0;
        for (WebSocketClientConnection c : List.of(onA, onB, onC)) {
            start = Math.max(start, c.inbox().next("subscribed").json().path("seq").asLong());
        }
        long subscribedAt = head(roomId);
        assertThat(start).isEqualTo(subscribedAt);

        // All three nodes write into the room at once: posts, then stamps, an edit and read marks.
        int perNode = 25;
        CareUser[] authors = {NURSE, CM, DOCTOR};
        List<Map> posted = Flux.range(0, 3)
                .flatMap(n -> Flux.range(0, perNode).concatMap(i -> post(n, authors[n], roomId, "node" + n + "-" + i))
                        .subscribeOn(Schedulers.parallel()))
                .collectList().block(WAIT);
        String first = (String) posted.get(0).get("id");
        Flux.merge(
                as(1, CM).put().uri("/api/v1/rooms/{r}/messages/{m}/stamps/accepted", roomId, first).retrieve().bodyToMono(Map.class),
                as(2, DOCTOR).put().uri("/api/v1/rooms/{r}/messages/{m}/stamps/thanked", roomId, first).retrieve().bodyToMono(Map.class),
                as(0, NURSE).post().uri("/api/v1/rooms/{r}/read", roomId).contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(Map.of("upToSeq", subscribedAt + 10)).retrieve().bodyToMono(Map.class),
                as(1, CM).post().uri("/api/v1/rooms/{r}/read", roomId).contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(Map.of("upToSeq", subscribedAt + 20)).retrieve().bodyToMono(Map.class))
                .collectList().block(WAIT);
        long last = head(roomId);
        assertThat(last).isEqualTo(subscribedAt + 3L * perNode + 4);

        List<Event> seenOnA = eventsUpTo(onA.inbox(), subscribedAt, last);
        List<Event> seenOnB = eventsUpTo(onB.inbox(), subscribedAt, last);
        List<Event> seenOnC = eventsUpTo(onC.inbox(), subscribedAt, last);
        assertThat(seqs(seenOnA)).as("every number once, in order").containsExactlyElementsOf(range(subscribedAt + 1, last));
        assertThat(seqs(seenOnB)).containsExactlyElementsOf(seqs(seenOnA));
        assertThat(seqs(seenOnC)).containsExactlyElementsOf(seqs(seenOnA));
        assertThat(seenOnB).extracting(e -> e.json().toString()).containsExactlyElementsOf(
                seenOnA.stream().map(e -> e.json().toString()).toList());
        assertThat(seenOnC).extracting(e -> e.json().toString()).containsExactlyElementsOf(
                seenOnA.stream().map(e -> e.json().toString()).toList());
        assertThat(seenOnA.stream().filter(e -> e.type().equals("message.created")).map(Event::messageId))
                .containsExactlyInAnyOrderElementsOf(posted.stream().map(m -> (String) m.get("id")).toList());
        assertThat(seenOnA).extracting(Event::type).contains("message.stamped", "read");
    }

    /**
     * Each node keeps its own search index from every node's room events: a message written through one node is found
     * through the others, by its current text after an edit made through a second, and never once deleted through a
     * third. (The index follows within a quarter second; the wait is only a bound.)
     */
    @Test
    void aMessageWrittenThroughOneNodeIsFoundThroughEveryOtherByItsCurrentTextAndNeverOnceDeleted() {
        String roomId = room();
        String id = (String) post(1, CM, roomId, "三拠点検索：ワーファリン 2mg 継続").block(WAIT).get("id");
        assertThat(awaitFound(0, NURSE, "ﾜｰﾌｧﾘﾝ 三拠点")).containsExactly(id);
        assertThat(awaitFound(2, DOCTOR, "わーふぁりん 三拠点")).containsExactly(id);

        as(2, CM).patch().uri("/api/v1/rooms/{r}/messages/{m}", roomId, id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "三拠点検索：ワーファリン 中止")).retrieve().toBodilessEntity().block(WAIT);
        assertThat(awaitFound(0, NURSE, "中止 三拠点")).containsExactly(id);
        assertThat(searchIds(1, CM, "継続 三拠点")).as("the edit took the word out").isEmpty();

        as(0, CM).delete().uri("/api/v1/rooms/{r}/messages/{m}", roomId, id).retrieve().toBodilessEntity().block(WAIT);
        for (int node = 0; node < nodes.length; node++) {
            assertThat(searchIds(node, DOCTOR, "三拠点")).as("deleted, through node %d", node).isEmpty();
        }
    }

    /** The ids a search finds, once it finds any (search answers 503 until the node's index is ready). */
    private static List<String> awaitFound(int node, CareUser user, String q) {
        long end = System.nanoTime() + WAIT.toNanos();
        List<String> ids = List.of();
        while (ids.isEmpty() && System.nanoTime() < end) {
            ids = searchIds(node, user, q);
            if (ids.isEmpty()) {
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
        return ids;
    }

    @SuppressWarnings("unchecked")
    private static List<String> searchIds(int node, CareUser user, String q) {
        return as(node, user).get().uri(b -> b.path("/api/v1/search").queryParam("q", q).build())
                .exchangeToMono(r -> r.statusCode().is2xxSuccessful() ? r.bodyToMono(Map.class)
                        : r.releaseBody().then(Mono.just(Map.of("items", List.of()))))
                .map(page -> ((List<Map<String, Object>>) page.get("items")).stream()
                        .map(i -> (String) ((Map<String, Object>) i.get("message")).get("id")).toList())
                .block(WAIT);
    }

    @Test
    void aNodeRestartedMidStreamResumesItsFeedAndItsClientsCatchUpWithoutGaps() throws Exception {
        String roomId = room();
        WebSocketClientConnection onC = connect(2, DOCTOR, roomId, null);
        long subscribedAt = onC.inbox().next("subscribed").json().path("seq").asLong();

        // Nodes a and b keep posting while node c goes down and comes back under the same name.
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        var writer = Flux.range(0, 10_000).takeWhile(i -> writing.get())
                .concatMap(i -> post(i % 2, i % 2 == 0 ? NURSE : CM, roomId, "再起動中" + i).delayElement(Duration.ofMillis(20)))
                .then().subscribeOn(Schedulers.boundedElastic()).toFuture();
        List<Event> seen = new ArrayList<>(onC.inbox().next(10));
        nodes[2].close();
        long headAtClose = head(roomId);
        seen.addAll(onC.inbox().restUntilClosed());
        nodes[2] = start(2);
        RoomEventFeed feed = nodes[2].getBean(RoomEventFeed.class);
        long lastSeenBeforeRestart = seen.get(seen.size() - 1).seq();

        // The client reconnects with the last number it saw, and follows the posts a while before they stop.
        WebSocketClientConnection again = connect(2, DOCTOR, roomId, lastSeenBeforeRestart);
        List<Event> after = new ArrayList<>();
        while (after.size() < 10 || !after.get(after.size() - 1).type().equals("message.created")) {
            Event e = again.inbox().next();
            if (!e.type().equals("subscribed")) {
                after.add(e);
            }
        }
        writing.set(false);
        writer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        long last = head(roomId);
        after.addAll(eventsUpTo(again.inbox(), after.get(after.size() - 1).seq(), last));
        seen.addAll(after);
        assertThat(after.get(0).seq()).as("made while node c was down, replayed").isLessThanOrEqualTo(headAtClose + 1);
        assertThat(seqs(seen)).as("numbers seen before and after the restart, in order, each once")
                .containsExactlyElementsOf(range(subscribedAt + 1, last));

        // The restarted node's feed went on from where it stopped: it read the entries made while it was down
        // too (its hubs had no connection to give them to), not only those made after it started.
        long sinceClose = last - headAtClose;
        assertThat(sinceClose).isPositive();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (feed.readCount() < sinceClose && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(feed.readCount()).as("log entries read by the restarted feed").isGreaterThanOrEqualTo(sinceClose);
    }
}
