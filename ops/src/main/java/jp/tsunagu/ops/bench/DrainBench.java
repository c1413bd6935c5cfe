package jp.tsunagu.ops.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.chat.api.Requests;
import jp.tsunagu.chat.handler.MessageHandler;
import jp.tsunagu.chat.handler.RoomHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator;
import jp.tsunagu.ops.TsunaguApplication;
import reactor.core.publisher.Flux;

/**
 * Outbound drain benchmark (docs/BENCHMARKS.md): how fast a backlog of local posts left by an SNS outage reaches
 * the SNS once it is back. In one JVM: the server (embedded in-memory MongoDB, outbound schedule on) and the MCS
 * simulator on its own port with its rate limit off. Rooms are linked while the SNS is up; then it goes down,
 * the backlog is posted through the server's own handlers (every attempt fails, each room is held back), the SNS
 * comes back, and the clock runs until every message is in the SNS. Then every external room is checked: each
 * post exactly once, in the room's order.
 *
 * <p>Options: {@code --messages N} (10,000), {@code --rooms R} (20), {@code --retry S} seconds of the first retry
 * step (1; the production schedule starts at 5 s, which only adds its wait once), {@code --timeout S} (600).
 * Last line: {@code RESULT drained=<n> seconds=<n> lost=<n> duplicated=<n> reordered=<n>}.
 */
public final class DrainBench {

    private static final Pattern MARK = Pattern.compile("#(\\d+)/(\\d+)#");

    private DrainBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = options(args);
        int total = Integer.parseInt(opts.getOrDefault("messages", "10000"));
        int roomCount = Integer.parseInt(opts.getOrDefault("rooms", "20"));
        int retry = Integer.parseInt(opts.getOrDefault("retry", "1"));
        int timeout = Integer.parseInt(opts.getOrDefault("timeout", "600"));
        int perRoom = total / roomCount;
        int expected = perRoom * roomCount;

        McsSimulator sns = new McsSimulator().start(0);
        sns.rateLimit(0);
        sns.addClient("tsunagu-bench", "bench-secret");
        ConfigurableApplicationContext app = new SpringApplicationBuilder(TsunaguApplication.class).run(
                "--server.port=0", "--spring.main.banner-mode=off", "--logging.level.root=WARN",
                "--logging.level.jp.tsunagu.bridge.outbound=ERROR",
                "--tsunagu.embedded-mongo.in-memory=true",
                // The demo profile only for its token issuer (the API is not used here): no demo data, no simulators.
                "--spring.profiles.active=demo", "--tsunagu.demo.data.enabled=false",
                "--tsunagu.demo.simulator.enabled=false", "--tsunagu.demo.fhir.enabled=false",
                "--tsunagu.bridge.poller-enabled=false",
                "--tsunagu.bridge.outbound.retry-steps=" + retry + "s",
                "--tsunagu.bridge.mcs.instances[0].id=mcs-bench",
                "--tsunagu.bridge.mcs.instances[0].base-url=" + sns.baseUrl(),
                "--tsunagu.bridge.mcs.instances[0].token-url=" + sns.tokenUrl(),
                "--tsunagu.bridge.mcs.instances[0].client-id=tsunagu-bench",
                "--tsunagu.bridge.mcs.instances[0].client-secret=bench-secret",
                // The simulator limits nothing here; the connector's own limit (10/s by default) is lifted too.
                "--tsunagu.bridge.mcs.instances[0].requests-per-second=" + opts.getOrDefault("rate", "10000"));
        try {
            RoomHandler rooms = app.getBean(RoomHandler.class);
            MessageHandler messages = app.getBean(MessageHandler.class);
            LinkHandler links = app.getBean(LinkHandler.class);
            CareUser admin = new CareUser("bench-admin", "運用担当", Profession.CARE_MANAGER, null, null,
                    Set.of(CareUser.SYSTEM_ADMIN));
            CareUser author = new CareUser("bench-cm", "鈴木 和子", Profession.CARE_MANAGER, "bench-office",
                    "つばさ居宅介護支援事業所", Set.of());
            List<String> roomIds = new ArrayList<>();
            List<String> projects = new ArrayList<>();
            for (int r = 0; r < roomCount; r++) {
                String roomId = rooms.create(author, new Requests.CreateRoom("group", "ベンチ" + r, null, List.of()))
                        .block(Duration.ofSeconds(30)).room().room().id();
                String pid = sns.createProject("group", "bench-" + r);
                sns.addMember(pid, "tsunagu-bench");
                links.link(admin, new LinkHandler.LinkRequest(roomId, "mcs-bench", pid, 0)).block(Duration.ofSeconds(30));
                roomIds.add(roomId);
                projects.add(pid);
            }
            sns.down(true);
            long postStart = System.nanoTime();
            Flux.range(0, perRoom)
                    .concatMap(i -> Flux.range(0, roomCount).flatMap(r -> messages.post(author, roomIds.get(r),
                            new Requests.PostMessage("訪問記録 #" + r + "/" + i + "# 血圧 128/76、SpO2 97%", null, null, null,
                                    null, null), null)))
                    .blockLast(Duration.ofMinutes(10));
            System.out.printf("posted %d messages in %d rooms during the outage in %.1f s%n", expected, roomCount,
                    (System.nanoTime() - postStart) / 1e9);
            // Let every room try once and be held back, as after a real outage.
            Thread.sleep(3_000);
            long before = sns.totalCalls();
            sns.down(false);
            long start = System.nanoTime();
            long deadline = start + Duration.ofSeconds(timeout).toNanos();
            int delivered = 0;
            int lastReported = -1;
            long lastReport = start;
            while (System.nanoTime() < deadline) {
                delivered = projects.stream().mapToInt(p -> sns.messages(p).size()).sum();
                if (delivered >= expected) {
                    break;
                }
                if (System.nanoTime() - lastReport > 5_000_000_000L) {
                    System.out.printf("[%5.1f s] in the SNS: %d of %d (+%d)%n", (System.nanoTime() - start) / 1e9,
                            delivered, expected, lastReported < 0 ? delivered : delivered - lastReported);
                    lastReported = delivered;
                    lastReport = System.nanoTime();
                }
                Thread.sleep(50);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            // A little longer: anything posted twice would show up now.
            Thread.sleep(3_000);

            int lost = 0;
            int duplicated = 0;
            int reordered = 0;
            int drained = 0;
            for (int r = 0; r < roomCount; r++) {
                Set<Integer> seen = new HashSet<>();
                int last = -1;
                for (McsSimulator.Message m : sns.messages(projects.get(r))) {
                    Matcher k = MARK.matcher(m.body());
                    if (!k.find() || Integer.parseInt(k.group(1)) != r) {
                        continue;
                    }
                    int i = Integer.parseInt(k.group(2));
                    if (!seen.add(i)) {
                        duplicated++;
                        continue;
                    }
                    if (i < last) {
                        reordered++;
                    }
                    last = Math.max(last, i);
                }
                drained += seen.size();
                lost += perRoom - seen.size();
            }
            long calls = sns.totalCalls() - before;
            System.out.println();
            System.out.println("=== Tsunagu outbound drain");
            System.out.printf("settings      messages=%d rooms=%d retry-step=%d s simulator rate limit off, embedded in-memory MongoDB%n",
                    expected, roomCount, retry);
            System.out.printf("drain         %d messages in %.2f s after the SNS came back: %.1f messages/s, %d SNS calls%n",
                    drained, seconds, drained / seconds, calls);
            System.out.printf("RESULT drained=%d seconds=%.2f lost=%d duplicated=%d reordered=%d%n", drained, seconds, lost,
                    duplicated, reordered);
        } finally {
            app.close();
            sns.close();
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help")) {
                System.out.println("ops/bin/drainbench [--messages 10000] [--rooms 20] [--retry 1] [--timeout 600]");
                System.exit(0);
            }
            if (args[i].startsWith("--") && i + 1 < args.length) {
                out.put(args[i].substring(2), args[++i]);
            }
        }
        return out;
    }
}
