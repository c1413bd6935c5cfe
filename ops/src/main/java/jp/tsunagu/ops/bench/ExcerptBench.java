package jp.tsunagu.ops.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static jp.tsunagu.ops.bench.LoadTool.TOKEN_TTL;
import static jp.tsunagu.ops.bench.LoadTool.abbreviate;
import static jp.tsunagu.ops.bench.LoadTool.ms;
import static jp.tsunagu.ops.bench.LoadTool.num;

/**
 * Excerpt mode of the load tool ({@code ops/bin/loadtest --excerpts N}): the consent targets of
 * docs/BENCHMARKS.md, through the public API against the demo FHIR server with its answers cached.
 *
 * <ol>
 *   <li>A patient room for each of the five demo residents (their records are on the demo FHIR server), with
 *       a care manager, the resident and {@code --members} − 2 professionals; a nurse asks for labs, vitals,
 *       medication and allergies for the whole team, the resident approves; the nurse posts a labs card and a
 *       30-day vitals card. Every member subscribes over a WebSocket.</li>
 *   <li><b>Reads</b>: {@code GET /rooms/{id}/messages/{mid}/excerpt} on an open-loop schedule of N per second,
 *       over the rooms, cards and members in turn; latency from the scheduled time, and each answer must be
 *       200 with the data shown. Each read is also an access-log append, as in production.</li>
 *   <li><b>Revocations</b>, spread over the measured window while the reads go on: one room after another,
 *       the resident revokes the grant; the time from sending the revocation until each subscribed member has
 *       the {@code message.excerpt} event of each of the room's cards, and a re-read must say {@code revoked}.
 *       A renewal approved by the resident then restores it (its events are timed too). Reads meeting a card
 *       in such a round get {@code revoked}, which is counted apart and is not an error.</li>
 * </ol>
 */
final class ExcerptBench {

    /** The demo FHIR server's residents (ops/src/main/resources/demo/fhir); one patient room each. */
    static final List<String> RESIDENTS = List.of("TONE-000123", "TONE-000245", "TONE-000318", "TONE-000402", "TONE-000517");
    private static final List<String> CATEGORIES = List.of("lab", "vital.bp", "vital.weight", "medication", "allergy");
    private static final Profession[] TEAM = {Profession.NURSE, Profession.DOCTOR, Profession.PHARMACIST,
            Profession.PHYSICAL_THERAPIST, Profession.ASSISTANT_NURSE, Profession.DIETITIAN, Profession.DENTIST,
            Profession.OCCUPATIONAL_THERAPIST};
    /** A round whose events have not all arrived by then is counted as missed (the target is 1 s). */
    private static final Duration ROUND_TIMEOUT = Duration.ofSeconds(10);
    private static final long HIGHEST = 3_600_000_000L;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final LoadTool.Options o;
    private final BenchServer server;
    private final Tally tally = new Tally();
    /** The read phase's figures, for the RESULT line printed at the end. */
    private long readP99;
    private long readFailures;

    /** One patient room: its members (0 care manager, 1 nurse, 2 resident, then the others), grant and cards. */
    private record PatientRoom(int index, String id, List<LoadTool.Member> members, String grantId, List<String> cards) {
        LoadTool.Member nurse() {
            return members.get(1);
        }

        LoadTool.Member resident() {
            return members.get(2);
        }
    }

    ExcerptBench(LoadTool.Options o, BenchServer server) {
        this.o = o;
        this.server = server;
    }

    void run() throws Exception {
        if (o.members() < 3) {
            throw new IllegalArgumentException("--members must be at least 3 in excerpt mode (care manager, nurse, resident)");
        }
        System.out.printf(Locale.ROOT, "settings: excerpt mode, %d patient rooms x %d members, %s reads/s, warmup=%d s "
                        + "duration=%d s, %d revocations, target=%s%n", RESIDENTS.size(), o.members(), num(o.excerptReads()),
                o.warmup(), o.duration(), o.revocations(), server.baseUrl);
        try (BenchApi api = new BenchApi(server.baseUrl, o.httpConnections())) {
            List<PatientRoom> rooms = setUp(api);
            List<Recipient> recipients = new ArrayList<>();
            for (PatientRoom room : rooms) {
                for (LoadTool.Member m : room.members()) {
                    recipients.add(new Recipient(room.index(), room.id(), m.id(), m.token(), tally));
                }
            }
            LoadTool.connect(recipients, server.baseUrl, o.connectConcurrency());
            try {
                Revocations revocations = new Revocations(api, rooms, recipients);
                reads(api, rooms, revocations);
                revocations.report();
            } finally {
                recipients.forEach(Recipient::close);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- set-up

    private List<PatientRoom> setUp(BenchApi api) {
        String run = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
        List<PatientRoom> rooms = new ArrayList<>();
        for (int r = 0; r < RESIDENTS.size(); r++) {
            List<LoadTool.Member> members = new ArrayList<>();
            for (int i = 0; i < o.members(); i++) {
                Profession p = switch (i) {
                    case 0 -> Profession.CARE_MANAGER;
                    case 1 -> Profession.NURSE;
                    case 2 -> Profession.RESIDENT;
                    default -> TEAM[(i - 2) % TEAM.length];
                };
                String id = "ex" + run + "-r" + r + "-m" + i;
                String facility = p == Profession.RESIDENT ? null : "bench-" + p.code() + "-" + r;
                CareUser user = new CareUser(id, "抜粋 " + r + "-" + i, p, facility,
                        facility == null ? null : LoadTool.facilityName(p) + " " + r, Set.of());
                members.add(new LoadTool.Member(id, server.issuer.mint(user, TOKEN_TTL), r, i));
                expect(api.get("/api/v1/rooms", members.get(i).token()), 200, "sign-in of " + id);
            }
            StringBuilder body = new StringBuilder("{\"kind\":\"patient\",\"resident\":{\"name\":\"抜粋 太郎 ").append(r)
                    .append("\",\"kana\":\"ばっすい たろう\",\"birthDate\":\"1940-01-01\",\"externalResidentId\":\"")
                    .append(RESIDENTS.get(r)).append("\"},\"members\":[");
            for (int i = 1; i < members.size(); i++) {
                body.append(i > 1 ? "," : "").append("{\"userId\":\"").append(members.get(i).id()).append("\"}");
            }
            body.append("]}");
            String roomId = expect(api.post("/api/v1/rooms", members.get(0).token(), body.toString()), 201,
                    "creating the room of " + RESIDENTS.get(r)).path("room").path("id").asString();
            PatientRoom room = new PatientRoom(r, roomId, List.copyOf(members), null, List.of());
            String grantId = grant(api, room, null);
            List<String> cards = List.of(card(api, room, grantId, "{\"kind\":\"labs\"}"),
                    card(api, room, grantId, "{\"kind\":\"vitals\",\"days\":30}"));
            rooms.add(new PatientRoom(r, roomId, room.members(), grantId, cards));
        }
        System.out.printf(Locale.ROOT, "created %d patient rooms, grants and %d cards%n", rooms.size(), rooms.size() * 2);
        return rooms;
    }

    /** The nurse asks (renewing {@code replaces} if given), the resident approves; returns the grant id. */
    private static String grant(BenchApi api, PatientRoom room, String replaces) {
        String base = "/api/v1/rooms/" + room.id() + "/consent";
        String request = expect(api.post(base + "/requests", room.nurse().token(), "{\"categories\":"
                + CATEGORIES.stream().map(c -> "\"" + c + "\"").toList() + ",\"purpose\":\"負荷試験の共有\",\"validDays\":30"
                + (replaces == null ? "" : ",\"replacesGrantId\":\"" + replaces + "\"") + "}"), 201, "consent request")
                .path("id").asString();
        return expect(api.post(base + "/requests/" + request + "/approve", room.resident().token(), "{}"), 201,
                "approval").path("grantId").asString();
    }

    private static String card(BenchApi api, PatientRoom room, String grantId, String kind) {
        String body = "{\"grantId\":\"" + grantId + "\"," + kind.substring(1);
        return expect(api.post("/api/v1/rooms/" + room.id() + "/excerpts", room.nurse().token(), body), 201, "card")
                .path("id").asString();
    }

    private static JsonNode expect(reactor.core.publisher.Mono<BenchApi.Response> call, int status, String what) {
        BenchApi.Response r = call.block(Duration.ofSeconds(60));
        if (r == null || r.status() != status) {
            throw new IllegalStateException(what + ": " + (r == null ? "no answer" : r.status() + " " + abbreviate(r.body())));
        }
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    // ---------------------------------------------------------------------------------------------- reads

    private void reads(BenchApi api, List<PatientRoom> rooms, Revocations revocations) throws InterruptedException {
        double rate = o.excerptReads();
        long total = Math.round((o.warmup() + o.duration()) * rate);
        double period = 1e9 / rate;
        Recorder latency = new Recorder(HIGHEST, 3);
        LongAdder shown = new LongAdder();
        LongAdder shownOutside = new LongAdder();
        LongAdder revoked = new LongAdder();
        LongAdder wrong = new LongAdder();
        LongAdder failed = new LongAdder();
        AtomicLong inFlight = new AtomicLong();
        long t0 = System.nanoTime() + 200_000_000L;
        long windowStart = t0 + o.warmup() * 1_000_000_000L;
        long windowEnd = windowStart + o.duration() * 1_000_000_000L;
        long cpu0 = -1;
        boolean windowOpen = false;
        Thread revoker = new Thread(revocations, "bench-revocations");
        for (long k = 0; k < total; k++) {
            long due = t0 + (long) (k * period);
            long now = LoadTool.awaitDue(due);
            if (!windowOpen && due >= windowStart) {
                windowOpen = true;
                latency.getIntervalHistogram(); // drop the warm-up
                cpu0 = server.cpuNanos();
                revocations.spacing = Duration.ofNanos(o.duration() * 1_000_000_000L / o.revocations());
                revoker.start();
            }
            PatientRoom room = rooms.get((int) (k % rooms.size()));
            String card = room.cards().get((int) ((k / rooms.size()) % room.cards().size()));
            LoadTool.Member reader = room.members().get((int) ((k / (rooms.size() * 2L)) % room.members().size()));
            boolean measured = due >= windowStart && due < windowEnd;
            inFlight.incrementAndGet();
            api.get("/api/v1/rooms/" + room.id() + "/messages/" + card + "/excerpt", reader.token()).subscribe(r -> {
                long at = System.nanoTime();
                if (r.status() != 200) {
                    failed.increment();
                    tally.note("read " + r.status() + " " + abbreviate(r.body()));
                } else if (r.body().contains("\"state\":\"shown\"")) {
                    (measured ? shown : shownOutside).increment();
                } else if (r.body().contains("\"state\":\"revoked\"")) {
                    revoked.increment(); // a card read while its grant is revoked for a round
                } else {
                    wrong.increment();
                    tally.note("read neither shown nor revoked: " + abbreviate(r.body()));
                }
                if (measured) {
                    latency.recordValue(Tally.micros(at - due));
                }
                inFlight.decrementAndGet();
            }, e -> {
                failed.increment();
                tally.note("read failed: " + e);
                inFlight.decrementAndGet();
            });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long cpu1 = server.cpuNanos();
        revoker.join();
        Histogram h = latency.getIntervalHistogram();
        System.out.println();
        System.out.println("=== Tsunagu excerpt reads (source cached)");
        System.out.printf(Locale.ROOT, "reads         %d in the window (%s/s): shown=%d revoked=%d (during a round), "
                        + "other=%d failed=%d still open=%d%n", h.getTotalCount(), num(h.getTotalCount() / (double) o.duration()),
                shown.sum(), revoked.sum(), wrong.sum(), failed.sum(), inFlight.get());
        if (cpu0 >= 0 && cpu1 >= 0 && h.getTotalCount() > 0) {
            System.out.printf(Locale.ROOT, "server cpu    %.2f cores, %.2f ms per read (the revocation rounds included)%n",
                    (cpu1 - cpu0) / 1e9 / o.duration(), (cpu1 - cpu0) / 1e6 / h.getTotalCount());
        }
        LoadTool.printLatency("latency       excerpt read, from scheduled send", h);
        readP99 = h.getValueAtPercentile(99);
        readFailures = wrong.sum() + failed.sum() + inFlight.get();
    }

    // ---------------------------------------------------------------------------------------------- revocations

    /** One revoke or renewal and the events it should bring to every subscribed member of its room. */
    private static final class Round {
        final String roomId;
        final long startedAt;
        final Set<String> seen = ConcurrentHashMap.newKeySet();
        final CountDownLatch all;
        final Recorder latency;

        Round(String roomId, int expected, Recorder latency) {
            this.roomId = roomId;
            this.all = new CountDownLatch(expected);
            this.latency = latency;
            this.startedAt = System.nanoTime();
        }

        void changed(Recipient recipient, String frameRoomId, String messageId, long at) {
            if (roomId.equals(frameRoomId) && seen.add(recipient.userId + " " + messageId)) {
                latency.recordValue(Tally.micros(at - startedAt));
                all.countDown();
            }
        }
    }

    /**
     * The revoke/renew rounds, one room after another, spread evenly over the measured read window (so the
     * events go out while the reads go on).
     */
    private final class Revocations implements Runnable {

        private final BenchApi api;
        private final List<PatientRoom> rooms;
        private final Map<String, Round> current = new ConcurrentHashMap<>();
        private final Recorder revoked = new Recorder(HIGHEST, 3);
        private final Recorder renewed = new Recorder(HIGHEST, 3);
        private final Recorder revokeResponse = new Recorder(HIGHEST, 3);
        volatile Duration spacing = Duration.ZERO;
        private volatile int missed;
        private volatile int notHidden;
        private volatile Throwable failure;

        Revocations(BenchApi api, List<PatientRoom> rooms, List<Recipient> recipients) {
            this.api = api;
            this.rooms = rooms;
            recipients.forEach(r -> r.excerpts = (recipient, roomId, messageId, at) -> {
                Round round = current.get(roomId);
                if (round != null) {
                    round.changed(recipient, roomId, messageId, at);
                }
            });
        }

        @Override
        public void run() {
            try {
                long next = System.nanoTime();
                for (int n = 0; n < o.revocations(); n++) {
                    LockSupport.parkNanos(next - System.nanoTime());
                    next += spacing.toNanos();
                    round(n, rooms.get(n % rooms.size()));
                }
            } catch (Throwable e) {
                failure = e;
            }
        }

        private void round(int n, PatientRoom room) throws InterruptedException {
            int expected = room.members().size() * room.cards().size();
            Round revoke = new Round(room.id(), expected, revoked);
            current.put(room.id(), revoke);
            expect(api.post("/api/v1/rooms/" + room.id() + "/consent/grants/" + room.grantId() + "/revoke",
                    room.resident().token(), "{\"reason\":\"負荷試験\"}"), 200, "revocation");
            revokeResponse.recordValue(Tally.micros(System.nanoTime() - revoke.startedAt));
            if (!revoke.all.await(ROUND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                missed += (int) revoke.all.getCount();
                tally.note("revocation " + n + ": " + revoke.all.getCount() + " of " + expected + " events missing");
            }
            JsonNode reread = expect(api.get("/api/v1/rooms/" + room.id() + "/messages/" + room.cards().get(0) + "/excerpt",
                    room.members().get(3 % room.members().size()).token()), 200, "re-read");
            if (!"revoked".equals(reread.path("state").asString())) {
                notHidden++;
                tally.note("after revocation " + n + " a re-read says " + reread.path("state").asString());
            }
            Round renew = new Round(room.id(), expected, renewed);
            current.put(room.id(), renew);
            grant(api, room, room.grantId());
            if (!renew.all.await(ROUND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                tally.note("renewal " + n + ": " + renew.all.getCount() + " of " + expected + " events missing");
            }
            current.remove(room.id());
        }

        void report() {
            if (failure != null) {
                throw new IllegalStateException("revocation rounds failed: " + failure, failure);
            }
            Histogram h = revoked.getIntervalHistogram();
            System.out.println();
            System.out.println("=== Tsunagu revocation fan-out (during the reads)");
            System.out.printf(Locale.ROOT, "rounds        %d revocations, each then renewed, one every %.1f s; %d subscribed "
                    + "members x %d cards per room%n", o.revocations(), spacing.toMillis() / 1000.0, o.members(), 2);
            LoadTool.printLatency("latency       revoke sent -> message.excerpt at each member", h);
            LoadTool.printLatency("              revoke sent -> its HTTP answer             ", revokeResponse.getIntervalHistogram());
            LoadTool.printLatency("              renewal approve sent -> event at each member", renewed.getIntervalHistogram());
            System.out.printf(Locale.ROOT, "events        missing after %d s: %d; re-reads not revoked: %d; within 1 s: %.1f %%%n",
                    ROUND_TIMEOUT.toSeconds(), missed, notHidden,
                    h.getTotalCount() == 0 ? 0.0 : 100.0 * h.getCountBetweenValues(0, 1_000_000) / h.getTotalCount());
            System.out.printf(Locale.ROOT, "websockets    closed-early=%d resync=%d error-frames=%d%n", tally.closedEarly.sum(),
                    tally.resyncs.sum(), tally.errorFrames.sum());
            LoadTool.printNotes(tally);
            System.out.printf(Locale.ROOT, "RESULT excerpt_read_p99_ms=%s read_failures=%d revocation_p99_ms=%s "
                            + "revocation_max_ms=%s events_missing=%d not_hidden=%d%n", ms(readP99), readFailures,
                    ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()), missed, notHidden);
        }
    }
}
