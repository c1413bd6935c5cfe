package jp.tsunagu.connectors.webhook;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Secrets, a settable clock and header helpers shared by the webhook tests. */
final class WebhookFixtures {

    /** The Standard Webhooks reference libraries' test secret (24 bytes). */
    static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    static final WebhookSecret OURS = secret(1);
    static final WebhookSecret OURS_OLD = secret(2);
    static final WebhookSecret THEIRS = secret(3);
    static final WebhookSecret THEIRS_OLD = secret(4);
    static final WebhookSecret STRANGER = secret(5);

    /** 2026-11-24T09:30:00+09:00. */
    static final Instant NOW = Instant.parse("2026-11-24T00:30:00Z");

    private WebhookFixtures() {
    }

    /** A 32-byte secret whose bytes are all {@code seed}: distinct per seed, readable in a debugger. */
    static WebhookSecret secret(int seed) {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) seed);
        return WebhookSecret.parse("whsec_" + Base64.getEncoder().encodeToString(key));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The three headers as a sender would send them, signed with {@code secret}. */
    static Map<String, List<String>> signed(WebhookSecret secret, String id, Instant at, byte[] body) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        new WebhookSigner(WebhookKeys.of(secret)).headers(id, at, body)
                .forEach((name, value) -> headers.put(name, new ArrayList<>(List.of(value))));
        return headers;
    }

    /** A clock the test moves by hand. */
    static final class TestClock extends Clock {
        private volatile Instant now;

        TestClock(Instant now) {
            this.now = now;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
