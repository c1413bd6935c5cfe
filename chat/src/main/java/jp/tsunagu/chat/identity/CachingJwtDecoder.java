package jp.tsunagu.chat.identity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

import reactor.core.publisher.Mono;

/**
 * Remembers tokens already verified, so a phone that sends the same access token with every request pays
 * for signature checking once, not per request (verification was 16% of the server's CPU under load,
 * docs/BENCHMARKS.md).
 *
 * <p>Only successfully decoded tokens are remembered, keyed by the exact token string, and only until
 * their own expiry: a hit after {@code exp} is decoded again, so the delegate's validators decide as
 * before. Failures are never cached. The memo is bounded; when full it is cleared, costing one
 * verification per active token again.
 */
public final class CachingJwtDecoder implements ReactiveJwtDecoder {

    /** A region's active devices in one token lifetime; beyond it the memo restarts. */
    static final int MAX_ENTRIES = 20_000;

    private final ReactiveJwtDecoder delegate;
    private final Clock clock;
    private final Map<String, Jwt> verified = new ConcurrentHashMap<>();

    public CachingJwtDecoder(ReactiveJwtDecoder delegate, Clock clock) {
        this.delegate = delegate;
        this.clock = clock;
    }

    @Override
    public Mono<Jwt> decode(String token) throws JwtException {
        Jwt known = verified.get(token);
        if (known != null) {
            Instant expires = known.getExpiresAt();
            if (expires != null && clock.instant().isBefore(expires)) {
                return Mono.just(known);
            }
            verified.remove(token);
        }
        return delegate.decode(token).doOnNext(jwt -> {
            if (jwt.getExpiresAt() == null || !clock.instant().isBefore(jwt.getExpiresAt().minus(Duration.ZERO))) {
                return; // without an expiry there is no safe time to forget it: never remembered
            }
            if (verified.size() >= MAX_ENTRIES) {
                verified.clear();
            }
            verified.put(token, jwt);
        });
    }
}
