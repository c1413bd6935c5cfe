package jp.tsunagu.ops.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.connectors.push.simulator.PushServiceSimulator;
import jp.tsunagu.connectors.push.simulator.SimulatedDevice;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Post → push ({@code ops/bin/pushbench}, docs/BENCHMARKS.md): {@code --rooms} (125) group rooms of {@code --members}
 * (8) people, each with one device subscribed to a push service simulator in this process (1,000 devices). Every
 * member chose {@code --level all} (every post reaches the 7 others: the heaviest case) or keeps the default
 * ({@code --level mentions}: each post mentions one member). Posts arrive open-loop at {@code --rate} (100/s) for
 * {@code --duration} (60 s) after {@code --warmup} (10 s). For each push the simulator receives, decrypts and reads
 * the message id from, the time from the post's request to the push's arrival. Prints percentiles, pushes
 * expected and received, the server's CPU, and a RESULT line. The target: p99 ≤ 1 s.
 */
public final class PushBench {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Enough connections that the posts never queue in the tool at 100/s of 10-50 ms posts. */
    private static final int CONNECTIONS = 64;

    public static void main(String[] args) throws Exception {
        Map<String, String> a = LoadTool.namedArgs(args);
        int rooms = Integer.parseInt(a.getOrDefault("rooms", "125"));
        int members = Integer.parseInt(a.getOrDefault("members", "8"));
        double rate = Double.parseDouble(a.getOrDefault("rate", "100"));
        int duration = Integer.parseInt(a.getOrDefault("duration", "60"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "10"));
        int grace = Integer.parseInt(a.getOrDefault("grace", "10"));
        String level = a.getOrDefault("level", "all");
        if (!level.equals("all") && !level.equals("mentions")) {
            throw new IllegalArgumentException("--level must be all or mentions");
        }
        LoadTool.Options o = LoadTool.serverOptions(a);
        try (PushServiceSimulator service = new PushServiceSimulator().start(0);
             BenchServer server = BenchServer.start(o, List.of("--tsunagu.notify.allow-http=true",
                     "--tsunagu.notify.endpoint-hosts=127.0.0.1"));
             BenchApi api = new BenchApi(server.baseUrl, CONNECTIONS)) {
            System.out.println("server: " + server.description);
            new PushBench(server, api, service).run(rooms, members, rate, duration, warmup, grace, level);
        }
    }

    private record Person(String id, String token) {
    }

    private final BenchServer server;
    private final BenchApi api;
    private final PushServiceSimulator service;
    /** Message id → when its post was sent (nanoTime), for the posts measured. */
    private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    private final Histogram latency = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong undecryptable = new AtomicLong();
    private volatile long startNanos;
    private volatile java.time.Instant startInstant;

    private PushBench(BenchServer server, BenchApi api, PushServiceSimulator service) {
        this.server = server;
        this.api = api;
        this.service = service;
    }

    private void run(int roomCount, int members, double rate, int duration, int warmup, int grace, String level)
            throws InterruptedException {
        long seedStart = System.nanoTime();
        service.keepPayloads(false);
        Map<String, SimulatedDevice> devices = new ConcurrentHashMap<>();
        List<List<Person>> people = new ArrayList<>();
        List<String> roomIds = new ArrayList<>();
        for (int r = 0; r < roomCount; r++) {
            List<Person> room = new ArrayList<>();
            for (int m = 0; m < members; m++) {
                String id = "push-" + r + "-" + m;
                CareUser user = new CareUser(id, id + " 氏名", m == 0 ? Profession.CARE_MANAGER : Profession.NURSE,
                        "fac-" + r, "fac-" + r + " 事業所", Set.of());
                room.add(new Person(id, server.issuer.mint(user, LoadTool.TOKEN_TTL)));
            }
            people.add(room);
        }
        Flux.fromIterable(people).flatMap(room -> Flux.fromIterable(room)
                .concatMap(p -> api.get("/api/v1/rooms?limit=1", p.token()).map(res -> expect(res, 200, "sign-in"))), 16).blockLast();
        roomIds.addAll(Flux.fromIterable(people).flatMapSequential(room -> api.post("/api/v1/rooms", room.get(0).token(),
                        JSON.writeValueAsString(Map.of("kind", "group", "name", "通知ベンチ", "members",
                                room.subList(1, room.size()).stream().map(p -> Map.of("userId", p.id())).toList())))
                .map(res -> JSON.readTree(expect(res, 201, "room").body()).path("room").path("id").asString()), 16)
                .collectList().block());
        Flux.range(0, roomCount).flatMap(r -> Flux.fromIterable(people.get(r)).concatMap(p -> {
            SimulatedDevice d = service.subscribe();
            devices.put(d.id(), d);
            Flux<BenchApi.Response> calls = api.post("/api/v1/notifications/devices", p.token(), d.subscriptionJson())
                    .map(res -> expect(res, 201, "subscribe")).flux();
            if (level.equals("all")) {
                calls = calls.concatWith(put("/api/v1/rooms/" + roomIds.get(r) + "/notifications", p.token(), "{\"level\":\"all\"}"));
            }
            return calls;
        }), 16).blockLast();
        System.out.printf("seeded: %d rooms of %d, %d devices subscribed, level %s, in %d s%n", roomCount, members,
                devices.size(), level, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - seedStart));

        // Arrival times are taken as the pushes come; the token checks and decryption wait for the end of the run.
        service.deferChecks(true);
        service.onPush(push -> {
            try {
                JsonNode body = JSON.readTree(push.payload());
                Long at = sentAt.get(body.path("messageId").asString());
                if (at != null) {
                    received.incrementAndGet();
                    // The simulator's arrival time on this process's nanoTime scale.
                    long arrived = startNanos + Duration.between(startInstant, push.at()).toNanos();
                    synchronized (latency) {
                        latency.recordValue(Math.max(0, (arrived - at) / 1_000));
                    }
                }
            } catch (RuntimeException e) {
                undecryptable.incrementAndGet();
            }
        });

        Scheduler ticks = Schedulers.newSingle("push-bench-ticks");
        AtomicLong posted = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long intervalNanos = (long) (1e9 / rate);
        long total = (long) (rate * (warmup + duration));
        long measuredFrom = (long) (rate * warmup);
        long cpuStart = BenchServer.procCpuNanos(server.pid);
        long start = System.nanoTime();
        startNanos = start;
        startInstant = java.time.Instant.now();
        long[] cpuAtMeasure = {0};
        Flux.interval(Duration.ofNanos(intervalNanos), ticks).onBackpressureDrop().take(total).flatMap(i -> {
            if (i == measuredFrom) {
                cpuAtMeasure[0] = BenchServer.procCpuNanos(server.pid);
            }
            int r = ThreadLocalRandom.current().nextInt(roomCount);
            List<Person> room = people.get(r);
            int by = ThreadLocalRandom.current().nextInt(members);
            Person author = room.get(by);
            String key = UUID.randomUUID().toString();
            String messageId = Ids.derived("message", author.id(), key);
            Map<String, Object> post = new HashMap<>(Map.of("text", "訪問記録 " + i + ": 血圧 128/76、食事は半分ほど"));
            if (level.equals("mentions")) {
                post.put("mentions", Map.of("users", List.of(room.get((by + 1) % members).id())));
            }
            if (i >= measuredFrom) {
                sentAt.put(messageId, System.nanoTime());
            }
            return api.postWithKey("/api/v1/rooms/" + roomIds.get(r) + "/messages", author.token(),
                            JSON.writeValueAsString(post), key)
                    .doOnNext(res -> (res.status() == 201 ? posted : failed).incrementAndGet());
        }, 1024).blockLast();
        long postedNanos = System.nanoTime() - start;
        Thread.sleep(TimeUnit.SECONDS.toMillis(grace));
        long cpuMeasured = BenchServer.procCpuNanos(server.pid) - cpuAtMeasure[0];
        ticks.dispose();
        service.settleDeferred();

        long measuredPosts = sentAt.size();
        long expected = measuredPosts * (level.equals("all") ? members - 1 : 1);
        System.out.printf("posted %d (%d failed) in %.1f s, %d measured; server CPU %.2f cores over the run%n",
                posted.get(), failed.get(), postedNanos / 1e9, measuredPosts,
                (BenchServer.procCpuNanos(server.pid) - cpuStart) / 1e9 / ((postedNanos / 1e9) + grace));
        System.out.printf("pushes: %d expected, %d received, %d undecryptable, %d refused by the push service%n",
                expected, received.get(), undecryptable.get(), service.refused());
        synchronized (latency) {
            System.out.printf("post → push arriving: p50 %s ms, p90 %s ms, p99 %s ms, max %s ms; server CPU %.2f ms per post%n",
                    LoadTool.ms(latency.getValueAtPercentile(50)), LoadTool.ms(latency.getValueAtPercentile(90)),
                    LoadTool.ms(latency.getValueAtPercentile(99)), LoadTool.ms(latency.getMaxValue()),
                    measuredPosts == 0 ? 0 : cpuMeasured / 1e6 / measuredPosts);
            boolean met = latency.getValueAtPercentile(99) <= 1_000_000 && received.get() == expected;
            System.out.printf("RESULT push p99_ms=%s target_ms=1000 lost=%d %s%n", LoadTool.ms(latency.getValueAtPercentile(99)),
                    expected - received.get(), met ? "MET" : "MISSED");
        }
    }

    private Flux<BenchApi.Response> put(String path, String token, String json) {
        return api.put(path, token, json).map(res -> expect(res, 200, "level")).flux();
    }

    private static BenchApi.Response expect(BenchApi.Response r, int status, String what) {
        if (r == null || r.status() != status) {
            throw new IllegalStateException(what + ": expected " + status + ", got " + (r == null ? "nothing" : r.status() + " " + r.body()));
        }
        return r;
    }
}
