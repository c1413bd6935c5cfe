package jp.tsunagu.connectors.webhook;

import static jp.tsunagu.connectors.webhook.WebhookFixtures.NOW;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.OURS;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.OURS_OLD;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.SPEC_SECRET;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.STRANGER;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.signed;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jp.tsunagu.connectors.webhook.WebhookFixtures.TestClock;
import jp.tsunagu.connectors.webhook.WebhookVerifier.Reason;
import jp.tsunagu.connectors.webhook.WebhookVerifier.Refused;
import jp.tsunagu.connectors.webhook.WebhookVerifier.Verification;
import jp.tsunagu.connectors.webhook.WebhookVerifier.Verified;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookSignatureTests {

    private static final byte[] BODY = utf8("{\"type\":\"message.created\",\"room_id\":\"p-1\",\"note\":\"血圧 132/84\"}");

    private TestClock clock;
    private WebhookVerifier verifier;

    @BeforeEach
    void setUp() {
        clock = new TestClock(NOW);
        verifier = new WebhookVerifier(WebhookKeys.of(OURS), clock, Duration.ofMinutes(5), 100);
    }

    // ---- signing ----

    @Test
    void signsTheStandardWebhooksReferenceVector() {
        // From the Standard Webhooks reference libraries' tests (libraries/java WebhookTest.verifyWebhookSignWorks).
        WebhookSecret secret = WebhookSecret.parse(SPEC_SECRET);
        byte[] payload = utf8("{\"test\": 2432232314}");

        assertThat(WebhookSigner.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, payload))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

        TestClock then = new TestClock(Instant.ofEpochSecond(1614265330L));
        WebhookVerifier specVerifier = new WebhookVerifier(WebhookKeys.of(secret), then, Duration.ofMinutes(5), 10);
        Map<String, List<String>> headers = Map.of(
                "webhook-id", List.of("msg_p5jXN8AQM9LWM0D4loKWxJek"),
                "webhook-timestamp", List.of("1614265330"),
                "webhook-signature", List.of("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
        assertThat(specVerifier.verify(headers, payload)).isInstanceOf(Verified.class);
    }

    @Test
    void signatureIsHmacSha256OfIdDotTimestampDotBodyUnderTheDecodedKey() throws Exception {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (i * 7 + 3);
        }
        WebhookSecret secret = WebhookSecret.parse("whsec_" + Base64.getEncoder().encodeToString(key));
        // Computed here straight from the spec's formula: HMAC-SHA256(key, "{msg_id}.{timestamp}.{payload}").
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        String expected = "v1," + Base64.getEncoder().encodeToString(
                mac.doFinal(("msg_abc.1764000000." + new String(BODY, StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8)));

        assertThat(WebhookSigner.sign(secret, "msg_abc", 1764000000L, BODY)).isEqualTo(expected);
        assertThat(new WebhookSigner(WebhookKeys.of(secret)).headers("msg_abc", Instant.ofEpochSecond(1764000000L), BODY))
                .containsExactly(Map.entry("webhook-id", "msg_abc"), Map.entry("webhook-timestamp", "1764000000"),
                        Map.entry("webhook-signature", expected));
    }

    @Test
    void signerRefusesIdsThatWouldMakeTheSignedContentAmbiguous() {
        assertThatThrownBy(() -> WebhookSigner.sign(OURS, "msg.1", 1L, BODY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WebhookSigner.sign(OURS, "", 1L, BODY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WebhookSigner.sign(OURS, "msg_1", -1L, BODY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void secretsMustBeWhsecBase64OfTheSpecLength() {
        assertThatThrownBy(() -> WebhookSecret.parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whsec_");
        assertThatThrownBy(() -> WebhookSecret.parse("whsec_not base64!"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("not base64!");
        assertThatThrownBy(() -> WebhookSecret.parse("whsec_" + Base64.getEncoder().encodeToString(new byte[16])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16");
        assertThatThrownBy(() -> WebhookSecret.parse("whsec_" + Base64.getEncoder().encodeToString(new byte[65])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(WebhookSecret.parse(SPEC_SECRET).serialize()).isEqualTo(SPEC_SECRET);
        assertThat(WebhookSecret.parse(SPEC_SECRET).toString()).doesNotContain("MfKQ9r8");
    }

    // ---- verifying ----

    @Test
    void acceptsAGenuineWebhook() {
        Verification result = verifier.verify(signed(OURS, "msg_1", NOW, BODY), BODY);

        assertThat(result).isEqualTo(new Verified("msg_1", NOW, false));
        assertThat(result.accepted()).isTrue();
    }

    @Test
    void acceptsWhenOneOfSeveralSignaturesMatchesAndHeaderNamesInAnyCase() {
        String good = WebhookSigner.sign(OURS, "msg_1", NOW.getEpochSecond(), BODY);
        Map<String, List<String>> headers = new HashMap<>();
        headers.put("Webhook-Id", List.of("msg_1"));
        headers.put("WEBHOOK-TIMESTAMP", List.of(Long.toString(NOW.getEpochSecond())));
        // Junk, another scheme and another version beside the good one, as the spec allows.
        headers.put("Webhook-Signature", List.of(
                "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5Bdq==",
                "v2," + good.substring(3) + " v1,%%% " + good));

        assertThat(verifier.verify(headers, BODY)).isInstanceOf(Verified.class);
    }

    @Test
    void refusesAForgedSignature() {
        Map<String, List<String>> headers = signed(OURS, "msg_1", NOW, BODY);
        headers.put("webhook-signature", List.of("v1," + Base64.getEncoder().encodeToString(new byte[32])));

        assertRefused(verifier.verify(headers, BODY), Reason.FORGED);
    }

    @Test
    void refusesASignatureMadeWithAnotherSecret() {
        assertRefused(verifier.verify(signed(STRANGER, "msg_1", NOW, BODY), BODY), Reason.FORGED);
    }

    @Test
    void refusesATamperedBodyIdOrTimestamp() {
        Map<String, List<String>> headers = signed(OURS, "msg_1", NOW, BODY);
        byte[] tampered = BODY.clone();
        tampered[tampered.length - 3] ^= 1;
        assertRefused(verifier.verify(headers, tampered), Reason.FORGED);

        Map<String, List<String>> otherId = signed(OURS, "msg_1", NOW, BODY);
        otherId.put("webhook-id", List.of("msg_2"));
        assertRefused(verifier.verify(otherId, BODY), Reason.FORGED);

        Map<String, List<String>> otherTime = signed(OURS, "msg_3", NOW, BODY);
        otherTime.put("webhook-timestamp", List.of(Long.toString(NOW.getEpochSecond() - 1)));
        assertRefused(verifier.verify(otherTime, BODY), Reason.FORGED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"webhook-id", "webhook-timestamp", "webhook-signature"})
    void refusesAMissingOrBlankHeader(String header) {
        Map<String, List<String>> missing = signed(OURS, "msg_1", NOW, BODY);
        missing.remove(header);
        assertRefused(verifier.verify(missing, BODY), Reason.MISSING_HEADER);

        Map<String, List<String>> blank = signed(OURS, "msg_1", NOW, BODY);
        blank.put(header, List.of(" "));
        assertRefused(verifier.verify(blank, BODY), Reason.MISSING_HEADER);
    }

    @Test
    void refusesMalformedHeadersWithoutThrowing() {
        Map<String, List<String>> dotted = signed(OURS, "msg_1", NOW, BODY);
        dotted.put("webhook-id", List.of("msg.1"));
        assertRefused(verifier.verify(dotted, BODY), Reason.MALFORMED_HEADER);

        Map<String, List<String>> repeated = signed(OURS, "msg_1", NOW, BODY);
        repeated.put("webhook-id", List.of("msg_1", "msg_2"));
        assertRefused(verifier.verify(repeated, BODY), Reason.MALFORMED_HEADER);

        for (String bad : List.of("soon", "-5", "1.5", "1e9", "99999999999999999999")) {
            Map<String, List<String>> headers = signed(OURS, "msg_1", NOW, BODY);
            headers.put("webhook-timestamp", List.of(bad));
            assertRefused(verifier.verify(headers, BODY), Reason.BAD_TIMESTAMP);
        }

        Map<String, List<String>> nulls = new HashMap<>();
        nulls.put("webhook-id", null);
        nulls.put(null, List.of("x"));
        List<String> withNull = new ArrayList<>();
        withNull.add(null);
        nulls.put("webhook-signature", withNull);
        assertRefused(verifier.verify(nulls, BODY), Reason.MISSING_HEADER);
        assertRefused(verifier.verify(null, BODY), Reason.MISSING_HEADER);
        assertRefused(verifier.verify(signed(OURS, "msg_1", NOW, BODY), null), Reason.MISSING_HEADER);
    }

    @Test
    void refusesTimestampsSixMinutesOldOrAhead() {
        Instant old = NOW.minus(Duration.ofMinutes(6));
        Instant ahead = NOW.plus(Duration.ofMinutes(6));

        assertRefused(verifier.verify(signed(OURS, "msg_old", old, BODY), BODY), Reason.EXPIRED);
        assertRefused(verifier.verify(signed(OURS, "msg_ahead", ahead, BODY), BODY), Reason.EXPIRED);
    }

    @Test
    void acceptsTimestampsUpToTheToleranceEitherWay() {
        assertThat(verifier.verify(signed(OURS, "msg_a", NOW.minus(Duration.ofMinutes(5)), BODY), BODY).accepted())
                .isTrue();
        assertThat(verifier.verify(signed(OURS, "msg_b", NOW.plus(Duration.ofMinutes(5)), BODY), BODY).accepted())
                .isTrue();
        assertThat(verifier.verify(signed(OURS, "msg_c", NOW.minusSeconds(301), BODY), BODY).accepted()).isFalse();
    }

    @Test
    void toleranceIsConfigurable() {
        WebhookVerifier strict = new WebhookVerifier(WebhookKeys.of(OURS), clock, Duration.ofSeconds(30), 10);

        assertRefused(strict.verify(signed(OURS, "msg_1", NOW.minusSeconds(31), BODY), BODY), Reason.EXPIRED);
        assertThat(strict.verify(signed(OURS, "msg_2", NOW.minusSeconds(30), BODY), BODY).accepted()).isTrue();
    }

    @Test
    void refusesAReplayOfTheSameId() {
        Map<String, List<String>> headers = signed(OURS, "msg_1", NOW, BODY);
        assertThat(verifier.verify(headers, BODY).accepted()).isTrue();

        assertRefused(verifier.verify(headers, BODY), Reason.REPLAYED);
        clock.advance(Duration.ofSeconds(40));
        // The same id freshly signed is still the same webhook.
        assertRefused(verifier.verify(signed(OURS, "msg_1", clock.instant(), BODY), BODY), Reason.REPLAYED);
    }

    @Test
    void aForgedRequestNeitherTakesNorBlocksAnId() {
        assertRefused(verifier.verify(signed(STRANGER, "msg_1", NOW, BODY), BODY), Reason.FORGED);
        assertThat(verifier.replayCacheSize()).isZero();

        assertThat(verifier.verify(signed(OURS, "msg_1", NOW, BODY), BODY).accepted()).isTrue();
    }

    @Test
    void remembersIdsUntilTheirTimestampLeavesTheWindowThenForgetsThem() {
        Map<String, List<String>> headers = signed(OURS, "msg_1", NOW, BODY);
        assertThat(verifier.verify(headers, BODY).accepted()).isTrue();

        clock.advance(Duration.ofMinutes(5));
        assertRefused(verifier.verify(headers, BODY), Reason.REPLAYED);

        clock.advance(Duration.ofSeconds(1));
        // Now the timestamp alone refuses the old request, so its id need not be kept.
        assertRefused(verifier.verify(headers, BODY), Reason.EXPIRED);
        assertThat(verifier.verify(signed(OURS, "msg_2", clock.instant(), BODY), BODY).accepted()).isTrue();
        assertThat(verifier.replayCacheSize()).isEqualTo(1);
    }

    @Test
    void aFullReplayCacheFailsClosedUntilIdsExpire() {
        WebhookVerifier small = new WebhookVerifier(WebhookKeys.of(OURS), clock, Duration.ofMinutes(5), 2);
        assertThat(small.verify(signed(OURS, "msg_1", NOW, BODY), BODY).accepted()).isTrue();
        assertThat(small.verify(signed(OURS, "msg_2", NOW, BODY), BODY).accepted()).isTrue();

        assertRefused(small.verify(signed(OURS, "msg_3", NOW, BODY), BODY), Reason.REPLAY_CACHE_FULL);
        assertRefused(small.verify(signed(OURS, "msg_1", NOW, BODY), BODY), Reason.REPLAYED);

        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        assertThat(small.verify(signed(OURS, "msg_3", clock.instant(), BODY), BODY).accepted()).isTrue();
    }

    // ---- rotation ----

    @Test
    void duringRotationBothSecretsAreAccepted() {
        WebhookVerifier rotating = new WebhookVerifier(new WebhookKeys(OURS, OURS_OLD), clock, Duration.ofMinutes(5), 10);

        assertThat(rotating.verify(signed(OURS, "msg_new", NOW, BODY), BODY))
                .isEqualTo(new Verified("msg_new", NOW, false));
        assertThat(rotating.verify(signed(OURS_OLD, "msg_old", NOW, BODY), BODY))
                .isEqualTo(new Verified("msg_old", NOW, true));
        assertRefused(rotating.verify(signed(STRANGER, "msg_x", NOW, BODY), BODY), Reason.FORGED);
    }

    @Test
    void afterRotationTheOldSecretIsRefused() {
        assertRefused(verifier.verify(signed(OURS_OLD, "msg_old", NOW, BODY), BODY), Reason.FORGED);
    }

    @Test
    void signingUsesTheNewestSecret() {
        Map<String, String> headers = new WebhookSigner(new WebhookKeys(OURS, OURS_OLD)).headers("msg_1", NOW, BODY);
        Map<String, List<String>> received = new LinkedHashMap<>();
        headers.forEach((k, v) -> received.put(k, List.of(v)));

        WebhookVerifier onlyOld = new WebhookVerifier(WebhookKeys.of(OURS_OLD), clock, Duration.ofMinutes(5), 10);
        assertRefused(onlyOld.verify(received, BODY), Reason.FORGED);
        assertThat(verifier.verify(received, BODY)).isEqualTo(new Verified("msg_1", NOW, false));
        assertThat(headers.get("webhook-signature").split(" ")).hasSize(1);
    }

    private static void assertRefused(Verification result, Reason reason) {
        assertThat(result).isInstanceOfSatisfying(Refused.class, r -> {
            assertThat(r.reason()).isEqualTo(reason);
            assertThat(r.detail()).isNotBlank();
        });
        assertThat(result.accepted()).isFalse();
    }
}
