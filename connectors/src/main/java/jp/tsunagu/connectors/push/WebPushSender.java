package jp.tsunagu.connectors.push;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Objects;


import com.zerodeplibs.webpush.VAPIDKeyPair;
import com.zerodeplibs.webpush.VAPIDKeyPairs;
import com.zerodeplibs.webpush.jwt.VAPIDJWTParam;
import com.zerodeplibs.webpush.key.PrivateKeySources;
import com.zerodeplibs.webpush.key.PublicKeySources;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Sends one Web Push message to one device: encrypts the payload for the browser (RFC 8291, {@link
 * Aes128GcmEncryption}), signs a VAPID token for the push service's origin (RFC 8292, with zerodep-web-push) and
 * POSTs it (RFC 8030). Never throws for what the push service or the
 * network did: the answer is a {@link PushResult}, and the caller's queue decides about later attempts.
 *
 * <p>A circuit breaker per push service (Mozilla's, Google's, Apple's are separate) stops calls to one that keeps
 * failing, so its outage costs nothing but {@code RetryLater} answers while the others are served.
 */
public final class WebPushSender implements AutoCloseable {

    /** RFC 8292 section 2: a VAPID token must not be valid longer than 24 hours; half of that leaves clock skew room. */
    static final Duration TOKEN_VALIDITY = Duration.ofHours(12);
    /** The wait after a failure the push service did not time itself (no Retry-After). */
    static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(30);

    /** How urgently the push service should wake the device (RFC 8030, section 5.3). */
    public enum Urgency {
        VERY_LOW("very-low"), LOW("low"), NORMAL("normal"), HIGH("high");

        private final String header;

        Urgency(String header) {
            this.header = header;
        }
    }

    private final VAPIDKeyPair vapid;
    private final String subject;
    /** Connections per push service (an origin): FCM, Mozilla and Apple take many pushes on one HTTP/1.1 pool. */
    static final int MAX_CONNECTIONS = 64;

    private final HttpClient http;
    private final ConnectionProvider pool;
    private final CircuitBreakerRegistry breakers;
    /**
     * Ours, not the library's: zerodep's encrypts with the JDK's P-256, six times as slow, and its encryption object
     * is not thread-safe (shared by pushes encrypted at once, it derived wrong keys for about one push in a hundred).
     */
    private final Aes128GcmEncryption encryption = new Aes128GcmEncryption();
    private final Clock clock;
    /**
     * The signed token per push service origin, reused until it has less than {@link #TOKEN_RENEW} left: one ECDSA
     * signature per origin every few hours instead of one per push (RFC 8292 lets a token be reused across pushes).
     */
    private final java.util.Map<String, Token> tokens = new java.util.concurrent.ConcurrentHashMap<>();

    /** A cached token is replaced once it has less than this left, far from its end and from clock skew. */
    static final Duration TOKEN_RENEW = Duration.ofHours(1);

    private record Token(String header, Instant expires) {
    }

    /**
     * @param subject the VAPID {@code sub} claim: a {@code mailto:} or {@code https:} contact for the push service's
     *                operators
     */
    public WebPushSender(VapidKeys keys, String subject, Duration connectTimeout, Duration responseTimeout, Clock clock) {
        this.vapid = VAPIDKeyPairs.of(PrivateKeySources.ofPKCS8Bytes(keys.privateKeyBytes()),
                PublicKeySources.ofUncompressedBytes(keys.publicKeyBytes()));
        this.subject = Objects.requireNonNull(subject, "subject");
        // A pool of its own: push services close idle connections, so one kept idle longer than theirs would fail
        // the next push; the concurrency is the sender's (its in-flight bound), so waiting for a connection is not capped.
        ConnectionProvider pool = ConnectionProvider.builder("web-push")
                .maxConnections(MAX_CONNECTIONS)
                .pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(Duration.ofSeconds(30))
                .maxIdleTime(Duration.ofSeconds(30))
                .evictInBackground(Duration.ofSeconds(30))
                .build();
        this.pool = pool;
        this.http = HttpClient.create(pool)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(connectTimeout.toMillis()))
                .responseTimeout(responseTimeout);
        // Opens after half of the last 20 calls failed, probes again after a minute: push services recover in
        // minutes, and the queue holds what waits meanwhile.
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowSize(20).minimumNumberOfCalls(10).failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofMinutes(1))
                .recordException(e -> e instanceof Failure)
                .build());
        this.clock = clock;
    }

    /**
     * Delivers {@code payload} (at most {@link Aes128GcmEncryption#MAX_PAYLOAD} bytes) to the device.
     *
     * @param ttl how long the push service keeps the message for a device that is offline
     * @param topic when not null, replaces an undelivered message with the same topic (RFC 8030, section 5.4)
     */
    public Mono<PushResult> send(PushTarget target, byte[] payload, Duration ttl, Urgency urgency, String topic) {
        URI endpoint;
        String authorization;
        String origin;
        byte[] uaPublic;
        byte[] auth;
        try {
            endpoint = URI.create(target.endpoint());
            origin = endpoint.getScheme() + "://" + endpoint.getAuthority();
            Base64.Decoder b64 = Base64.getUrlDecoder();
            uaPublic = b64.decode(strip(target.p256dh()));
            auth = b64.decode(strip(target.auth()));
            authorization = authorization(origin, target.endpoint());
        } catch (RuntimeException e) {
            return Mono.just(new PushResult.Rejected(0, "unusable subscription: " + e.getMessage()));
        }
        // The key agreement is CPU work: on the parallel scheduler, not on the thread that called (often an I/O
        // thread of the database driver, whose other answers would wait behind it).
        return Mono.fromCallable(() -> encryption.encrypt(uaPublic, auth, payload))
                .subscribeOn(Schedulers.parallel())
                .onErrorResume(IllegalArgumentException.class, e -> Mono.error(new Unusable(e.getMessage())))
                .flatMap(body -> http.headers(h -> {
                            h.set("Authorization", authorization);
                            h.set("Content-Encoding", "aes128gcm");
                            h.set("Content-Type", "application/octet-stream");
                            h.set("TTL", Long.toString(ttl.toSeconds()));
                            h.set("Urgency", urgency.header);
                            if (topic != null) {
                                h.set("Topic", topic);
                            }
                        })
                        .post().uri(endpoint)
                        .send(Mono.just(Unpooled.wrappedBuffer(body)))
                        .responseSingle((response, content) -> content.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                                .map(text -> result(response.status().code(), response.responseHeaders().get("Retry-After"), text))))
                .onErrorResume(e -> !(e instanceof Failure) && !(e instanceof Unusable), e -> Mono.error(new Failure(
                        new PushResult.RetryLater(DEFAULT_RETRY_AFTER, e.getClass().getSimpleName() + ": " + e.getMessage()))))
                .flatMap(r -> r instanceof PushResult.RetryLater later ? Mono.error(new Failure(later)) : Mono.just(r))
                .transformDeferred(CircuitBreakerOperator.of(breakers.circuitBreaker(origin)))
                .onErrorResume(Failure.class, f -> Mono.just(f.result))
                .onErrorResume(Unusable.class, u -> Mono.just(new PushResult.Rejected(0, "unusable subscription: " + u.getMessage())))
                .onErrorResume(CallNotPermittedException.class, e -> Mono.just(
                        new PushResult.RetryLater(DEFAULT_RETRY_AFTER, "push service " + origin + " failing, circuit open")));
    }

    /**
     * The {@code vapid t=…, k=…} header for the origin: cached, or signed now (audience: the origin). Synchronised:
     * signing is rare, and the library does not say its key pair may sign on several threads at once.
     */
    private synchronized String authorization(String origin, String endpoint) {
        Instant now = clock.instant();
        Token token = tokens.get(origin);
        if (token == null || token.expires().minus(TOKEN_RENEW).isBefore(now)) {
            Instant expires = now.plus(TOKEN_VALIDITY);
            token = new Token(vapid.generateAuthorizationHeaderValue(VAPIDJWTParam.getBuilder()
                    .resourceURLString(endpoint)
                    .expirationTime(expires)
                    .subject(subject)
                    .build()), expires);
            tokens.put(origin, token);
        }
        return token.header();
    }

    private PushResult result(int code, String retryAfterHeader, String text) {
        String reason = code + (text.isBlank() ? "" : " " + text.substring(0, Math.min(200, text.length())));
        if (code >= 200 && code < 300) {
            return new PushResult.Delivered(code);
        } else if (code == 404 || code == 410) {
            return new PushResult.Gone(code);
        } else if (code == 429 || code >= 500) {
            return new PushResult.RetryLater(retryAfter(retryAfterHeader), reason);
        }
        return new PushResult.Rejected(code, reason);
    }

    private static String strip(String base64url) {
        return base64url.strip().replace("=", "");
    }

    /** Retry-After as seconds or an HTTP date (RFC 9110, section 10.2.3); the default when absent or unreadable. */
    private Duration retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_RETRY_AFTER;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(clock.instant(), at);
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException unreadable) {
                return DEFAULT_RETRY_AFTER;
            }
        }
    }

    /** Closes the connections to the push services. */
    @Override
    public void close() {
        pool.disposeLater().block(Duration.ofSeconds(5));
    }

    /** A subscription whose keys cannot be used: not the push service's failure, not counted by the breaker. */
    private static final class Unusable extends RuntimeException {

        Unusable(String message) {
            super(message, null, false, false);
        }
    }

    /** A failed attempt, carried through the circuit breaker as an error so it counts. */
    private static final class Failure extends RuntimeException {

        private final transient PushResult.RetryLater result;

        Failure(PushResult.RetryLater result) {
            super(result.reason(), null, false, false);
            this.result = result;
        }
    }
}
