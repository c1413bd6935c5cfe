package jp.tsunagu.connectors.push.simulator;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.netty.handler.codec.http.HttpResponseStatus;
import jp.tsunagu.connectors.support.simulator.SimServer;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A push service on 127.0.0.1 (RFC 8030), for tests, the benchmark and a demo without the internet: devices
 * subscribe here ({@link #subscribe()}), and what the server pushes to them is checked the way a real push
 * service and browser check it: the VAPID token (RFC 8292: ES256 signed with the key in {@code k}, audience this
 * origin, expiring within 24 hours, a contact in {@code sub}; else 403), then decrypted by the device (RFC 8291;
 * else 400). A device can be gone (410) or fail its next pushes with a status and a Retry-After.
 */
public final class PushServiceSimulator implements AutoCloseable {

    /** One push a device received. */
    public record Push(String deviceId, String payload, Map<String, String> headers, Instant at) {
    }

    private record Failure(int status, Integer retryAfterSeconds) {
    }

    private final SimServer server = new SimServer("push-sim");
    private final JsonMapper json = JsonMapper.builder().build();
    private final Clock clock;
    private final Map<String, SimulatedDevice> devices = new ConcurrentHashMap<>();
    private final Map<String, List<Push>> received = new ConcurrentHashMap<>();
    private final Map<String, List<Failure>> failing = new ConcurrentHashMap<>();
    private final Map<String, Boolean> gone = new ConcurrentHashMap<>();
    private final List<Consumer<Push>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong refused = new AtomicLong();
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean keepPayloads = true;
    private volatile boolean deferChecks;
    private final List<Raw> deferred = new CopyOnWriteArrayList<>();

    /** A push taken as it came, to be checked and decrypted later ({@link #deferChecks}). */
    private record Raw(String deviceId, String authorization, String contentEncoding, Map<String, String> headers,
                       byte[] body, Instant at) {
    }

    public PushServiceSimulator() {
        this(Clock.systemUTC());
    }

    public PushServiceSimulator(Clock clock) {
        this.clock = clock;
    }

    /** Binds 127.0.0.1:{@code port} (0: a free port). */
    public PushServiceSimulator start(int port) {
        server.start(port, routes -> routes.post("/push/{id}", this::push));
        return this;
    }

    public String origin() {
        return server.baseUrl();
    }

    /** A new device subscribed here. */
    public SimulatedDevice subscribe() {
        String id = "d" + ids.incrementAndGet();
        SimulatedDevice device = new SimulatedDevice(id, origin() + "/push/" + id);
        devices.put(id, device);
        return device;
    }

    /** Pushes received so far by the device, oldest first. */
    public List<Push> received(String deviceId) {
        return List.copyOf(received.getOrDefault(deviceId, List.of()));
    }

    /** Pushes refused (bad token, bad encryption, gone). */
    public long refused() {
        return refused.get();
    }

    /** Why pushes were refused, oldest first. */
    public List<String> refusals() {
        return List.copyOf(refusals);
    }

    private void refuse(String why) {
        refused.incrementAndGet();
        refusals.add(why);
    }

    /** Told of every push received, on the server's thread; must return at once. */
    public void onPush(Consumer<Push> listener) {
        listeners.add(listener);
    }

    /** Keep only counts and listeners, not the pushes (a benchmark's hundreds of thousands). */
    public void keepPayloads(boolean keep) {
        keepPayloads = keep;
    }

    /**
     * Takes every push for a known device at once (201) and leaves the token check and the decryption to
     * {@link #settleDeferred}: a benchmark's push service stand-in must not take the cores from the server under
     * test with a signature check and a key agreement per push while it is measured.
     */
    public void deferChecks(boolean defer) {
        deferChecks = defer;
    }

    /** Checks and decrypts what was taken while checks were deferred; tells the listeners; emits how many passed. */
    public int settleDeferred() {
        int passed = 0;
        for (Raw raw : List.copyOf(deferred)) {
            String problem = vapidProblem(raw.authorization());
            if (problem != null || !"aes128gcm".equals(raw.contentEncoding())) {
                refuse(raw.deviceId() + ": " + (problem != null ? problem : "not aes128gcm"));
                continue;
            }
            try {
                Push push = new Push(raw.deviceId(), devices.get(raw.deviceId()).decrypt(raw.body()), raw.headers(), raw.at());
                if (keepPayloads) {
                    received.computeIfAbsent(raw.deviceId(), d -> new CopyOnWriteArrayList<>()).add(push);
                }
                listeners.forEach(l -> l.accept(push));
                passed++;
            } catch (GeneralSecurityException | RuntimeException e) {
                refuse(raw.deviceId() + ": undecryptable: " + e);
            }
        }
        deferred.clear();
        return passed;
    }

    /** The device unsubscribed: every push to it is answered 410 Gone from now on. */
    public void expire(String deviceId) {
        gone.put(deviceId, true);
    }

    /** The next push to the device is answered {@code status}, with {@code Retry-After} seconds when not null. */
    public void failNext(String deviceId, int status, Integer retryAfterSeconds) {
        failing.computeIfAbsent(deviceId, d -> new CopyOnWriteArrayList<>()).add(new Failure(status, retryAfterSeconds));
    }

    private Mono<Void> push(HttpServerRequest request, HttpServerResponse response) {
        String id = request.param("id");
        return request.receive().aggregate().asByteArray().defaultIfEmpty(new byte[0]).flatMap(body -> {
            SimulatedDevice device = devices.get(id);
            if (device == null || gone.containsKey(id)) {
                refuse(id + ": gone");
                return response.status(HttpResponseStatus.GONE).sendString(Mono.just(
                        "{\"reason\":\"Push subscription has unsubscribed or expired.\"}")).then();
            }
            List<Failure> failures = failing.get(id);
            if (failures != null && !failures.isEmpty()) {
                Failure f = failures.remove(0);
                HttpServerResponse r = response.status(f.status());
                if (f.retryAfterSeconds() != null) {
                    r = r.header("Retry-After", f.retryAfterSeconds().toString());
                }
                return r.send().then();
            }
            if (deferChecks) {
                deferred.add(new Raw(id, request.requestHeaders().get("Authorization"),
                        request.requestHeaders().get("Content-Encoding"), headersOf(request), body, clock.instant()));
                return response.status(HttpResponseStatus.CREATED).send().then();
            }
            String problem = vapidProblem(request.requestHeaders().get("Authorization"));
            if (problem != null) {
                refuse(id + ": " + problem);
                return response.status(HttpResponseStatus.FORBIDDEN).sendString(Mono.just(problem)).then();
            }
            if (!"aes128gcm".equals(request.requestHeaders().get("Content-Encoding"))
                    || request.requestHeaders().get("TTL") == null) {
                refuse(id + ": aes128gcm and TTL required");
                return response.status(HttpResponseStatus.BAD_REQUEST).sendString(Mono.just("aes128gcm and TTL required")).then();
            }
            String payload;
            try {
                payload = device.decrypt(body);
            } catch (GeneralSecurityException | RuntimeException e) {
                refuse(id + ": undecryptable: " + e);
                return response.status(HttpResponseStatus.BAD_REQUEST).sendString(Mono.just("undecryptable: " + e)).then();
            }
            Push push = new Push(id, payload, headersOf(request), clock.instant());
            if (keepPayloads) {
                received.computeIfAbsent(id, d -> new CopyOnWriteArrayList<>()).add(push);
            }
            listeners.forEach(l -> l.accept(push));
            return response.status(HttpResponseStatus.CREATED).header("Location", origin() + "/messages/" + ids.incrementAndGet())
                    .send().then();
        });
    }

    private static Map<String, String> headersOf(HttpServerRequest request) {
        Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String h : List.of("TTL", "Urgency", "Topic", "Content-Encoding")) {
            String v = request.requestHeaders().get(h);
            if (v != null) {
                headers.put(h, v);
            }
        }
        return headers;
    }

    /** What is wrong with the {@code vapid t=…, k=…} header (RFC 8292, section 3), or null. */
    private String vapidProblem(String header) {
        if (header == null || !header.startsWith("vapid ")) {
            return "no vapid authorization";
        }
        String token = null;
        String key = null;
        for (String part : header.substring(6).split(",")) {
            String p = part.strip();
            if (p.startsWith("t=")) {
                token = p.substring(2);
            } else if (p.startsWith("k=")) {
                key = p.substring(2);
            }
        }
        if (token == null || key == null) {
            return "vapid t and k required";
        }
        String[] jwt = token.split("\\.");
        if (jwt.length != 3) {
            return "t is not a JWT";
        }
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            JsonNode head = json.readTree(b64.decode(jwt[0]));
            if (!"ES256".equals(head.path("alg").asString(""))) {
                return "alg must be ES256";
            }
            byte[] k = b64.decode(key);
            Signature es256 = Signature.getInstance("SHA256withECDSAinP1363Format");
            es256.initVerify(publicKey(k));
            es256.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
            if (!es256.verify(b64.decode(jwt[2]))) {
                return "bad signature";
            }
            JsonNode claims = json.readTree(b64.decode(jwt[1]));
            if (!origin().equals(claims.path("aud").asString(""))) {
                return "aud must be " + origin();
            }
            long exp = claims.path("exp").asLong(0);
            long now = clock.instant().getEpochSecond();
            if (exp <= now || exp > now + Duration.ofHours(24).toSeconds()) {
                return "exp must be within 24 hours";
            }
            String sub = claims.path("sub").asString("");
            if (!sub.startsWith("mailto:") && !sub.startsWith("https:")) {
                return "sub must be a mailto: or https: contact";
            }
            return null;
        } catch (GeneralSecurityException | RuntimeException e) {
            return "unreadable token: " + e;
        }
    }

    private static ECPublicKey publicKey(byte[] point) throws GeneralSecurityException {
        if (point.length != 65 || point[0] != 4) {
            throw new GeneralSecurityException("k is not an uncompressed P-256 point");
        }
        java.security.AlgorithmParameters p = java.security.AlgorithmParameters.getInstance("EC");
        p.init(new java.security.spec.ECGenParameterSpec("secp256r1"));
        ECPoint w = new ECPoint(new BigInteger(1, Arrays.copyOfRange(point, 1, 33)),
                new BigInteger(1, Arrays.copyOfRange(point, 33, 65)));
        return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w,
                p.getParameterSpec(java.security.spec.ECParameterSpec.class)));
    }

    @Override
    public void close() {
        server.close();
    }
}
