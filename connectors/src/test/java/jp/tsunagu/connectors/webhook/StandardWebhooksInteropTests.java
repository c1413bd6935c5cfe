package jp.tsunagu.connectors.webhook;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.OURS;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.OURS_OLD;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.STRANGER;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.THEIRS;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import jp.tsunagu.connectors.sns.OutboundMessage;
import jp.tsunagu.connectors.webhook.WebhookVerifier.Reason;
import jp.tsunagu.connectors.webhook.WebhookVerifier.Refused;
import jp.tsunagu.connectors.webhook.WebhookVerifier.Verified;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.test.StepVerifier;

/**
 * Our signer and verifier against the Standard Webhooks reference library for Java
 * ({@code com.standardwebhooks:standardwebhooks}, written by the spec's authors): each side checks what the other
 * made, so a drift from the spec in our code shows here, not first at a partner's endpoint.
 *
 * <p>The library judges timestamps by the system clock with a fixed 300 s tolerance, so these tests stamp
 * with the real time and our verifier runs on the system clock with the same default; the outside-the-window
 * cases stay {@link #WELL_OUTSIDE} from the edge so that a slow machine cannot move them across it.
 */
class StandardWebhooksInteropTests {

    @RegisterExtension
    static WireMockExtension sns = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

    /** The library's {@code TOLERANCE_IN_SECONDS} (300), which is also our {@link WebhookVerifier#DEFAULT_TOLERANCE}. */
    private static final Duration LIBRARY_TOLERANCE = Duration.ofSeconds(300);
    /** Far enough past the tolerance that seconds of test run time cannot bring a stamp back inside it. */
    private static final Duration WELL_OUTSIDE = Duration.ofSeconds(60);

    /**
     * Bodies that catch encoding slips: Japanese text (the library signs the payload string as UTF-8, we sign
     * bytes), escapes and newlines (a re-serialised body would differ), an empty object.
     */
    private static final String[] BODIES = {
        "{\"type\":\"message.created\",\"room_id\":\"p-1\",\"message\":{\"html\":\"血圧 132/84<br>夕方に再訪\"}}",
        "{\n  \"type\" : \"message.deleted\",\n  \"note\" : \"\\u00e9 \\\"quoted\\\" \\\\ 😀\"\n}\n",
        "{}",
    };

    private static Webhook library(WebhookSecret secret) {
        try {
            // The library reads the serialised form itself: this also checks our whsec_ secrets are its format.
            return new Webhook(secret.serialize());
        } catch (Exception e) {
            throw new AssertionError("the library refused our serialised secret", e);
        }
    }

    private static String librarySign(WebhookSecret secret, String id, Instant at, String body) {
        try {
            return library(secret).sign(id, at.getEpochSecond(), body);
        } catch (Exception e) {
            throw new AssertionError("the library could not sign", e);
        }
    }

    /** Our verifier as the connector builds it by default: system clock, 5-minute tolerance. */
    private static WebhookVerifier ourVerifier(WebhookKeys keys) {
        return new WebhookVerifier(keys);
    }

    private static Map<String, List<String>> headers(String id, Instant at, String signature) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("webhook-id", List.of(id));
        headers.put("webhook-timestamp", List.of(Long.toString(at.getEpochSecond())));
        headers.put("webhook-signature", List.of(signature));
        return headers;
    }

    private static Map<String, List<String>> ourHeaders(WebhookSecret secret, String id, Instant at, String body) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        new WebhookSigner(WebhookKeys.of(secret)).headers(id, at, utf8(body))
                .forEach((name, value) -> headers.put(name, List.of(value)));
        return headers;
    }

    // ---- (1) what the library signs, we accept ----

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void whatTheLibrarySignsOurVerifierAccepts(int which) {
        String body = BODIES[which];
        Instant now = Instant.now();
        String signature = librarySign(OURS, "msg_lib" + which, now, body);

        assertThat(ourVerifier(WebhookKeys.of(OURS)).verify(headers("msg_lib" + which, now, signature), utf8(body)))
                .isInstanceOfSatisfying(Verified.class, v -> {
                    assertThat(v.webhookId()).isEqualTo("msg_lib" + which);
                    assertThat(v.withPreviousSecret()).isFalse();
                });
    }

    @Test
    void theConnectorTakesInAnEventTheLibrarySigned() {
        WebhookConnector connector = new WebhookConnector(WebhookConnectorConfig.of("care-sns-test",
                URI.create("http://localhost:9/hooks"), WebhookKeys.of(OURS), WebhookKeys.of(THEIRS)));
        String body = """
                {"type":"message.created","room_id":"p-1024","message":{"id":"m-77",
                 "author":{"id":"u-3","display_name":"佐藤"},"html":"血圧 132/84","created_at":"2026-11-24T09:29:58+09:00"}}""";
        Instant now = Instant.now();
        Map<String, List<String>> signed = headers("msg_in1", now, librarySign(OURS, "msg_in1", now, body));

        StepVerifier.create(connector.receive(signed, utf8(body)))
                .assertNext(r -> assertThat(r).isInstanceOfSatisfying(InboundResult.Accepted.class,
                        a -> assertThat(a.messageId()).isEqualTo("m-77")))
                .verifyComplete();
    }

    // ---- (2) what we sign, the library verifies ----

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void whatOurSignerSignsTheLibraryVerifies(int which) {
        String body = BODIES[which];
        Instant now = Instant.now();
        Map<String, List<String>> ours = ourHeaders(THEIRS, "msg_ours" + which, now, body);

        assertThatCode(() -> library(THEIRS).verify(body, ours)).doesNotThrowAnyException();
        // Byte for byte the same signature, not merely one the library happens to accept.
        assertThat(ours.get("webhook-signature")).containsExactly(librarySign(THEIRS, "msg_ours" + which, now, body));
    }

    @Test
    void aDeliveryTheConnectorSendsIsVerifiedByTheLibrary() throws Exception {
        sns.stubFor(post(urlEqualTo("/hooks/tsunagu")).willReturn(aResponse().withStatus(201)
                .withHeader("Content-Type", "application/json").withBody("""
                        {"id":"m-900","room_id":"p-1024","author":{"id":"bot","display_name":"つなぐ"},
                         "html":"承知しました","created_at":"2026-11-24T09:31:00+09:00"}""")));
        WebhookConnector connector = new WebhookConnector(WebhookConnectorConfig.of("care-sns-test",
                URI.create(sns.baseUrl() + "/hooks/tsunagu"), WebhookKeys.of(OURS), WebhookKeys.of(THEIRS)));

        // A post's body carries Japanese text and characters JSON escapes; a delete's is short and ASCII.
        StepVerifier.create(connector.post("p-1024", new OutboundMessage("血圧 132/84\n<夕方> & 再訪", null, null,
                List.of(), null))).expectNextCount(1).verifyComplete();
        StepVerifier.create(connector.delete("m-900")).verifyComplete();

        List<LoggedRequest> sent = sns.findAll(postRequestedFor(urlEqualTo("/hooks/tsunagu")));
        assertThat(sent).hasSize(2);
        for (LoggedRequest request : sent) {
            Map<String, List<String>> received = new LinkedHashMap<>();
            request.getHeaders().all().forEach(h -> received.put(h.key(), h.values()));
            // The body as it arrived on the wire, which the SNS would hand to the library.
            library(THEIRS).verify(new String(request.getBody(), StandardCharsets.UTF_8), received);
        }
    }

    // ---- (3) rotation: several signatures in one header ----

    @Test
    void theLibraryVerifiesOurMultiSignatureHeaderWithEitherSecret() {
        String body = BODIES[0];
        Instant now = Instant.now();
        // A sender rotating its secret signs with both, space-separated (spec "Signature scheme").
        String both = WebhookSigner.sign(OURS_OLD, "msg_rot1", now.getEpochSecond(), utf8(body)) + " "
                + WebhookSigner.sign(OURS, "msg_rot1", now.getEpochSecond(), utf8(body));
        Map<String, List<String>> headers = headers("msg_rot1", now, both);

        assertThatCode(() -> library(OURS_OLD).verify(body, headers)).as("a receiver still on the old secret")
                .doesNotThrowAnyException();
        assertThatCode(() -> library(OURS).verify(body, headers)).as("a receiver already on the new one")
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> library(STRANGER).verify(body, headers)).as("neither")
                .isInstanceOf(WebhookVerificationException.class).hasMessage("No matching signature found");
    }

    @Test
    void ourVerifierAcceptsALibraryMadeMultiSignatureHeaderWhenOneSignatureMatches() {
        String body = BODIES[0];
        Instant now = Instant.now();
        String both = librarySign(THEIRS, "msg_rot2", now, body) + " " + librarySign(OURS_OLD, "msg_rot2", now, body);

        assertThat(ourVerifier(WebhookKeys.of(OURS_OLD)).verify(headers("msg_rot2", now, both), utf8(body)))
                .as("the second signature matches our only secret").isInstanceOf(Verified.class);
        assertThat(ourVerifier(new WebhookKeys(OURS, OURS_OLD)).verify(headers("msg_rot2", now, both), utf8(body)))
                .as("the second signature matches the secret we are rotating out")
                .isInstanceOfSatisfying(Verified.class, v -> assertThat(v.withPreviousSecret()).isTrue());
        assertThat(ourVerifier(WebhookKeys.of(STRANGER)).verify(headers("msg_rot2", now, both), utf8(body)))
                .isInstanceOfSatisfying(Refused.class, r -> assertThat(r.reason()).isEqualTo(Reason.FORGED));
    }

    // ---- (4) both refuse the same things ----

    @Test
    void bothRefuseAWrongSecret() {
        String body = BODIES[0];
        Instant now = Instant.now();
        Map<String, List<String>> byLibrary = headers("msg_w1", now, librarySign(STRANGER, "msg_w1", now, body));
        Map<String, List<String>> byUs = ourHeaders(STRANGER, "msg_w2", now, body);

        assertRefusedByUs(WebhookKeys.of(OURS), byLibrary, body, Reason.FORGED);
        assertThatThrownBy(() -> library(OURS).verify(body, byUs))
                .isInstanceOf(WebhookVerificationException.class).hasMessage("No matching signature found");
    }

    @Test
    void bothRefuseATamperedBodyIdOrTimestamp() {
        String body = BODIES[0];
        String tampered = body.replace("132/84", "182/84");
        Instant now = Instant.now();
        Map<String, List<String>> byLibrary = headers("msg_t1", now, librarySign(OURS, "msg_t1", now, body));
        Map<String, List<String>> byUs = ourHeaders(OURS, "msg_t2", now, body);

        assertRefusedByUs(WebhookKeys.of(OURS), byLibrary, tampered, Reason.FORGED);
        assertLibraryRefuses(tampered, byUs, "No matching signature found");

        Map<String, List<String>> otherId = new LinkedHashMap<>(byUs);
        otherId.put("webhook-id", List.of("msg_t3"));
        assertLibraryRefuses(body, otherId, "No matching signature found");
        Map<String, List<String>> libraryOtherId = new LinkedHashMap<>(byLibrary);
        libraryOtherId.put("webhook-id", List.of("msg_t3"));
        assertRefusedByUs(WebhookKeys.of(OURS), libraryOtherId, body, Reason.FORGED);

        // One second earlier is still inside the window, so only the signature can catch it.
        String earlier = Long.toString(now.getEpochSecond() - 1);
        Map<String, List<String>> otherTime = new LinkedHashMap<>(byUs);
        otherTime.put("webhook-timestamp", List.of(earlier));
        assertLibraryRefuses(body, otherTime, "No matching signature found");
        Map<String, List<String>> libraryOtherTime = new LinkedHashMap<>(byLibrary);
        libraryOtherTime.put("webhook-timestamp", List.of(earlier));
        assertRefusedByUs(WebhookKeys.of(OURS), libraryOtherTime, body, Reason.FORGED);
    }

    @Test
    void bothRefuseATimestampOutsideTheToleranceEitherWay() {
        String body = BODIES[0];
        Instant now = Instant.now();
        Instant old = now.minus(LIBRARY_TOLERANCE).minus(WELL_OUTSIDE);
        Instant ahead = now.plus(LIBRARY_TOLERANCE).plus(WELL_OUTSIDE);

        assertRefusedByUs(WebhookKeys.of(OURS), headers("msg_e1", old, librarySign(OURS, "msg_e1", old, body)),
                body, Reason.EXPIRED);
        assertRefusedByUs(WebhookKeys.of(OURS), headers("msg_e2", ahead, librarySign(OURS, "msg_e2", ahead, body)),
                body, Reason.EXPIRED);
        assertLibraryRefuses(body, ourHeaders(OURS, "msg_e3", old, body), "Message timestamp too old");
        assertLibraryRefuses(body, ourHeaders(OURS, "msg_e4", ahead, body), "Message timestamp too new");
    }

    @Test
    void bothAcceptATimestampWellInsideTheToleranceEitherWay() {
        // The counterpart of the test above: the two windows are the same width, not merely both finite.
        String body = BODIES[0];
        Instant now = Instant.now();
        Instant late = now.minus(LIBRARY_TOLERANCE).plus(WELL_OUTSIDE);
        Instant early = now.plus(LIBRARY_TOLERANCE).minus(WELL_OUTSIDE);

        assertThat(ourVerifier(WebhookKeys.of(OURS)).verify(
                headers("msg_i1", late, librarySign(OURS, "msg_i1", late, body)), utf8(body))).isInstanceOf(Verified.class);
        assertThat(ourVerifier(WebhookKeys.of(OURS)).verify(
                headers("msg_i2", early, librarySign(OURS, "msg_i2", early, body)), utf8(body))).isInstanceOf(Verified.class);
        assertThatCode(() -> library(OURS).verify(body, ourHeaders(OURS, "msg_i3", late, body))).doesNotThrowAnyException();
        assertThatCode(() -> library(OURS).verify(body, ourHeaders(OURS, "msg_i4", early, body))).doesNotThrowAnyException();
    }

    private static void assertRefusedByUs(WebhookKeys keys, Map<String, List<String>> headers, String body, Reason reason) {
        assertThat(ourVerifier(keys).verify(new LinkedHashMap<>(headers), utf8(body)))
                .isInstanceOfSatisfying(Refused.class, r -> assertThat(r.reason()).isEqualTo(reason));
    }

    private static void assertLibraryRefuses(String body, Map<String, List<String>> headers, String message) {
        assertThatThrownBy(() -> library(OURS).verify(body, new LinkedHashMap<>(headers)))
                .isInstanceOf(WebhookVerificationException.class).hasMessage(message);
    }
}
