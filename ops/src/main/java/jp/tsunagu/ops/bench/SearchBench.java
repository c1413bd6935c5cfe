package jp.tsunagu.ops.bench;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.HdrHistogram.Histogram;
import org.bson.Document;
import org.springframework.data.mongodb.core.MongoTemplate;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import de.bwaldvogel.mongo.MongoServer;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.MemberRole;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.RoomKind;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.ops.embedded.IndexedH2Backend;

/**
 * Search over a region's worth of notes ({@code ops/bin/searchbench}, docs/BENCHMARKS.md): {@code --messages}
 * (1,000,000) care notes over {@code --rooms} (2,000) rooms are written straight into an embedded database on disk
 * (the H2 file the server uses by default), with a nurse who is a member of {@code --my-rooms} (40). The server is
 * then started on that folder, the embedded default, and builds its search index at start-up (timed). Then
 * {@code GET /api/v1/search} as the nurse, one at a time, over a mix of frequent and rare words, Japanese, Latin,
 * two-word and half-width queries: {@code --queries} (2,000) after {@code --warmup} (200). Prints the percentiles,
 * the index's size per message and a RESULT line. Target: p99 ≤ 50 ms.
 */
public final class SearchBench {

    private static final List<String> QUERIES = List.of("ワーファリン", "ﾜｰﾌｧﾘﾝ", "訪問", "血圧", "褥瘡", "入浴", "発熱",
            "転倒", "看護師", "食事", "薬", "SpO2", "BP", "2mg", "ケアマネ", "デイサービス", "訪問 血圧", "ワーファリン 飲み忘れ",
            "排便", "ショートステイ", "インスリン", "歩行器", "warfarin", "抗菌薬");
    private static final String NURSE = "bench-ns-sato";
    private static final int BATCH = 2_000;

    public static void main(String[] args) throws Exception {
        Map<String, String> a = LoadTool.namedArgs(args);
        int messages = Integer.parseInt(a.getOrDefault("messages", "1000000"));
        int rooms = Integer.parseInt(a.getOrDefault("rooms", "2000"));
        int myRooms = Integer.parseInt(a.getOrDefault("my-rooms", "40"));
        int queries = Integer.parseInt(a.getOrDefault("queries", "2000"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "200"));
        a.putIfAbsent("server-heap", "2g");
        LoadTool.Options o = LoadTool.serverOptions(a);
        Path data = a.containsKey("data-dir") ? Path.of(a.get("data-dir")) : Files.createTempDirectory("tsunagu-search-bench-");
        Files.createDirectories(data);
        if (!Files.exists(data.resolve("tsunagu.mv"))) {
            seed(data, messages, rooms, myRooms);
        } else {
            System.out.println("reusing the database in " + data);
        }
        long start = System.nanoTime();
        try (BenchServer server = BenchServer.startOnDisk(o, data, List.of());
             BenchApi api = new BenchApi(server.baseUrl, 4)) {
            CareUser nurse = new CareUser(NURSE, "佐藤 美咲", Profession.NURSE, "fac-vns", "ひかり訪問看護", Set.of());
            String token = server.issuer.mint(nurse, LoadTool.TOKEN_TTL);
            BenchApi.Response r;
            do {
                Thread.sleep(200);
                r = api.get("/api/v1/search?q=" + encode("訪問"), token).block();
            } while (r != null && r.status() == 503);
            if (r == null || r.status() != 200) {
                throw new IllegalStateException("search answered " + (r == null ? "nothing" : r.status() + " " + r.body()));
            }
            System.out.printf("server started and search index built in %d s (log: %s)%n",
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), server.description);
            long indexBytes = size(data.resolve("search"));
            System.out.printf("search index: %.1f MB on disk, %.0f bytes per message (database file %.1f MB)%n",
                    indexBytes / 1e6, indexBytes / (double) messages, Files.size(data.resolve("tsunagu.mv")) / 1e6);
            Histogram latency = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
            long hits = 0;
            for (int i = 0; i < warmup + queries; i++) {
                String q = QUERIES.get(i % QUERIES.size());
                long t0 = System.nanoTime();
                BenchApi.Response res = api.get("/api/v1/search?q=" + encode(q), token).block();
                long micros = (System.nanoTime() - t0) / 1_000;
                if (res == null || res.status() != 200) {
                    throw new IllegalStateException("search for " + q + " answered " + (res == null ? "nothing" : res.status() + " " + res.body()));
                }
                if (i >= warmup) {
                    latency.recordValue(micros);
                    hits += res.body().split("\"snippet\"", -1).length - 1;
                }
            }
            System.out.printf("GET /api/v1/search, %d queries after %d warm-up, one at a time, %.1f hits a page: p50 %s ms, p90 %s ms, p99 %s ms, max %s ms%n",
                    queries, warmup, hits / (double) queries, LoadTool.ms(latency.getValueAtPercentile(50)),
                    LoadTool.ms(latency.getValueAtPercentile(90)), LoadTool.ms(latency.getValueAtPercentile(99)),
                    LoadTool.ms(latency.getMaxValue()));
            System.out.printf("RESULT search p99_ms=%s target_ms=50 %s%n", LoadTool.ms(latency.getValueAtPercentile(99)),
                    latency.getValueAtPercentile(99) <= 50_000 ? "MET" : "MISSED");
        }
    }

    /** Writes the rooms, memberships and notes into an embedded database file, as the server would have. */
    private static void seed(Path data, int messages, int roomCount, int myRooms) {
        long start = System.nanoTime();
        MongoServer mongo = new MongoServer(new IndexedH2Backend(data.resolve("tsunagu.mv").toString()));
        try {
            mongo.bind("127.0.0.1", 0);
            String uri = "mongodb://127.0.0.1:" + mongo.getLocalAddress().getPort();
            // The server's indexes first, as on a database the server wrote: kept with every insert from then on.
            try (com.mongodb.reactivestreams.client.MongoClient reactive = com.mongodb.reactivestreams.client.MongoClients.create(uri)) {
                new jp.tsunagu.chat.config.MongoIndexes(new org.springframework.data.mongodb.core.ReactiveMongoTemplate(reactive, "tsunagu"))
                        .afterPropertiesSet();
            }
            try (MongoClient client = MongoClients.create(uri)) {
                MongoTemplate db = new MongoTemplate(client, "tsunagu");
                Random random = new Random(7);
                CareNotes notes = new CareNotes(7);
                List<String> roomIds = new ArrayList<>();
                List<Object> batch = new ArrayList<>();
                Instant now = Instant.now();
                int perRoom = messages / roomCount;
                Document nurseRooms = new Document();
                for (int r = 0; r < roomCount; r++) {
                    String roomId = Ids.newId();
                    roomIds.add(roomId);
                    List<String[]> staff = new ArrayList<>();
                    for (int k = 0; k < 6; k++) {
                        staff.add(new String[]{"bench-staff-" + ((r * 7 + k) % 300), Profession.values()[k % 4].code()});
                    }
                    if (r < myRooms) {
                        staff.set(0, new String[]{NURSE, Profession.NURSE.code()});
                        nurseRooms.append(roomId, Date.from(now));
                    }
                    long seq = 0;
                    for (String[] s : staff) {
                        db.insert(new Membership(Membership.idOf(roomId, s[0]), roomId, s[0], s[0] + " 氏名",
                                Profession.parse(s[1]).orElse(Profession.NURSE), "fac-" + s[0].hashCode() % 20,
                                "施設", MemberRole.MEMBER, true, ++seq, now.minus(Duration.ofDays(800)), null, null));
                    }
                    for (int m = 0; m < perRoom; m++) {
                        String[] author = staff.get(random.nextInt(staff.size()));
                        long s = ++seq;
                        Instant at = now.minus(Duration.ofMinutes(2L * (perRoom - m) * 30 + random.nextInt(30)));
                        boolean photo = random.nextInt(20) == 0;
                        Message message = new Message(Ids.newId(), roomId, s, s, Message.Change.CREATED,
                                new Message.Author(author[0], author[0] + " 氏名", Profession.parse(author[1]).orElse(Profession.NURSE),
                                        "fac-" + author[0].hashCode() % 20, "施設"),
                                notes.next(), null, null, null, random.nextInt(50) == 0 ? Priority.URGENT : Priority.NORMAL,
                                Message.Mentions.NONE, List.of(),
                                photo ? List.of(new Message.AttachmentRef(Ids.newId(), "photo.jpg", "image/jpeg", 120_000, true)) : List.of(),
                                Map.of(), List.of(), at, null, null, Ids.derived("bench", roomId, Long.toString(s)), null, null,
                                null, null);
                        batch.add(message);
                        if (batch.size() == BATCH) {
                            db.insert(batch, Message.class);
                            batch.clear();
                        }
                    }
                    db.insert(new CareRoom(roomId, RoomKind.GROUP, "ルーム " + r, null, false, null, null,
                            now.minus(Duration.ofDays(800)), "bench", seq, 0, null, now, null, List.of()));
                    if (r % 200 == 199) {
                        System.out.printf("seeding: %d rooms, %d messages, %d s%n", r + 1, (long) (r + 1) * perRoom,
                                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
                    }
                }
                if (!batch.isEmpty()) {
                    db.insert(batch, Message.class);
                }
                db.getCollection("user_rooms").insertOne(new Document("_id", NURSE).append("rooms", nurseRooms));
                // A database of this version: its start-up migrations have run (the notes mention no one and carry no
                // requests, so the inbox projection is empty; the lists of rooms are written above).
                for (String done : List.of("inbox-entries-1", "user-rooms-1")) {
                    db.getCollection("migrations").insertOne(new Document("_id", done).append("at", Date.from(now)));
                }
                System.out.printf("seeded %d messages over %d rooms (the nurse in %d) in %d s, into %s%n",
                        (long) perRoom * roomCount, roomCount, myRooms,
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), data);
            }
        } finally {
            mongo.shutdown();
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    private static String encode(String q) {
        return URLEncoder.encode(q, StandardCharsets.UTF_8);
    }
}
