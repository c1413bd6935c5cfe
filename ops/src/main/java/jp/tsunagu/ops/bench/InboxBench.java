package jp.tsunagu.ops.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The "my actions" inbox under a realistic load of requests ({@code ops/bin/inboxbench}, docs/BENCHMARKS.md): a
 * care manager in {@code --my-rooms} rooms (40) among {@code --rooms} rooms (400) holding {@code --requests}
 * requests (10,000) made through the public API: in her rooms, a quarter asked of her, a quarter made by her
 * (some overdue, some declined), the rest between the others; plus urgent messages and mentions waiting for her.
 * {@code --finished} percent of the requests (90) are then completed by their assignee, as in a database where
 * requests accumulate and few are open at once; {@code --urgent} (5) urgent messages and {@code --mentions} (20)
 * more messages mention her. {@code --finished 0 --urgent 40 --mentions 80} fills every section to its cap.
 * Then {@code GET /api/v1/inbox} as her, closed loop, {@code --reads} times (2,000) after {@code --warmup} (200):
 * prints the latency percentiles and a RESULT line. The target: p99 ≤ 20 ms.
 */
public final class InboxBench {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int CONCURRENCY = 16;

    public static void main(String[] args) throws Exception {
        Map<String, String> a = LoadTool.namedArgs(args);
        int myRooms = Integer.parseInt(a.getOrDefault("my-rooms", "40"));
        int rooms = Integer.parseInt(a.getOrDefault("rooms", "400"));
        int requests = Integer.parseInt(a.getOrDefault("requests", "10000"));
        int reads = Integer.parseInt(a.getOrDefault("reads", "2000"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "200"));
        int finished = Integer.parseInt(a.getOrDefault("finished", "90"));
        int urgent = Integer.parseInt(a.getOrDefault("urgent", "5"));
        int mentions = Integer.parseInt(a.getOrDefault("mentions", "20"));
        if (myRooms > rooms || requests < rooms) {
            throw new IllegalArgumentException("--my-rooms must not exceed --rooms, and --requests must be at least --rooms");
        }
        LoadTool.Options o = LoadTool.serverOptions(a);
        try (BenchServer server = BenchServer.start(o); BenchApi api = new BenchApi(server.baseUrl, CONCURRENCY)) {
            System.out.println("server: " + server.description);
            new InboxBench(server, api).run(myRooms, rooms, requests, reads, warmup, finished, urgent, mentions);
        }
    }

    private final BenchServer server;
    private final BenchApi api;

    private InboxBench(BenchServer server, BenchApi api) {
        this.server = server;
        this.api = api;
    }

    private record Person(String id, String token) {
    }

    private Person person(String id, Profession profession, String facility) {
        CareUser user = new CareUser(id, id + " 氏名", profession, facility, facility + " 事業所", java.util.Set.of());
        Person p = new Person(id, server.issuer.mint(user, LoadTool.TOKEN_TTL));
        expect(api.get("/api/v1/rooms?limit=1", p.token()).block(), 200, "sign-in of " + id);
        return p;
    }

    private void run(int myRooms, int roomCount, int requestCount, int reads, int warmup, int finishedPercent,
                     int urgent, int mentions) {
        long seedStart = System.nanoTime();
        Person cm = person("bench-cm", Profession.CARE_MANAGER, "fac-cm");
        Person otherCm = person("bench-cm-2", Profession.CARE_MANAGER, "fac-cm2");
        List<Person> nurses = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            nurses.add(person("bench-ns-" + i, Profession.NURSE, "fac-vns-" + (i % 3)));
        }
        Person doctor = person("bench-dr", Profession.DOCTOR, "fac-clinic");
        // Rooms 0..myRooms-1 are hers; the others belong to a colleague. Each has two nurses and the doctor.
        List<String> roomIds = Flux.range(0, roomCount).flatMapSequential(i -> {
            Person owner = i < myRooms ? cm : otherCm;
            String body = JSON.writeValueAsString(Map.of("kind", "group", "name", "ベンチ " + i, "members", List.of(
                    Map.of("userId", nurses.get(i % 10).id()), Map.of("userId", nurses.get((i + 1) % 10).id()),
                    Map.of("userId", doctor.id()))));
            return api.post("/api/v1/rooms", owner.token(), body)
                    .map(r -> JSON.readTree(expect(r, 201, "room").body()).path("room").path("id").asString());
        }, CONCURRENCY).collectList().block();

        Instant now = Instant.now();
        AtomicLong made = new AtomicLong();
        AtomicLong finished = new AtomicLong();
        Flux.range(0, requestCount).flatMap(i -> {
            int room = i % roomCount;
            boolean hers = room < myRooms;
            Person nurse = nurses.get(room % 10);
            // In her rooms: a quarter asked of her, a quarter made by her, the rest between the nurses and the doctor.
            int kind = (i / roomCount) % 4;
            Person by = hers && kind == 1 ? cm : hers && kind == 0 ? nurse : doctor;
            String assignee = hers && kind == 0 ? cm.id() : nurse.id();
            Duration due = Duration.ofHours(1 + (i % 240));
            String body = JSON.writeValueAsString(Map.of("text", "ベンチ依頼 " + i + ": 次回訪問時の様子を報告してください",
                    "request", Map.of("kind", "report", "assignees", Map.of("users", List.of(assignee)),
                            "dueAt", now.plus(due).toString())));
            return api.post("/api/v1/rooms/" + roomIds.get(room) + "/messages", by.token(), body)
                    .map(r -> expect(r, 201, "request").body())
                    .flatMap(json -> {
                        made.incrementAndGet();
                        String actions = "/api/v1/rooms/" + roomIds.get(room) + "/messages/"
                                + JSON.readTree(json).path("id").asString() + "/request/actions";
                        // Some of hers are declined by the nurse asked.
                        if (hers && kind == 1 && i % 7 == 0) {
                            return api.post(actions, nurse.token(), "{\"action\":\"decline\",\"note\":\"日程が合いません\"}")
                                    .map(r -> expect(r, 200, "decline"));
                        }
                        // Most are done by now (i / roomCount spreads the finished ones over every kind and room).
                        if ((i / roomCount * 37 + room) % 100 < finishedPercent) {
                            String assigneeToken = assignee.equals(cm.id()) ? cm.token() : nurse.token();
                            return api.post(actions, assigneeToken, "{\"action\":\"complete\"}")
                                    .map(r -> expect(r, 200, "complete")).doOnNext(r -> finished.incrementAndGet());
                        }
                        return Mono.just(json);
                    });
        }, CONCURRENCY).blockLast();
        // Everyone has read their rooms up to here, as members do: the inbox reads her read positions.
        List<Map.Entry<String, Person>> readers = new ArrayList<>();
        for (int i = 0; i < roomCount; i++) {
            for (Person p : List.of(nurses.get(i % 10), nurses.get((i + 1) % 10), doctor, i < myRooms ? cm : otherCm)) {
                readers.add(Map.entry(roomIds.get(i), p));
            }
        }
        Flux.fromIterable(readers)
                .flatMap(e -> api.post("/api/v1/rooms/" + e.getKey() + "/read", e.getValue().token(), "{\"upToSeq\":1000000}")
                        .map(r -> expect(r, 200, "read")), CONCURRENCY)
                .blockLast();
        Flux.range(0, urgent + mentions).flatMap(i -> {
            String room = roomIds.get(i % myRooms);
            Person nurse = nurses.get((i % myRooms) % 10);
            String body = i < urgent
                    ? JSON.writeValueAsString(Map.of("text", "至急: 発熱 38.5℃", "priority", "urgent",
                            "mentions", Map.of("users", List.of(cm.id()))))
                    : JSON.writeValueAsString(Map.of("text", "担当者会議の日程の件です", "mentions", Map.of("users", List.of(cm.id()))));
            return api.post("/api/v1/rooms/" + room + "/messages", nurse.token(), body).map(r -> expect(r, 201, "mention"));
        }, CONCURRENCY).blockLast();
        System.out.printf("seeded: %d rooms (%d hers), %d requests (%d finished), %d urgent messages and %d mentions for her, in %d s%n",
                roomCount, myRooms, made.get(), finished.get(), urgent, mentions,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - seedStart));

        JsonNode sample = JSON.readTree(expect(api.get("/api/v1/inbox", cm.token()).block(), 200, "inbox").body());
        System.out.println("her inbox: counts " + sample.path("counts") + ", "
                + expect(api.get("/api/v1/inbox", cm.token()).block(), 200, "inbox").body().length() + " characters of JSON");
        Histogram latency = new Histogram(60_000_000L, 3);
        for (int i = 0; i < warmup + reads; i++) {
            long start = System.nanoTime();
            expect(api.get("/api/v1/inbox", cm.token()).block(), 200, "inbox");
            long micros = (System.nanoTime() - start) / 1_000;
            if (i >= warmup) {
                latency.recordValue(micros);
            }
        }
        System.out.printf("GET /api/v1/inbox, %d reads after %d warm-up, one at a time: p50 %s ms, p90 %s ms, p99 %s ms, max %s ms%n",
                reads, warmup, LoadTool.ms(latency.getValueAtPercentile(50)), LoadTool.ms(latency.getValueAtPercentile(90)),
                LoadTool.ms(latency.getValueAtPercentile(99)), LoadTool.ms(latency.getMaxValue()));
        System.out.printf("RESULT inbox p99_ms=%s target_ms=20 %s%n", LoadTool.ms(latency.getValueAtPercentile(99)),
                latency.getValueAtPercentile(99) <= 20_000 ? "MET" : "MISSED");
    }

    private static BenchApi.Response expect(BenchApi.Response r, int status, String what) {
        if (r == null || r.status() != status) {
            throw new IllegalStateException(what + ": expected " + status + ", got " + (r == null ? "nothing" : r.status() + " " + r.body()));
        }
        return r;
    }
}
