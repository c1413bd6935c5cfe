package jp.tsunagu.ops.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jp.tsunagu.chat.identity.LocalJwtIssuer;

/**
 * The server under test: either a child process the load tool starts (the default: the embedded in-memory
 * MongoDB, the demo issuer with a key file shared with the tool) and stops, or a running server given by
 * {@code --url} and {@code --key-file}.
 */
final class BenchServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    final String baseUrl;
    final LocalJwtIssuer issuer;
    /** Process id for jcmd and CPU accounting; -1 when unknown (a remote server without --server-pid). */
    final long pid;
    final String description;
    private final Process process;
    private final Path log;
    private final Thread killer;

    private BenchServer(String baseUrl, LocalJwtIssuer issuer, long pid, String description, Process process, Path log,
                        Thread killer) {
        this.baseUrl = baseUrl;
        this.issuer = issuer;
        this.pid = pid;
        this.description = description;
        this.process = process;
        this.log = log;
        this.killer = killer;
    }

    static BenchServer start(LoadTool.Options o) throws Exception {
        return start(o, List.of());
    }

    /** As {@link #start(LoadTool.Options)}, a started child getting {@code settings} as well ({@code --name=value}). */
    static BenchServer start(LoadTool.Options o, List<String> settings) throws Exception {
        if (o.url() != null) {
            if (o.keyFile() == null || !Files.isRegularFile(o.keyFile())) {
                throw new IllegalArgumentException("--url needs --key-file: the PEM key the server was started with "
                        + "(tsunagu.demo.issuer.key-file)");
            }
            LocalJwtIssuer issuer = LocalJwtIssuer.withKeyFile(o.issuer(), o.keyFile());
            String base = o.url().replaceAll("/+$", "");
            BenchServer server = new BenchServer(base, issuer, o.serverPid(), "running server at " + base, null, null, null);
            server.awaitHealthy(null);
            return server;
        }
        Path dir = workDir(o);
        Path keyFile = dir.resolve("issuer-key.pem");
        LocalJwtIssuer issuer = LocalJwtIssuer.withKeyFile(o.issuer(), keyFile);
        List<String> args = new ArrayList<>(List.of("--tsunagu.embedded-mongo.in-memory=true"));
        args.addAll(settings);
        return child(o, issuer, keyFile, dir, "server", args, "embedded in-memory MongoDB");
    }

    /**
     * The embedded default on disk: the server keeps its database (and its search index) in {@code dataDir}, as a
     * single-machine installation does, with {@code settings} as well.
     */
    static BenchServer startOnDisk(LoadTool.Options o, Path dataDir, List<String> settings) throws Exception {
        Path dir = workDir(o);
        Path keyFile = dir.resolve("issuer-key.pem");
        LocalJwtIssuer issuer = LocalJwtIssuer.withKeyFile(o.issuer(), keyFile);
        List<String> args = new ArrayList<>(List.of("--tsunagu.embedded-mongo.data-dir=" + dataDir));
        args.addAll(settings);
        return child(o, issuer, keyFile, dir, "server", args, "embedded MongoDB on disk in " + dataDir);
    }

    /**
     * Two nodes on one MongoDB: the first runs the embedded server with its oplog on a port (change streams for
     * the room event log), the second uses it by URI, as a second machine would use a replica set.
     */
    static List<BenchServer> startPair(LoadTool.Options o) throws Exception {
        Path dir = workDir(o);
        Path keyFile = dir.resolve("issuer-key.pem");
        LocalJwtIssuer issuer = LocalJwtIssuer.withKeyFile(o.issuer(), keyFile);
        int mongoPort = freePort();
        List<BenchServer> pair = new ArrayList<>();
        try {
            pair.add(child(o, issuer, keyFile, dir, "node-1", List.of("--tsunagu.embedded-mongo.in-memory=true",
                    "--tsunagu.embedded-mongo.port=" + mongoPort, "--tsunagu.embedded-mongo.oplog=true",
                    // The embedded server reads its whole oplog on every change stream read: keep it short.
                    "--tsunagu.embedded-mongo.oplog-window=10s",
                    "--tsunagu.events.relay=mongo", "--tsunagu.node.id=bench-1"),
                    "embedded in-memory MongoDB with its oplog on port " + mongoPort));
            pair.add(child(o, issuer, keyFile, dir, "node-2", List.of(
                    "--spring.mongodb.uri=mongodb://127.0.0.1:" + mongoPort + "/tsunagu", "--tsunagu.node.id=bench-2"),
                    "node-1's MongoDB"));
        } catch (Exception e) {
            pair.forEach(BenchServer::close);
            throw e;
        }
        return pair;
    }

    /** A fresh folder for the key file and server logs, once the server jar is known to be there. */
    private static Path workDir(LoadTool.Options o) throws IOException {
        if (!Files.isRegularFile(o.jar())) {
            throw new IllegalArgumentException(o.jar() + " not found: build it with ./mvnw -q -B -DskipTests install");
        }
        return Files.createTempDirectory("tsunagu-bench-");
    }

    private static BenchServer child(LoadTool.Options o, LocalJwtIssuer issuer, Path keyFile, Path dir, String name,
                                     List<String> storage, String storageDescription) throws Exception {
        Path jar = o.jar();
        int port = freePort();
        List<String> command = new ArrayList<>();
        command.add(javaTool("java"));
        command.add("-Xmx" + o.serverHeap());
        command.addAll(o.serverJvmOptions());
        command.addAll(List.of("-jar", jar.toString(),
                "--spring.profiles.active=demo",
                "--tsunagu.demo.data.enabled=false",
                "--tsunagu.demo.issuer.uri=" + o.issuer(),
                "--tsunagu.demo.issuer.key-file=" + keyFile,
                "--server.port=" + port));
        command.addAll(storage);
        if (o.excerptReads() > 0) {
            // The demo FHIR server on a free port; answers cached for the whole run (the target is "source cached").
            command.addAll(List.of("--tsunagu.demo.fhir.port=" + freePort(), "--tsunagu.record.fhir.cache-ttl=1h"));
        } else {
            // Health records are not what is measured.
            command.add("--tsunagu.demo.fhir.enabled=false");
        }
        if (name.startsWith("node-")) {
            // One demo SNS simulator is enough (it is not what is measured) and two would want one port.
            command.add("--tsunagu.demo.simulator.enabled=false");
        }
        Path log = dir.resolve(name + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Thread killer = new Thread(() -> stop(process), "bench-server-stop");
        Runtime.getRuntime().addShutdownHook(killer);
        String description = "child process pid " + process.pid() + ": " + String.join(" ", command.subList(0, command.indexOf("-jar")))
                + " -jar " + jar + " (demo profile, " + storageDescription + ")";
        BenchServer server = new BenchServer("http://127.0.0.1:" + port, issuer, process.pid(), description, process, log,
                killer);
        System.out.println(name + ": " + description);
        System.out.println(name + " log: " + log);
        try {
            server.awaitHealthy(process);
        } catch (Exception e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void awaitHealthy(Process child) throws Exception {
        BenchApi api = new BenchApi(baseUrl, 4);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer";
        try {
            while (System.nanoTime() < deadline) {
                if (child != null && !child.isAlive()) {
                    throw new IllegalStateException("the server exited with " + child.exitValue() + "; last lines of "
                            + log + ":\n" + tail(40));
                }
                try {
                    BenchApi.Response r = api.get("/actuator/health", null).block(Duration.ofSeconds(5));
                    if (r != null && r.status() == 200 && r.body().contains("\"status\":\"UP\"")) {
                        return;
                    }
                    last = r == null ? "no answer" : r.status() + " " + r.body();
                } catch (RuntimeException e) {
                    last = e.toString();
                }
                Thread.sleep(250);
            }
        } finally {
            api.close();
        }
        throw new IllegalStateException("server not healthy after " + START_TIMEOUT.toSeconds() + " s: " + last
                + (child != null ? "\n" + tail(40) : ""));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Heap in use right after a full GC, read with jcmd (GC.run, then GC.heap_info). */
    long heapUsedAfterGc() throws IOException, InterruptedException {
        requirePid();
        jcmd("GC.run");
        Thread.sleep(500);
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        Matcher m = Pattern.compile("heap\\s+total\\s+\\d+K,\\s+used\\s+(\\d+)K").matcher(info);
        if (!m.find()) {
            throw new IllegalStateException("cannot read the heap from jcmd GC.heap_info:\n" + info);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** Live objects by class (jcmd GC.class_histogram, which runs a full GC first): class name → bytes. */
    Map<String, long[]> classHistogram() throws IOException, InterruptedException {
        requirePid();
        Map<String, long[]> classes = new HashMap<>();
        Pattern row = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
        for (String line : jcmd("GC.class_histogram").split("\n")) {
            Matcher m = row.matcher(line);
            if (m.find()) {
                classes.put(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
            }
        }
        return classes;
    }

    /** Resident set size of the server process in bytes, or -1 when it cannot be read. */
    long residentBytes() {
        if (pid < 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }

    /** CPU time the server process has used, in nanoseconds, or -1 (Linux /proc only). */
    long cpuNanos() {
        return pid < 0 ? -1 : procCpuNanos(pid);
    }

    /**
     * CPU time of the server's JIT compiler threads ({@code C1/C2 CompilerThre…}), in nanoseconds, or -1. On a
     * fresh JVM compiling goes on for minutes and is a large, varying part of the server's CPU; the report
     * gives it apart so that CPU per post can be compared between runs.
     */
    long compilerCpuNanos() {
        if (pid < 0) {
            return -1;
        }
        long sum = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.contains("CompilerThre")) {
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return sum;
    }

    static long procCpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name; USER_HZ is 100
            // on every Linux this runs on
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private void requirePid() {
        if (pid < 0) {
            throw new IllegalStateException("heap figures need the server's process id: start the server from the "
                    + "load tool, or pass --server-pid with --url");
        }
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(javaTool("jcmd"), Long.toString(pid), command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed:\n"
                    + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static String javaTool(String name) {
        Path tool = Path.of(System.getProperty("java.home"), "bin", name);
        return Files.isExecutable(tool) ? tool.toString() : name;
    }

    String tail(int lines) {
        if (log == null) {
            return "";
        }
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process == null) {
            return;
        }
        stop(process);
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }

    /** Graceful stop (SIGTERM), then kill after 30 s. */
    private static void stop(Process process) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
