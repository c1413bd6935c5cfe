package jp.tsunagu.ops.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;

import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;

/**
 * The load tool's schedule and tally against a peer instead of Tsunagu (issue #17, docs/BENCHMARKS.md): the same
 * rooms × members, one WebSocket each, the same open-loop posts (room {@code k % rooms}, its members in turn, the
 * same marker text with the scheduled send time), every member's copy timed from the scheduled send, loss,
 * duplicates and order checked per recipient, the server's CPU from {@code /proc}. Peers:
 * <ul>
 * <li>{@code prosody}: Debian's Prosody 0.12, MUC rooms over XMPP WebSocket (RFC 7395), anonymous sign-in, its
 *     default in-memory storage, started by this tool with a configuration of its own on loopback;</li>
 * <li>{@code bare}: {@link BareBroadcastServer}, a WebSocket broadcast with nothing else, in a JVM of its own with the
 *     server's JVM options.</li>
 * </ul>
 * A peer acknowledges nothing: every post sent counts as accepted, and each should reach all the room's members
 * (the author's copy too, as Tsunagu's WebSocket echoes it).
 */
public final class PeerBench {

    private static final String MUC = "conference.localhost";

    private final String target;
    private final int roomCount;
    private final int members;
    private final double rate;
    private final int duration;
    private final int warmup;
    private final int grace;
    private final Tally tally = new Tally();

    private PeerBench(Map<String, String> a) {
        target = a.getOrDefault("target", "prosody");
        roomCount = Integer.parseInt(a.getOrDefault("rooms", "200"));
        members = Integer.parseInt(a.getOrDefault("members", "8"));
        rate = Double.parseDouble(a.getOrDefault("rate", "1000"));
        duration = Integer.parseInt(a.getOrDefault("duration", "60"));
        warmup = Integer.parseInt(a.getOrDefault("warmup", "10"));
        grace = Integer.parseInt(a.getOrDefault("grace", "10"));
        if (!List.of("prosody", "bare").contains(target)) {
            throw new IllegalArgumentException("--target prosody or bare");
        }
    }

    public static void main(String[] args) {
        int code = 0;
        try {
            new PeerBench(LoadTool.namedArgs(args)).run(LoadTool.namedArgs(args));
        } catch (Throwable e) {
            System.out.println("peerbench failed: " + e);
            e.printStackTrace(System.out);
            code = 1;
        }
        System.out.flush();
        System.exit(code);
    }

    private void run(Map<String, String> a) throws Exception {
        Peer peer = target.equals("bare") ? Peer.bare(a.getOrDefault("server-jvm-opts", LoadTool.DEFAULT_SERVER_JVM_OPTS),
                a.getOrDefault("server-heap", LoadTool.DEFAULT_SERVER_HEAP)) : Peer.prosody();
        try {
            System.out.println("server: " + peer.description);
            List<PeerClient> clients = new ArrayList<>();
            for (int r = 0; r < roomCount; r++) {
                for (int m = 0; m < members; m++) {
                    clients.add(new PeerClient(r, m));
                }
            }
            // No pool: a pooled client stops at its 500 connections per host, and a WebSocket never goes back.
            HttpClient http = HttpClient.create(reactor.netty.resources.ConnectionProvider.newConnection());
            Semaphore handshakes = new Semaphore(128);
            long connectStart = System.nanoTime();
            for (PeerClient c : clients) {
                handshakes.acquire();
                c.open(http, peer.url);
                c.joined.whenComplete((v, e) -> handshakes.release());
            }
            CompletableFuture.allOf(clients.stream().map(c -> c.joined).toArray(CompletableFuture[]::new))
                    .get(3, TimeUnit.MINUTES);
            System.out.printf(Locale.ROOT, "%d connections joined their rooms in %d ms%n", clients.size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - connectStart));
            try {
                post(peer, clients);
            } finally {
                clients.forEach(PeerClient::close);
            }
        } finally {
            peer.close();
        }
    }

    private void post(Peer peer, List<PeerClient> clients) throws InterruptedException {
        long total = Math.round((warmup + duration) * rate);
        double period = 1e9 / rate;
        AtomicLong sent = new AtomicLong();
        AtomicLong missedSlot = new AtomicLong();
        int[] counters = new int[roomCount];
        long t0 = System.nanoTime() + 200_000_000L;
        tally.windowStart = t0 + warmup * 1_000_000_000L;
        tally.windowEnd = tally.windowStart + duration * 1_000_000_000L;
        long[] sentInWindow = new long[1];
        Thread ticker = new Thread(() -> {
            for (long k = 0; k < total; k++) {
                long due = t0 + (long) (k * period);
                long now = LoadTool.awaitDue(due);
                tally.dispatchLag.recordValue(Tally.micros(now - due));
                if (now - due >= period) {
                    missedSlot.incrementAndGet();
                }
                int r = (int) (k % roomCount);
                int n = counters[r]++;
                PeerClient author = clients.get(r * members + (int) ((k / roomCount) % members));
                author.post(Recipient.Marker.text(r, n, due, now));
                sent.incrementAndGet();
                if (now >= tally.windowStart && now < tally.windowEnd) {
                    sentInWindow[0]++;
                }
            }
        }, "bench-ticker");
        ticker.setPriority(Thread.MAX_PRIORITY);
        System.out.printf(Locale.ROOT, "posting %d messages at %s/s (%d s warm-up, then %d s measured)%n", total,
                LoadTool.num(rate), warmup, duration);
        ticker.start();
        long cpu0 = -1;
        long cpu1 = -1;
        long nextReport = t0 + 5_000_000_000L;
        while (ticker.isAlive() || System.nanoTime() < tally.windowEnd) {
            Thread.sleep(50);
            long now = System.nanoTime();
            if (cpu0 < 0 && now >= tally.windowStart) {
                cpu0 = BenchServer.procCpuNanos(peer.pid);
            }
            if (cpu1 < 0 && now >= tally.windowEnd) {
                cpu1 = BenchServer.procCpuNanos(peer.pid);
            }
            if (now >= nextReport) {
                Histogram h = tally.interval.getIntervalHistogram();
                System.out.printf(Locale.ROOT, "[%4.0f s] %s sent %d deliveries %d p99 %s ms%n", (now - t0) / 1e9,
                        now < tally.windowStart ? "warm-up " : "measured", sent.get(), tally.deliveries.sum(),
                        LoadTool.ms(h.getValueAtPercentile(99)));
                nextReport += 5_000_000_000L;
            }
        }
        ticker.join();
        long graceEnd = System.nanoTime() + grace * 1_000_000_000L;
        while (System.nanoTime() < graceEnd && tally.deliveries.sum() < sent.get() * members) {
            Thread.sleep(50);
        }
        long lost = 0;
        for (PeerClient c : clients) {
            BitSet expected = new BitSet();
            expected.set(0, counters[c.room]);
            expected.andNot(c.received());
            lost += expected.cardinality();
        }
        Histogram latency = tally.fromScheduled.getIntervalHistogram();
        Histogram lag = tally.dispatchLag.getIntervalHistogram();
        double postsPerSecond = sentInWindow[0] / (double) duration;
        double deliveriesPerSecond = tally.measuredDeliveries.sum() / (double) duration;
        System.out.println();
        System.out.println("=== peer load test: " + target);
        System.out.printf(Locale.ROOT, "settings      rooms=%d members=%d websockets=%d rate=%s/s warmup=%d s duration=%d s grace=%d s%n",
                roomCount, members, clients.size(), LoadTool.num(rate), warmup, duration, grace);
        System.out.println("server        " + peer.description);
        System.out.printf(Locale.ROOT, "posts         scheduled=%d sent=%d missed-slot=%d (dispatch lag p99 %s ms)%n", total,
                sent.get(), missedSlot.get(), LoadTool.ms(lag.getValueAtPercentile(99)));
        System.out.printf(Locale.ROOT, "throughput    sent posts/s=%s deliveries/s=%s (measured window)%n",
                LoadTool.num(postsPerSecond), LoadTool.num(deliveriesPerSecond));
        if (cpu0 >= 0 && cpu1 >= 0 && sentInWindow[0] > 0) {
            System.out.printf(Locale.ROOT, "cpu           server %.2f cores (measured window)%n", (cpu1 - cpu0) / (duration * 1e9));
            System.out.printf(Locale.ROOT, "cpu per post  server %.2f ms per sent post%n", (cpu1 - cpu0) / 1e6 / sentInWindow[0]);
        }
        LoadTool.printLatency("latency       post→delivery per recipient, from scheduled send", latency);
        System.out.printf(Locale.ROOT, "deliveries    expected=%d received=%d lost=%d duplicated=%d reordered=%d misrouted=%d%n",
                sent.get() * members, tally.deliveries.sum(), lost, tally.duplicated.sum(), tally.reordered.sum(),
                tally.misrouted.sum());
        LoadTool.printNotes(tally);
        System.out.printf(Locale.ROOT, "RESULT target=%s posts_per_s=%s deliveries_per_s=%s p99_ms=%s lost=%d duplicated=%d reordered=%d%n",
                target, LoadTool.num(postsPerSecond), LoadTool.num(deliveriesPerSecond),
                LoadTool.ms(latency.getValueAtPercentile(99)), lost, tally.duplicated.sum(), tally.reordered.sum());
    }

    /** A peer server process this tool started. */
    private static final class Peer implements AutoCloseable {

        final Process process;
        final long pid;
        final String url;
        final String description;
        private final Path dir;

        private Peer(Process process, String url, String description, Path dir) {
            this.process = process;
            this.pid = process.pid();
            this.url = url;
            this.description = description;
            this.dir = dir;
        }

        /**
         * Prosody with a configuration of its own: loopback only, anonymous sign-in, MUC rooms that anyone may create
         * and that open at once (no locking), no history kept or sent, in-memory storage, no rate limits loaded.
         */
        static Peer prosody() throws Exception {
            Path dir = Files.createTempDirectory("tsunagu-prosody-");
            Files.createDirectories(dir.resolve("data"));
            int http = freePort();
            int c2s = freePort();
            String config = """
                    run_as_root = true
                    pidfile = "%1$s/prosody.pid"
                    data_path = "%1$s/data"
                    certificates = "%1$s"
                    log = { { levels = { min = "warn" }, to = "console" } }
                    interfaces = { "127.0.0.1" }
                    c2s_ports = { %2$d }
                    s2s_ports = { }
                    http_ports = { %3$d }
                    http_interfaces = { "127.0.0.1" }
                    https_ports = { }
                    modules_enabled = { "saslauth"; "websocket"; "disco" }
                    modules_disabled = { "s2s"; "offline" }
                    consider_websocket_secure = true
                    c2s_require_encryption = false
                    storage = "memory"
                    authentication = "anonymous"
                    VirtualHost "localhost"
                      authentication = "anonymous"
                    Component "%4$s" "muc"
                      restrict_room_creation = false
                      muc_room_locking = false
                      max_history_messages = 0
                      muc_room_default_history_length = 0
                    """.formatted(dir, c2s, http, MUC);
            Path file = dir.resolve("prosody.cfg.lua");
            Files.writeString(file, config);
            // "prosody --version" waits for a console here; the package knows its version.
            String version = "Prosody " + new String(new ProcessBuilder("dpkg-query", "-W", "-f", "${Version}", "prosody")
                    .redirectErrorStream(true).start().getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            Process p = new ProcessBuilder("prosody", "--config", file.toString(), "-F").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("prosody.log").toFile()).start();
            awaitPort(p, http);
            return new Peer(p, "ws://127.0.0.1:" + http + "/xmpp-websocket", version.trim() + " (pid " + p.pid()
                    + "), MUC over XMPP WebSocket on loopback, config " + file, dir);
        }

        static Peer bare(String jvmOptions, String heap) throws Exception {
            int port = freePort();
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx" + heap));
            command.addAll(List.of(jvmOptions.trim().split("\\s+")));
            command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                    "-Dloader.main=" + BareBroadcastServer.class.getName(),
                    "org.springframework.boot.loader.launch.PropertiesLauncher", Integer.toString(port)));
            Path dir = Files.createTempDirectory("tsunagu-bare-");
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("server.log").toFile()).start();
            awaitPort(p, port);
            return new Peer(p, "ws://127.0.0.1:" + port + "/ws", "bare Reactor Netty WebSocket broadcast (pid "
                    + p.pid() + "): " + String.join(" ", command.subList(0, command.size() - 4)), dir);
        }

        private static void awaitPort(Process p, int port) throws Exception {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < end) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("the peer server exited with " + p.exitValue());
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return;
                } catch (IOException notYet) {
                    Thread.sleep(100);
                }
            }
            throw new IllegalStateException("the peer server did not open port " + port + " within 60 s");
        }

        private static int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket(0)) {
                return s.getLocalPort();
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.out.println("server log: " + dir);
        }
    }

    /** One member's WebSocket in one room: joins, posts, and checks what the room sends it. */
    private final class PeerClient {

        final int room;
        final int member;
        final CompletableFuture<Void> joined = new CompletableFuture<>();
        private final Sinks.Many<String> outbound = Sinks.many().unicast().onBackpressureBuffer();
        private final BitSet received = new BitSet();
        private int last = -1;
        private volatile Disposable connection;
        private volatile boolean closing;

        PeerClient(int room, int member) {
            this.room = room;
            this.member = member;
        }

        void open(HttpClient http, String url) {
            boolean xmpp = target.equals("prosody");
            WebsocketClientSpec.Builder builder = WebsocketClientSpec.builder().maxFramePayloadLength(1 << 20);
            // RFC 7395: the client asks for the "xmpp" subprotocol; Prosody refuses a WebSocket without it.
            WebsocketClientSpec spec = (xmpp ? builder.protocols("xmpp") : builder).build();
            connection = http.websocket(spec).uri(url)
                    .handle((in, out) -> {
                        send(xmpp ? open() : "join r" + room);
                        return Mono.when(out.sendString(outbound.asFlux()).then(),
                                in.aggregateFrames(1 << 20).receive().asString(StandardCharsets.UTF_8)
                                        .doOnNext(text -> onText(text, System.nanoTime(), xmpp)).then());
                    })
                    .subscribe(null, this::ended, () -> ended(null));
        }

        private synchronized void send(String text) {
            // The handshake answers on the connection's event loop, posts come from the ticker: one at a time.
            outbound.tryEmitNext(text);
        }

        void post(String text) {
            send(target.equals("prosody")
                    ? "<message xmlns='jabber:client' to='r" + room + "@" + MUC + "' type='groupchat'><body>" + text + "</body></message>"
                    : text);
        }

        private void onText(String text, long at, boolean xmpp) {
            if (!xmpp) {
                if (text.startsWith("joined ")) {
                    joined.complete(null);
                } else {
                    delivered(text, at);
                }
                return;
            }
            // RFC 7395: one element a frame. Only what the join and the room's messages need is looked at.
            if (text.startsWith("<message")) {
                int start = text.indexOf("<body>");
                int end = text.indexOf("</body>");
                if (start >= 0 && end > start) {
                    delivered(text.substring(start + 6, end), at);
                } else {
                    tally.otherFrames.increment();
                }
            } else if (text.contains("features")) {
                if (text.contains("mechanisms")) {
                    send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>");
                } else if (text.contains("urn:ietf:params:xml:ns:xmpp-bind")) {
                    send("<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
                }
            } else if (text.startsWith("<success")) {
                send(open());
            } else if (text.startsWith("<iq") && text.contains("id='bind'") || text.startsWith("<iq") && text.contains("id=\"bind\"")) {
                send("<presence xmlns='jabber:client' to='r" + room + "@" + MUC + "/m" + member + "'>"
                        + "<x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>");
            } else if (text.startsWith("<presence") && (text.contains("code='110'") || text.contains("code=\"110\""))) {
                joined.complete(null);
            } else if (text.startsWith("<failure") || text.contains("type='error'") || text.contains("type=\"error\"")) {
                tally.errorFrames.increment();
                tally.note("m" + member + "@r" + room + ": " + LoadTool.abbreviate(text));
                joined.completeExceptionally(new IllegalStateException(text));
            }
        }

        private String open() {
            return "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>";
        }

        private void delivered(String body, long at) {
            Recipient.Marker marker = Recipient.Marker.parse(body);
            if (marker == null || marker.room() != room) {
                tally.misrouted.increment();
                return;
            }
            synchronized (this) {
                if (received.get(marker.counter())) {
                    tally.duplicated.increment();
                    return;
                }
                received.set(marker.counter());
                if (marker.counter() < last) {
                    tally.reordered.increment();
                } else {
                    last = marker.counter();
                }
            }
            tally.delivered(marker, at, false);
        }

        synchronized BitSet received() {
            return (BitSet) received.clone();
        }

        private void ended(Throwable error) {
            if (!closing) {
                tally.closedEarly.increment();
                tally.note("connection m" + member + "@r" + room + " ended: " + error);
            }
            joined.completeExceptionally(error != null ? error : new IllegalStateException("closed by the server"));
        }

        void close() {
            closing = true;
            Disposable c = connection;
            if (c != null) {
                c.dispose();
            }
        }
    }
}
