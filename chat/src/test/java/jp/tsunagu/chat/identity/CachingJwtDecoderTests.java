package jp.tsunagu.chat.identity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

import jp.tsunagu.chat.support.MovableClock;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class CachingJwtDecoderTests {

    private final LocalJwtIssuer issuer = LocalJwtIssuer.withNewKey("urn:test");
    private final CareUser nurse = new CareUser("ns-1", "佐藤", Profession.NURSE, "fac", "ひかり", Set.of());

    /** Counts real verifications. */
    private final class Counting implements ReactiveJwtDecoder {
        final AtomicInteger calls = new AtomicInteger();
        final ReactiveJwtDecoder real = issuer.decoder();

        @Override
        public Mono<Jwt> decode(String token) {
            calls.incrementAndGet();
            return real.decode(token);
        }
    }

    @Test
    void aVerifiedTokenIsVerifiedOnceUntilItExpires() {
        Counting counting = new Counting();
        String token = issuer.mint(nurse, Duration.ofMinutes(5));
        MovableClock clock = new MovableClock(Instant.now());
        CachingJwtDecoder decoder = new CachingJwtDecoder(counting, clock);

        for (int i = 0; i < 3; i++) {
            StepVerifier.create(decoder.decode(token)).assertNext(jwt -> assertThat(jwt.getSubject()).isEqualTo("ns-1"))
                    .verifyComplete();
        }
        assertThat(counting.calls).hasValue(1);

        // Past its expiry the memo no longer answers: the real decoder decides again.
        clock.set(Instant.now().plus(Duration.ofMinutes(6)));
        StepVerifier.create(decoder.decode(token)).expectNextCount(1).verifyComplete();
        assertThat(counting.calls).hasValue(2);
    }

    @Test
    void failuresAreNeverRemembered() {
        Counting counting = new Counting();
        CachingJwtDecoder decoder = new CachingJwtDecoder(counting, Clock.systemUTC());
        String forged = LocalJwtIssuer.withNewKey("urn:test").mint(nurse, Duration.ofMinutes(5));
        String expired = issuer.mint("ns-1", Map.of("profession", "nurse"), Duration.ofMinutes(-10));
        for (String bad : new String[] {forged, forged, expired, expired}) {
            StepVerifier.create(decoder.decode(bad)).expectError().verify();
        }
        assertThat(counting.calls).hasValue(4);
    }
}
