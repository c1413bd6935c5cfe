package jp.tsunagu.connectors.push;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;

import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;

import com.zerodeplibs.webpush.EncryptedPushMessage;
import com.zerodeplibs.webpush.MessageEncryption;
import com.zerodeplibs.webpush.MessageEncryptions;
import com.zerodeplibs.webpush.PushMessage;
import com.zerodeplibs.webpush.UserAgentMessageEncryptionKeyInfo;
import com.zerodeplibs.webpush.VAPIDKeyPair;
import com.zerodeplibs.webpush.VAPIDKeyPairs;
import com.zerodeplibs.webpush.jwt.VAPIDJWTParam;
import com.zerodeplibs.webpush.key.PrivateKeySources;
import com.zerodeplibs.webpush.key.PublicKeySources;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.netty.channel.ChannelOption;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * Sends one Web Push message to one device: encrypts the payload for the browser (RFC 8291), signs a VAPID token
 * for the push service's origin (RFC 8292) and POSTs it (RFC 8030). Never throws for what the push service or the
 * network did: the answer is a {@link PushResult}, and the caller's queue decides about later attempts.
 *
 * <p>A circuit breaker per push service (Mozilla's, Google's, Apple's are separate) stops calls to one that keeps
 * failing, so its outage costs nothing but {@code RetryLater} answers while the others are served.
 */
public final class WebPushSender {

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
    private final WebClient web;
    private final CircuitBreakerRegistry breakers;
    /**
     * One per thread: the library's encryption object is not thread-safe (it keeps one {@code Mac}), and shared by
     * pushes encrypted at once it derived wrong keys for about one push in a hundred (the device cannot decrypt).
     */
    private final ThreadLocal<MessageEncryption> encryption = ThreadLocal.withInitial(MessageEncryptions::of);
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
        HttpClient http = HttpClient.create()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(connectTimeout.toMillis()))
                .responseTimeout(responseTimeout);
        this.web = WebClient.builder().clientConnector(new ReactorClientHttpConnector(http)).build();
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
     * Delivers {@code payload} (at most 3,993 bytes, what one aes128gcm record carries in 4 KiB) to the device.
     *
     * @param ttl how long the push service keeps the message for a device that is offline
     * @param topic when not null, replaces an undelivered message with the same topic (RFC 8030, section 5.4)
     */
    public Mono<PushResult> send(PushTarget target, byte[] payload, Duration ttl, Urgency urgency, String topic) {
        URI endpoint;
        EncryptedPushMessage body;
        String authorization;
        String origin;
        try {
            endpoint = URI.create(target.endpoint());
            origin = endpoint.getScheme() + "://" + endpoint.getAuthority();
            body = encryption.get().encrypt(UserAgentMessageEncryptionKeyInfo.of(target.p256dh(), target.auth()),
                    PushMessage.of(payload));
            authorization = authorization(origin, target.endpoint());
        } catch (RuntimeException e) {
            return Mono.just(new PushResult.Rejected(0, "unusable subscription: " + e.getMessage()));
        }
        return web.post().uri(endpoint)
                .header("Authorization", authorization)
                .header("Content-Encoding", body.contentEncoding())
                .header("Content-Type", body.mediaType())
                .header("TTL", Long.toString(ttl.toSeconds()))
                .header("Urgency", urgency.header)
                .headers(h -> {
                    if (topic != null) {
                        h.set("Topic", topic);
                    }
                })
                .bodyValue(body.toBytes())
                .exchangeToMono(this::result)
                .onErrorResume(e -> !(e instanceof Failure), e -> Mono.error(new Failure(
                        new PushResult.RetryLater(DEFAULT_RETRY_AFTER, e.getClass().getSimpleName() + ": " + e.getMessage()))))
                .flatMap(r -> r instanceof PushResult.RetryLater later ? Mono.error(new Failure(later)) : Mono.just(r))
                .transformDeferred(CircuitBreakerOperator.of(breakers.circuitBreaker(origin)))
                .onErrorResume(Failure.class, f -> Mono.just(f.result))
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

    private Mono<PushResult> result(ClientResponse response) {
        HttpStatusCode status = response.statusCode();
        int code = status.value();
        Duration retryAfter = retryAfter(response.headers().asHttpHeaders().getFirst("Retry-After"));
        return response.bodyToMono(String.class).defaultIfEmpty("").map(text -> {
            String reason = code + (text.isBlank() ? "" : " " + text.substring(0, Math.min(200, text.length())));
            if (status.is2xxSuccessful()) {
                return new PushResult.Delivered(code);
            } else if (code == 404 || code == 410) {
                return new PushResult.Gone(code);
            } else if (code == 429 || status.is5xxServerError()) {
                return new PushResult.RetryLater(retryAfter, reason);
            }
            return new PushResult.Rejected(code, reason);
        });
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

    /** A failed attempt, carried through the circuit breaker as an error so it counts. */
    private static final class Failure extends RuntimeException {

        private final transient PushResult.RetryLater result;

        Failure(PushResult.RetryLater result) {
            super(result.reason(), null, false, false);
            this.result = result;
        }
    }
}
