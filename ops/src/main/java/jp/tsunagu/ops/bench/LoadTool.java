package jp.tsunagu.ops.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

import org.HdrHistogram.Histogram;
import org.slf4j.LoggerFactory;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.LocalJwtIssuer;
import jp.tsunagu.chat.identity.Profession;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The load tool (docs/BENCHMARKS.md): a plain {@code main}, no Spring context of its own.
 *
 * <p>Load mode (default): starts the server as a child process (or targets {@code --url}), mints tokens for
 * R × M synthetic care staff with the key shared with the server, signs each in once, creates R group rooms of
 * M members, opens one WebSocket per (room, member), then posts through the REST API on a fixed open-loop
 * schedule (a post is sent when due, not when the previous one returned) round-robin over the rooms. Every
 * recipient times each delivery against the post's scheduled time; lost, duplicated and reordered deliveries
 * are counted. The last line is {@code RESULT posts_per_s=… deliveries_per_s=… p99_ms=… lost=… duplicated=…
 * reordered=…}.
 *
 * <p>Idle mode ({@code --idle-connections N}): N subscribed, idle WebSockets; server heap after a full GC
 * before and after, per connection. Last line {@code RESULT idle_connections=… heap_per_connection_kb=…}.
 */
public final class LoadTool {

    /**
     * JVM options of the started server unless {@code --server-jvm-opts} says otherwise: G1 (the JVM's own choice
     * on a server-class machine) and two HTTP event-loop threads (Reactor Netty's default is four; fewer cut the
     * CPU per post on the 2-core machine of docs/BENCHMARKS.md, round 2). Round 2 used the parallel collector for
     * its lower CPU per post; once the server kept pace at 600 posts/s its full collections (370-700 ms with the
     * in-memory database's few hundred MB live) were what broke the p99 (round 4), and G1's pauses stayed under
     * 100 ms. Production sets its own JVM options (docs/OPERATIONS.md).
     */
    static final String DEFAULT_SERVER_JVM_OPTS = "-XX:+UseG1GC -Dreactor.netty.ioWorkerCount=2";

    /**
     * {@code -Xmx} of the started server unless {@code --server-heap} says otherwise. The benchmarks' server keeps
     * its database in memory, in its own heap: at 1,000 posts/s a run's 120,000-180,000 messages took most of 1 GB
     * and the collector's work grew with them over the minute (docs/BENCHMARKS.md, round 4), which a server whose
     * messages live in MongoDB does not see. 2 GB keeps that out of the figures on the 24 GB benchmark machine.
     */
    static final String DEFAULT_SERVER_HEAP = "2g";

    static final String USAGE = """
            usage: ops/bin/loadtest [options]
              --rooms N             group rooms (200)
              --members N           members per room, one WebSocket each (8)
              --rate N              posts per second, open loop (1000)
              --duration S          measured seconds (60)
              --warmup S            seconds at full rate before measuring (10)
              --grace S             seconds to wait for late deliveries after the last post (10)
              --idle-connections N  idle mode: N subscribed idle WebSockets, server heap per connection
              --excerpts N          excerpt mode: N excerpt-card reads per second in the five demo residents'
                                    patient rooms (--members each), then --revocations revoke/renew rounds
              --revocations N       excerpt mode: grants revoked (and renewed) one after another (20)
              --nodes N             1, or 2: two server processes on one MongoDB (the first node's embedded
                                    server with its oplog), posts and WebSockets spread over both; prints
                                    the latency of deliveries across nodes apart (1)
              --url URL             target a running server instead of starting one (needs --key-file)
              --key-file PATH       PEM key the running server's demo issuer uses (tsunagu.demo.issuer.key-file)
              --issuer URI          token issuer (urn:tsunagu:demo)
              --server-pid PID      with --url: the server's process id, for jcmd heap figures and CPU
              --jar PATH            server jar to start (ops/target/tsunagu-ops.jar)
              --server-heap SIZE    -Xmx of the started server (2g: its in-memory database lives there)
              --server-jvm-opts S   JVM options for the started server, space separated, replacing the
                                    default "-XX:+UseG1GC -Dreactor.netty.ioWorkerCount=2"
              --http-connections N  REST connection pool size of the tool (512)
              --connect-concurrency N  WebSocket handshakes in flight while connecting (128)
              --post-over W         http: POST /rooms/{id}/messages; http-key: the same with an Idempotency-Key,
                                    as the web client posts; websocket: the post command, with its key, on the
                                    author's own WebSocket (http)
            """;

    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final Duration TOKEN_TTL = Duration.ofHours(12);

    record Options(String url, Path keyFile, String issuer, long serverPid, Path jar, String serverHeap,
                   List<String> serverJvmOptions, int rooms, int members, double rate, int duration, int warmup,
                   int grace, int idleConnections, int httpConnections, int connectConcurrency, double excerptReads,
                   int revocations, int nodes, String postOver) {

        static Options parse(String[] args) {
            Map<String, String> a = new HashMap<>();
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (name.equals("-h") || name.equals("--help")) {
                    throw new IllegalArgumentException("");
                }
                if (!name.startsWith("--")) {
                    throw new IllegalArgumentException("unexpected argument " + name);
                }
                String value;
                int eq = name.indexOf('=');
                if (eq > 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                a.put(name.substring(2), value);
            }
            Set<String> known = Set.of("rooms", "members", "rate", "duration", "warmup", "grace", "idle-connections",
                    "url", "key-file", "issuer", "server-pid", "jar", "server-heap", "server-jvm-opts",
                    "http-connections", "connect-concurrency", "excerpts", "revocations", "nodes", "post-over");
            for (String k : a.keySet()) {
                if (!known.contains(k)) {
                    throw new IllegalArgumentException("unknown option --" + k);
                }
            }
            String jvm = a.getOrDefault("server-jvm-opts", DEFAULT_SERVER_JVM_OPTS).trim();
            Options o = new Options(a.get("url"), a.containsKey("key-file") ? Path.of(a.get("key-file")) : null,
                    a.getOrDefault("issuer", "urn:tsunagu:demo"), Long.parseLong(a.getOrDefault("server-pid", "-1")),
                    Path.of(a.getOrDefault("jar", defaultJar())), a.getOrDefault("server-heap", DEFAULT_SERVER_HEAP),
                    jvm.isEmpty() ? List.of() : List.of(jvm.split("\\s+")),
                    positive(a, "rooms", 200), positive(a, "members", 8),
                    Double.parseDouble(a.getOrDefault("rate", "1000")), positive(a, "duration", 60),
                    Integer.parseInt(a.getOrDefault("warmup", "10")), Integer.parseInt(a.getOrDefault("grace", "10")),
                    Integer.parseInt(a.getOrDefault("idle-connections", "0")), positive(a, "http-connections", 512),
                    positive(a, "connect-concurrency", 128), Double.parseDouble(a.getOrDefault("excerpts", "0")),
                    positive(a, "revocations", 20), positive(a, "nodes", 1),
                    a.getOrDefault("post-over", "http"));
            if (!List.of("http", "http-key", "websocket").contains(o.postOver())) {
                throw new IllegalArgumentException("--post-over is http, http-key or websocket");
            }
            if (o.nodes() > 2 || o.nodes() == 2 && (o.url() != null || o.idleConnections() > 0 || o.excerptReads() > 0)) {
                throw new IllegalArgumentException("--nodes is 1 or 2, and 2 is for load mode with started servers");
            }
            if (o.rate() <= 0 || o.warmup() < 0 || o.grace() < 0 || o.idleConnections() < 0 || o.excerptReads() < 0) {
                throw new IllegalArgumentException("rate must be positive, warmup, grace, idle-connections and excerpts not negative");
            }
            return o;
        }

        private static int positive(Map<String, String> a, String name, int fallback) {
            int v = Integer.parseInt(a.getOrDefault(name, Integer.toString(fallback)));
            if (v <= 0) {
                throw new IllegalArgumentException("--" + name + " must be positive");
            }
            return v;
        }

        /** The jar this tool runs from (java -cp the-jar …PropertiesLauncher), else the build output. */
        private static String defaultJar() {
            String cp = System.getProperty("java.class.path", "");
            return cp.endsWith(".jar") && !cp.contains(java.io.File.pathSeparator) ? cp : "ops/target/tsunagu-ops.jar";
        }
    }

    /** A synthetic member of the care team, with a token minted by the shared key. */
    record Member(String id, String token, int room, int index) {
    }

    /** A created room and its members; member 0 owns it. */
    record Room(int index, String id, List<Member> members) {
    }

    private LoadTool() {
    }

    public static void main(String[] args) {
        quietLogging();
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println("loadtest: " + e.getMessage());
            }
            System.err.print(USAGE);
            System.exit(e.getMessage().isEmpty() ? 0 : 2);
            return;
        }
        int code;
        try {
            printMachine(o);
            if (o.nodes() == 2) {
                List<BenchServer> pair = BenchServer.startPair(o);
                try {
                    new LoadTool().load(o, pair);
                } finally {
                    pair.forEach(BenchServer::close);
                }
            } else try (BenchServer server = BenchServer.start(o)) {
                if (o.idleConnections() > 0) {
                    new LoadTool().idle(o, server);
                } else if (o.excerptReads() > 0) {
                    new ExcerptBench(o, server).run();
                } else {
                    new LoadTool().load(o, List.of(server));
                }
            }
            code = 0;
        } catch (Throwable e) {
            System.out.println("loadtest failed: " + e);
            e.printStackTrace(System.out);
            code = 1;
        }
        System.out.flush();
        System.exit(code);
    }

    // ---------------------------------------------------------------------------------------------- load mode

    private void load(Options o, List<BenchServer> servers) throws Exception {
        BenchServer server = servers.get(0);
        int nodes = servers.size();
        System.out.printf(Locale.ROOT, "settings: rooms=%d members=%d websockets=%d rate=%s posts/s warmup=%d s "
                        + "duration=%d s grace=%d s target=%s%n", o.rooms(), o.members(), o.rooms() * o.members(),
                num(o.rate()), o.warmup(), o.duration(), o.grace(),
                String.join(" and ", servers.stream().map(s -> s.baseUrl).toList()));
        Tally tally = new Tally();
        List<BenchApi> apis = new ArrayList<>();
        try {
            for (BenchServer s : servers) {
                apis.add(new BenchApi(s.baseUrl, o.httpConnections() / nodes));
            }
            List<Room> rooms = setUp(apis.get(0), server.issuer, o.rooms(), o.members(), o.rooms() * o.members());
            List<Recipient> recipients = recipients(rooms, tally, nodes);
            for (int node = 0; node < nodes; node++) {
                int n = node;
                connect(recipients.stream().filter(r -> r.node == n).toList(), servers.get(node).baseUrl,
                        o.connectConcurrency());
            }
            try {
                post(o, apis, rooms, recipients, tally, servers);
            } finally {
                recipients.forEach(Recipient::close);
            }
        } finally {
            apis.forEach(BenchApi::close);
        }
    }

    private void post(Options o, List<BenchApi> apis, List<Room> rooms, List<Recipient> recipients, Tally tally,
                      List<BenchServer> servers) throws InterruptedException {
        BenchApi api = apis.get(0);
        BenchServer server = servers.get(0);
        int roomCount = rooms.size();
        long total = Math.round((o.warmup() + o.duration()) * o.rate());
        double period = 1e9 / o.rate();
        BitSet[] accepted = new BitSet[roomCount];
        Arrays.setAll(accepted, i -> new BitSet());
        String[] paths = rooms.stream().map(r -> "/api/v1/rooms/" + r.id() + "/messages").toArray(String[]::new);
        AtomicLong inFlight = new AtomicLong();
        LongAdder acceptedAll = new LongAdder();
        LongAdder acceptedInWindow = new LongAdder();
        LongAdder failed = new LongAdder();
        AtomicLong sent = new AtomicLong();
        AtomicLong missedSlot = new AtomicLong();

        String admin = server.issuer.mint("lt-admin", Map.of("profession", "care_manager", "scope", "system_admin"),
                TOKEN_TTL);
        long commands0 = mongoCommands(api, admin);
        long t0 = System.nanoTime() + 200_000_000L;
        tally.windowStart = t0 + o.warmup() * 1_000_000_000L;
        tally.windowEnd = tally.windowStart + o.duration() * 1_000_000_000L;

        Thread ticker = new Thread(() -> {
            int[] counters = new int[roomCount];
            for (long k = 0; k < total; k++) {
                long due = t0 + (long) (k * period);
                long now = awaitDue(due);
                long lag = now - due;
                tally.dispatchLag.recordValue(Tally.micros(lag));
                if (lag >= period) {
                    missedSlot.incrementAndGet();
                }
                int r = (int) (k % roomCount);
                int n = counters[r]++;
                Room room = rooms.get(r);
                Member author = room.members().get((int) ((k / roomCount) % room.members().size()));
                String body = "{\"text\":\"" + Recipient.Marker.text(r, n, due, now) + "\"}";
                inFlight.incrementAndGet();
                sent.incrementAndGet();
                String key = "lt-" + r + "-" + n;
                Mono<BenchApi.Response> posting = switch (o.postOver()) {
                    case "websocket" -> recipients.get(r * o.members() + author.index()).post(key, body);
                    case "http-key" -> apis.get(n % apis.size()).postWithKey(paths[r], author.token(), body, key);
                    default -> apis.get(n % apis.size()).postExpectingCreated(paths[r], author.token(), body);
                };
                posting.subscribe(response -> {
                    long at = System.nanoTime();
                    if (due >= tally.windowStart && due < tally.windowEnd) {
                        tally.postResponse.recordValue(Tally.micros(at - due));
                    }
                    if (response.status() == 201) {
                        synchronized (accepted[r]) {
                            accepted[r].set(n);
                        }
                        acceptedAll.increment();
                        if (at >= tally.windowStart && at < tally.windowEnd) {
                            acceptedInWindow.increment();
                        }
                    } else {
                        failed.increment();
                        tally.note("post refused: " + response.status() + " " + abbreviate(response.body()));
                    }
                    inFlight.decrementAndGet();
                }, error -> {
                    failed.increment();
                    tally.note("post failed: " + error);
                    inFlight.decrementAndGet();
                });
            }
        }, "bench-ticker");
        ticker.setPriority(Thread.MAX_PRIORITY);

        System.out.printf(Locale.ROOT, "posting %d messages at %s/s (%d s warm-up, then %d s measured)%n", total,
                num(o.rate()), o.warmup(), o.duration());
        ticker.start();
        long serverCpu0 = -1;
        long serverCpu1 = -1;
        long toolCpu0 = -1;
        long toolCpu1 = -1;
        long jitCpu0 = -1;
        long jitCpu1 = -1;
        long nextReport = t0 + 5_000_000_000L;
        long lastDeliveries = 0;
        long lastSent = 0;
        while (ticker.isAlive() || System.nanoTime() < tally.windowEnd) {
            Thread.sleep(50);
            long now = System.nanoTime();
            if (serverCpu0 < 0 && now >= tally.windowStart) {
                serverCpu0 = servers.stream().mapToLong(BenchServer::cpuNanos).sum();
                jitCpu0 = servers.stream().mapToLong(BenchServer::compilerCpuNanos).sum();
                toolCpu0 = toolCpuNanos();
            }
            if (serverCpu1 < 0 && now >= tally.windowEnd) {
                serverCpu1 = servers.stream().mapToLong(BenchServer::cpuNanos).sum();
                jitCpu1 = servers.stream().mapToLong(BenchServer::compilerCpuNanos).sum();
                toolCpu1 = toolCpuNanos();
            }
            if (now >= nextReport) {
                Histogram h = tally.interval.getIntervalHistogram();
                long d = tally.deliveries.sum();
                long s = sent.get();
                System.out.printf(Locale.ROOT, "[%4.0f s] %s sent %d (+%d/s) accepted %d failed %d late %d in-flight %d | "
                                + "deliveries %d (+%d/s) p50 %s p99 %s max %s ms%n",
                        (now - t0) / 1e9, now < tally.windowStart ? "warm-up " : "measured", s, (s - lastSent) / 5,
                        acceptedAll.sum(), failed.sum(), missedSlot.get(), inFlight.get(), d, (d - lastDeliveries) / 5,
                        ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()));
                lastDeliveries = d;
                lastSent = s;
                nextReport += 5_000_000_000L;
            }
        }
        ticker.join();
        long posted = System.nanoTime();
        while (inFlight.get() > 0 && System.nanoTime() - posted < TimeUnit.MINUTES.toNanos(3)) {
            Thread.sleep(50);
        }
        long members = o.members();
        long graceEnd = System.nanoTime() + o.grace() * 1_000_000_000L;
        while (System.nanoTime() < graceEnd && tally.deliveries.sum() < acceptedAll.sum() * members) {
            Thread.sleep(50);
        }

        long commands1 = mongoCommands(api, admin);
        long lost = 0;
        long unconfirmed = 0;
        for (Recipient r : recipients) {
            BitSet expected;
            synchronized (accepted[r.room]) {
                expected = (BitSet) accepted[r.room].clone();
            }
            BitSet got = r.received();
            BitSet missing = (BitSet) expected.clone();
            missing.andNot(got);
            lost += missing.cardinality();
            got.andNot(expected);
            unconfirmed += got.cardinality();
        }

        Histogram latency = tally.fromScheduled.getIntervalHistogram();
        Histogram fromSent = tally.fromSent.getIntervalHistogram();
        Histogram response = tally.postResponse.getIntervalHistogram();
        Histogram lag = tally.dispatchLag.getIntervalHistogram();
        double postsPerSecond = acceptedInWindow.sum() / (double) o.duration();
        double deliveriesPerSecond = tally.measuredDeliveries.sum() / (double) o.duration();

        System.out.println();
        System.out.println("=== Tsunagu load test: " + OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS));
        System.out.printf(Locale.ROOT, "settings      rooms=%d members=%d websockets=%d rate=%s/s warmup=%d s duration=%d s grace=%d s post-over=%s%n",
                rooms.size(), o.members(), recipients.size(), num(o.rate()), o.warmup(), o.duration(), o.grace(), o.postOver());
        servers.forEach(s -> System.out.println("server        " + s.description));
        System.out.printf(Locale.ROOT, "posts         scheduled=%d sent=%d accepted=%d failed=%d missed-slot=%d "
                        + "(dispatch lag p99 %s ms, max %s ms)%n", total, sent.get(), acceptedAll.sum(), failed.sum(),
                missedSlot.get(), ms(lag.getValueAtPercentile(99)), ms(lag.getMaxValue()));
        System.out.printf(Locale.ROOT, "throughput    accepted posts/s=%s deliveries/s=%s (measured window)%n",
                num(postsPerSecond), num(deliveriesPerSecond));
        if (serverCpu0 >= 0 && serverCpu1 >= 0) {
            System.out.printf(Locale.ROOT, "cpu           server %.2f cores, load tool %.2f cores (of %d, measured window)%n",
                    (serverCpu1 - serverCpu0) / (o.duration() * 1e9), (toolCpu1 - toolCpu0) / (o.duration() * 1e9),
                    Runtime.getRuntime().availableProcessors());
            long acceptedPosts = acceptedInWindow.sum();
            if (acceptedPosts > 0) {
                double jit = jitCpu0 >= 0 && jitCpu1 >= 0 ? (jitCpu1 - jitCpu0) / 1e6 : 0;
                System.out.printf(Locale.ROOT, "cpu per post  server %.2f ms per accepted post (%.2f ms without its "
                                + "JIT compiler threads, which used %.2f cores), load tool %.2f ms%n",
                        (serverCpu1 - serverCpu0) / 1e6 / acceptedPosts,
                        ((serverCpu1 - serverCpu0) / 1e6 - jit) / acceptedPosts, jit / 1e3 / o.duration(),
                        (toolCpu1 - toolCpu0) / 1e6 / acceptedPosts);
            }
        }
        if (commands0 >= 0 && commands1 >= 0 && acceptedAll.sum() > 0) {
            System.out.printf(Locale.ROOT, "mongodb       %.2f driver commands per accepted post (server metric mongodb.driver.commands)%n",
                    (commands1 - commands0) / (double) acceptedAll.sum());
        }
        printLatency("latency       post→delivery per recipient, from scheduled send", latency);
        printLatency("              post→delivery per recipient, from actual send   ", fromSent);
        printLatency("              POST response, from scheduled send              ", response);
        Histogram crossNode = tally.crossNode.getIntervalHistogram();
        if (servers.size() > 1) {
            printLatency("              post→delivery on the post's node                ", tally.sameNode.getIntervalHistogram());
            printLatency("              post→delivery on the other node                 ", crossNode);
        }
        System.out.printf(Locale.ROOT, "deliveries    expected=%d received=%d lost=%d duplicated=%d reordered=%d "
                        + "misrouted=%d unconfirmed=%d%n", acceptedAll.sum() * members, tally.deliveries.sum(), lost,
                tally.duplicated.sum(), tally.reordered.sum(), tally.misrouted.sum(), unconfirmed);
        System.out.printf(Locale.ROOT, "websockets    closed-early=%d resync=%d error-frames=%d other-frames=%d malformed=%d%n",
                tally.closedEarly.sum(), tally.resyncs.sum(), tally.errorFrames.sum(), tally.otherFrames.sum(),
                tally.malformed.sum());
        printNotes(tally);
        System.out.printf(Locale.ROOT, "RESULT nodes=%d posts_per_s=%s deliveries_per_s=%s p99_ms=%s%s lost=%d duplicated=%d reordered=%d%n",
                servers.size(), num(postsPerSecond), num(deliveriesPerSecond), ms(latency.getValueAtPercentile(99)),
                servers.size() > 1 ? " cross_node_p99_ms=" + ms(crossNode.getValueAtPercentile(99)) : "", lost,
                tally.duplicated.sum(), tally.reordered.sum());
    }

    /** The server's count of MongoDB driver commands (actuator, needs the system_admin scope), or -1. */
    private static long mongoCommands(BenchApi api, String adminToken) {
        try {
            BenchApi.Response r = api.get("/actuator/metrics/mongodb.driver.commands", adminToken).block(Duration.ofSeconds(30));
            if (r == null || r.status() != 200) {
                return -1;
            }
            for (JsonNode m : JSON.readTree(r.body()).path("measurements")) {
                if (m.path("statistic").asString("").equals("COUNT")) {
                    return m.path("value").asLong();
                }
            }
        } catch (RuntimeException e) {
            // metrics are a diagnostic; the run goes on without them
        }
        return -1;
    }

    /** Sleeps until {@code due} (System.nanoTime) for an open-loop schedule; returns the time it woke. */
    static long awaitDue(long due) {
        long now = System.nanoTime();
        while (now < due) {
            LockSupport.parkNanos(due - now);
            now = System.nanoTime();
        }
        return now;
    }

    static void printLatency(String label, Histogram h) {
        System.out.printf(Locale.ROOT, "%s n=%d p50=%s p90=%s p99=%s p99.9=%s max=%s ms%n", label, h.getTotalCount(),
                ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)),
                ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()));
    }

    // ---------------------------------------------------------------------------------------------- idle mode

    private void idle(Options o, BenchServer server) throws Exception {
        int n = o.idleConnections();
        int perRoom = o.members();
        int roomCount = (n + perRoom - 1) / perRoom;
        System.out.printf(Locale.ROOT, "settings: idle-connections=%d in %d rooms of up to %d members, target=%s%n", n,
                roomCount, perRoom, server.baseUrl);
        checkFileLimit(n);
        Tally tally = new Tally();
        try (BenchApi api = new BenchApi(server.baseUrl, Math.min(o.httpConnections(), 64))) {
            List<Room> rooms = setUp(api, server.issuer, roomCount, perRoom, n);
            List<Recipient> recipients = recipients(rooms, tally, 1);
            Thread.sleep(2_000);
            Map<String, long[]> classesBefore = server.classHistogram();
            long before = server.heapUsedAfterGc();
            long rssBefore = server.residentBytes();
            System.out.printf(Locale.ROOT, "server heap after full GC, before connecting: %.1f MB%n", before / 1048576.0);
            try {
                connect(recipients, server.baseUrl, o.connectConcurrency());
                System.out.println("all connected and subscribed; letting them idle for 10 s");
                Thread.sleep(10_000);
                long open = recipients.stream().filter(r -> !r.closedEarly).count();
                Map<String, long[]> classesAfter = server.classHistogram();
                long after = server.heapUsedAfterGc();
                long rssAfter = server.residentBytes();
                long stillOpen = recipients.stream().filter(r -> !r.closedEarly).count();
                double perConnection = (after - before) / (double) n / 1024.0;

                System.out.println();
                System.out.println("=== Tsunagu idle WebSockets: " + OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS));
                System.out.println("server        " + server.description);
                System.out.printf(Locale.ROOT, "connections   requested=%d open-before-measuring=%d open-after=%d closed-early=%d%n",
                        n, open, stillOpen, tally.closedEarly.sum());
                System.out.printf(Locale.ROOT, "heap          after full GC: before=%.1f MB after=%.1f MB delta=%.1f MB%n",
                        before / 1048576.0, after / 1048576.0, (after - before) / 1048576.0);
                if (rssBefore > 0 && rssAfter > 0) {
                    System.out.printf(Locale.ROOT, "rss           before=%.1f MB after=%.1f MB delta=%.1f MB (%.1f KB per connection, "
                                    + "heap + direct buffers + native)%n", rssBefore / 1048576.0, rssAfter / 1048576.0,
                            (rssAfter - rssBefore) / 1048576.0, (rssAfter - rssBefore) / (double) n / 1024.0);
                }
                printHistogramDelta(classesBefore, classesAfter, n);
                printNotes(tally);
                System.out.printf(Locale.ROOT, "RESULT idle_connections=%d heap_per_connection_kb=%.1f%n", stillOpen,
                        perConnection);
            } finally {
                recipients.forEach(Recipient::close);
            }
        }
    }

    private static void printHistogramDelta(Map<String, long[]> before, Map<String, long[]> after, int n) {
        record Row(String name, long instances, long bytes) {
        }
        List<Row> rows = new ArrayList<>();
        after.forEach((name, a) -> {
            long[] b = before.getOrDefault(name, new long[2]);
            rows.add(new Row(name, a[0] - b[0], a[1] - b[1]));
        });
        rows.sort(Comparator.comparingLong(Row::bytes).reversed());
        long total = rows.stream().mapToLong(Row::bytes).sum();
        System.out.printf(Locale.ROOT, "live objects  class histogram delta %.1f MB, %.1f KB per connection; largest:%n",
                total / 1048576.0, total / (double) n / 1024.0);
        rows.stream().limit(12).forEach(r -> System.out.printf(Locale.ROOT, "              %8.1f B/conn %6.1f obj/conn  %s%n",
                r.bytes() / (double) n, r.instances() / (double) n, r.name()));
    }

    private static void checkFileLimit(int connections) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.trim().split("\\s+");
                    long soft = f[3].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[3]);
                    System.out.println("open files limit (ulimit -n) of the load tool: " + f[3]);
                    if (soft < connections + 1_000L) {
                        System.out.println("WARNING: " + connections + " connections need a higher limit: ulimit -n "
                                + (connections + 4_096) + " (the server started from here inherits it)");
                    }
                }
            }
        } catch (Exception e) {
            // not Linux
        }
    }

    // ---------------------------------------------------------------------------------------------- set-up

    private static final Profession[] PROFESSIONS = {Profession.NURSE, Profession.DOCTOR, Profession.CARE_WORKER,
            Profession.PHARMACIST, Profession.PHYSICAL_THERAPIST, Profession.ASSISTANT_NURSE, Profession.DIETITIAN,
            Profession.OCCUPATIONAL_THERAPIST, Profession.MEDICAL_SOCIAL_WORKER, Profession.DENTIST};

    /**
     * Mints tokens for {@code users} members (room after room, {@code perRoom} each; the care manager first, who
     * owns the room), signs each in once so the server knows them, and creates the group rooms.
     */
    private static List<Room> setUp(BenchApi api, LocalJwtIssuer issuer, int roomCount, int perRoom, int users)
            throws Exception {
        String run = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
        long start = System.nanoTime();
        List<Member> all = IntStream.range(0, users).parallel().mapToObj(i -> {
            int room = i / perRoom;
            int index = i % perRoom;
            Profession p = index == 0 ? Profession.CARE_MANAGER : PROFESSIONS[(room + index) % PROFESSIONS.length];
            int facility = (room * 7 + index * 13) % 50;
            String id = "lt" + run + "-r" + room + "-m" + index;
            CareUser user = new CareUser(id, "負荷 " + room + "-" + index, p, "bench-" + p.code() + "-" + facility,
                    facilityName(p) + " " + facility, Set.of());
            return new Member(id, issuer.mint(user, TOKEN_TTL), room, index);
        }).toList();
        System.out.printf(Locale.ROOT, "minted %d tokens in %.1f s%n", all.size(), (System.nanoTime() - start) / 1e9);

        start = System.nanoTime();
        LongAdder done = new LongAdder();
        Flux.fromIterable(all)
                .flatMap(m -> api.get("/api/v1/rooms", m.token()).doOnNext(r -> {
                    if (r.status() != 200) {
                        throw new IllegalStateException("sign-in of " + m.id() + ": " + r.status() + " " + abbreviate(r.body()));
                    }
                    done.increment();
                }), 32)
                .blockLast(Duration.ofMinutes(10));
        System.out.printf(Locale.ROOT, "signed in %d users in %.1f s%n", done.sum(), (System.nanoTime() - start) / 1e9);

        start = System.nanoTime();
        List<List<Member>> byRoom = new ArrayList<>();
        for (Member m : all) {
            if (m.index() == 0) {
                byRoom.add(new ArrayList<>());
            }
            byRoom.get(m.room()).add(m);
        }
        List<Room> rooms = Flux.range(0, byRoom.size())
                .flatMapSequential(r -> {
                    List<Member> members = byRoom.get(r);
                    StringBuilder body = new StringBuilder("{\"kind\":\"group\",\"name\":\"負荷試験 ").append(run).append(' ')
                            .append(r).append("\",\"members\":[");
                    for (int i = 1; i < members.size(); i++) {
                        body.append(i > 1 ? "," : "").append("{\"userId\":\"").append(members.get(i).id()).append("\"}");
                    }
                    body.append("]}");
                    return api.post("/api/v1/rooms", members.get(0).token(), body.toString()).map(resp -> {
                        if (resp.status() != 201) {
                            throw new IllegalStateException("creating room " + r + ": " + resp.status() + " "
                                    + abbreviate(resp.body()));
                        }
                        JsonNode node = JSON.readTree(resp.body());
                        return new Room(r, node.path("room").path("id").asString(), List.copyOf(members));
                    });
                }, 8)
                .collectList()
                .block(Duration.ofMinutes(10));
        System.out.printf(Locale.ROOT, "created %d rooms in %.1f s%n", rooms.size(), (System.nanoTime() - start) / 1e9);
        return rooms;
    }

    static String facilityName(Profession p) {
        return switch (p) {
            case NURSE, ASSISTANT_NURSE -> "訪問看護ステーション";
            case CARE_MANAGER -> "居宅介護支援事業所";
            case DOCTOR -> "在宅クリニック";
            case DENTIST -> "訪問歯科";
            case PHARMACIST -> "調剤薬局";
            case CARE_WORKER -> "訪問介護事業所";
            default -> "訪問リハビリ・栄養";
        };
    }

    /** One per (room, member); member i of a room listens on node i % nodes (post n of a room goes to node n % nodes). */
    private static List<Recipient> recipients(List<Room> rooms, Tally tally, int nodes) {
        List<Recipient> recipients = new ArrayList<>();
        for (Room room : rooms) {
            for (Member m : room.members()) {
                recipients.add(new Recipient(room.index(), room.id(), m.id(), m.token(), tally, m.index() % nodes, nodes));
            }
        }
        return recipients;
    }

    /** Opens every WebSocket, a bounded number of handshakes at a time, and waits until all are subscribed. */
    static void connect(List<Recipient> recipients, String baseUrl, int concurrency) throws Exception {
        String wsUrl = baseUrl.replaceFirst("^http", "ws") + "/api/v1/ws";
        // No pool: each WebSocket is its own long-lived connection.
        HttpClient client = HttpClient.create(ConnectionProvider.newConnection());
        WebsocketClientSpec spec = WebsocketClientSpec.builder().maxFramePayloadLength(1 << 20).build();
        java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(concurrency);
        long start = System.nanoTime();
        long nextReport = start + 5_000_000_000L;
        int started = 0;
        for (Recipient r : recipients) {
            permits.acquire();
            r.subscribed.orTimeout(60, TimeUnit.SECONDS).whenComplete((v, e) -> permits.release());
            r.open(client.websocket(spec), wsUrl);
            started++;
            if (System.nanoTime() >= nextReport) {
                System.out.printf(Locale.ROOT, "  connecting: %d of %d started%n", started, recipients.size());
                nextReport += 5_000_000_000L;
            }
        }
        int failures = 0;
        Throwable first = null;
        for (Recipient r : recipients) {
            try {
                r.subscribed.get(90, TimeUnit.SECONDS);
            } catch (Exception e) {
                failures++;
                first = first == null ? e : first;
            }
        }
        if (failures > 0) {
            throw new IllegalStateException(failures + " of " + recipients.size() + " WebSockets did not subscribe; first: "
                    + first, first);
        }
        System.out.printf(Locale.ROOT, "opened and subscribed %d WebSockets in %.1f s%n", recipients.size(),
                (System.nanoTime() - start) / 1e9);
    }

    // ---------------------------------------------------------------------------------------------- output

    private static void printMachine(Options o) {
        String cpu = "?";
        String mem = "?";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
            mem = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .findFirst().map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 + " MB").orElse("?");
        } catch (Exception e) {
            // not Linux
        }
        String load = "?";
        try {
            load = Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            // not Linux
        }
        System.out.printf("machine: %d cpus (%s), %s RAM, %s %s, Java %s (%s), load average %s%n",
                Runtime.getRuntime().availableProcessors(), cpu, mem, System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("java.runtime.version"),
                System.getProperty("java.vm.name"), load);
    }

    static void printNotes(Tally tally) {
        if (tally.noteCount() > 0) {
            System.out.println("problems      " + tally.noteCount() + " (first " + tally.notes().size() + "):");
            tally.notes().forEach(n -> System.out.println("              " + n));
        }
    }

    private static long toolCpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    /** {@code --name value} pairs, the names without their dashes (the inbox and push benchmarks' arguments). */
    static Map<String, String> namedArgs(String[] args) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        return a;
    }

    /** The load tool's options for the server a benchmark starts: its --server-heap, --server-jvm-opts and --jar. */
    static Options serverOptions(Map<String, String> a) {
        List<String> serverArgs = new ArrayList<>();
        for (String k : List.of("server-heap", "server-jvm-opts", "jar")) {
            if (a.containsKey(k)) {
                serverArgs.addAll(List.of("--" + k, a.get(k)));
            }
        }
        return Options.parse(serverArgs.toArray(String[]::new));
    }

    static String ms(long micros) {
        return String.format(Locale.ROOT, "%.2f", micros / 1000.0);
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "…";
    }

    /** The jar's logback defaults to DEBUG on the console; the tool's output is its report. */
    private static void quietLogging() {
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }
}
