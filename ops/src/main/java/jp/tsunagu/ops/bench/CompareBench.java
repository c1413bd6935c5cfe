package jp.tsunagu.ops.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tsunagu, Prosody and a bare WebSocket broadcast side by side in one run (issue #17, docs/BENCHMARKS.md). For each
 * system it climbs a ladder of rates, one trial each in processes of their own (Tsunagu through the load tool,
 * the peers through {@link PeerBench}: the same rooms, schedule, marker and tally), and stops at the first rate the
 * system does not hold: a rate is held when the posts went out at it (97 %), the post→delivery p99 from the
 * scheduled send is at most 100 ms, and nothing was lost, duplicated or reordered. Prints a line per trial, then one
 * table and the ratios.
 */
public final class CompareBench {

    private static final Pattern RESULT = Pattern.compile("^RESULT .*posts_per_s=([0-9.]+) deliveries_per_s=([0-9.]+) p99_ms=([0-9.]+).* lost=(\\d+) duplicated=(\\d+) reordered=(\\d+)");
    private static final Pattern CPU = Pattern.compile("^cpu per post\\s+server ([0-9.]+) ms");
    /** The bar for "held". */
    private static final double P99_LIMIT_MS = 100;

    record Trial(String system, double rate, double posts, double deliveries, double p99, long lost, long duplicated,
                 long reordered, double cpuPerPost, Path log) {

        boolean held() {
            return posts >= 0.97 * rate && p99 <= P99_LIMIT_MS && lost == 0 && duplicated == 0 && reordered == 0;
        }

        String line() {
            return String.format(Locale.ROOT, "%-11s rate %6s: posts/s %7s deliveries/s %8s p99 %9s ms lost %d dup %d reord %d, server CPU %s ms/post -> %s",
                    system, LoadTool.num(rate), LoadTool.num(posts), LoadTool.num(deliveries), LoadTool.num(p99), lost,
                    duplicated, reordered, Double.isNaN(cpuPerPost) ? "?" : LoadTool.num(cpuPerPost),
                    held() ? "held" : "NOT held");
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = LoadTool.namedArgs(args);
        List<String> systems = List.of(a.getOrDefault("systems", "tsunagu,tsunagu-ws,prosody,bare").split(","));
        double[] rates = Arrays.stream(a.getOrDefault("rates", "100,150,200,250,300,400,500,600,800,1000,1500,2000,3000,4000,6000")
                .split(",")).mapToDouble(Double::parseDouble).toArray();
        List<String> shape = new ArrayList<>();
        for (String k : List.of("rooms", "members", "duration", "warmup", "grace")) {
            shape.addAll(List.of("--" + k, a.getOrDefault(k, switch (k) {
                case "rooms" -> "200";
                case "members" -> "8";
                case "duration" -> "60";
                case "warmup" -> "10";
                default -> "10";
            })));
        }
        Path logs = Files.createTempDirectory("tsunagu-compare-");
        System.out.printf(Locale.ROOT, "=== comparison %s: %s, rates %s, trial logs in %s%n",
                OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS), String.join(" ", shape), Arrays.toString(rates), logs);
        Map<String, List<Trial>> bySystem = new LinkedHashMap<>();
        for (String system : systems) {
            List<Trial> trials = new ArrayList<>();
            bySystem.put(system, trials);
            for (double rate : rates) {
                Trial t = trial(system, rate, shape, a, logs);
                trials.add(t);
                System.out.println(t.line());
                if (!t.held()) {
                    break;
                }
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-11s | %-17s | %-12s | %-8s | %-19s | %s%n", "system", "highest rate held",
                "deliveries/s", "p99 ms", "server CPU per post", "first rate not held");
        Map<String, Trial> best = new LinkedHashMap<>();
        bySystem.forEach((system, trials) -> {
            Trial held = trials.stream().filter(Trial::held).reduce((x, y) -> y).orElse(null);
            Trial failed = trials.stream().filter(t -> !t.held()).findFirst().orElse(null);
            best.put(system, held);
            System.out.printf(Locale.ROOT, "%-11s | %-17s | %-12s | %-8s | %-19s | %s%n", system,
                    held == null ? "none" : LoadTool.num(held.rate()) + " posts/s",
                    held == null ? "" : LoadTool.num(held.deliveries()), held == null ? "" : LoadTool.num(held.p99()),
                    held == null || Double.isNaN(held.cpuPerPost()) ? "" : LoadTool.num(held.cpuPerPost()) + " ms",
                    failed == null ? "(ladder ended)" : LoadTool.num(failed.rate()) + " (p99 " + LoadTool.num(failed.p99())
                            + " ms, lost " + failed.lost() + ")");
        });
        for (String mine : best.keySet().stream().filter(k -> k.startsWith("tsunagu")).toList()) {
            for (String peer : List.of("prosody", "bare")) {
                Trial ours = best.get(mine);
                Trial theirs = best.get(peer);
                if (ours != null && theirs != null) {
                    System.out.printf(Locale.ROOT, "RATIO %s/%s deliveries_per_s=%.2f%n", mine, peer,
                            ours.deliveries() / theirs.deliveries());
                }
            }
        }
    }

    private static Trial trial(String system, double rate, List<String> shape, Map<String, String> a, Path logs) throws Exception {
        String jar = System.getProperty("java.class.path");
        boolean ours = system.startsWith("tsunagu");
        String main = ours ? LoadTool.class.getName() : PeerBench.class.getName();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", jar, "-Dloader.main=" + main, "org.springframework.boot.loader.launch.PropertiesLauncher"));
        if (ours) {
            command.addAll(List.of("--post-over", switch (system) {
                case "tsunagu" -> "http";
                case "tsunagu-key" -> "http-key";
                case "tsunagu-ws" -> "websocket";
                default -> throw new IllegalArgumentException("systems: tsunagu, tsunagu-key, tsunagu-ws, prosody, bare");
            }));
        } else {
            command.addAll(List.of("--target", system));
        }
        command.addAll(shape);
        command.addAll(List.of("--rate", LoadTool.num(rate)));
        if (a.containsKey("server-jvm-opts")) {
            command.addAll(List.of("--server-jvm-opts", a.get("server-jvm-opts")));
        }
        Path log = logs.resolve(system + "-" + LoadTool.num(rate) + ".txt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        double[] result = null;
        double cpu = Double.NaN;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             var writer = Files.newBufferedWriter(log)) {
            String line;
            while ((line = out.readLine()) != null) {
                writer.write(line);
                writer.newLine();
                Matcher r = RESULT.matcher(line);
                if (r.find()) {
                    result = new double[6];
                    for (int i = 0; i < 6; i++) {
                        result[i] = Double.parseDouble(r.group(i + 1));
                    }
                }
                Matcher c = CPU.matcher(line);
                if (c.find()) {
                    cpu = Double.parseDouble(c.group(1));
                }
            }
        }
        p.waitFor();
        if (result == null) {
            return new Trial(system, rate, 0, 0, Double.POSITIVE_INFINITY, -1, 0, 0, cpu, log);
        }
        return new Trial(system, rate, result[0], result[1], result[2], (long) result[3], (long) result[4],
                (long) result[5], cpu, log);
    }
}
