package jp.tsunagu.connectors.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs webhooks the Standard Webhooks way (spec 1.0.0, "Signature scheme" and "Webhook headers").
 *
 * <p>The signed content is {@code <webhook-id>.<webhook-timestamp>.<body>}: the id, the timestamp in Unix
 * seconds and the raw body bytes, joined by full stops. The signature is HMAC-SHA256 with the secret's key,
 * sent as {@code v1,<base64>} in the {@code webhook-signature} header. The body must be sent byte for byte as
 * signed: serialise once and send those bytes.
 *
 * <p>Signs with {@link WebhookKeys#current()} only; the receiving side accepts both its secrets while it rotates.
 * Thread-safe.
 */
public final class WebhookSigner {

    /** The unique message id; the same across the sender's retries of one event. */
    public static final String ID_HEADER = "webhook-id";
    /** The attempt's time, integer Unix seconds. */
    public static final String TIMESTAMP_HEADER = "webhook-timestamp";
    /** Space-separated {@code <version>,<base64>} signatures. */
    public static final String SIGNATURE_HEADER = "webhook-signature";
    /** The spec's version tag for symmetric (HMAC-SHA256) signatures. */
    public static final String SCHEME_V1 = "v1";

    static final String HMAC = "HmacSHA256";

    /**
     * What a {@code webhook-id} may be. The spec asks that ids contain no full stop (it would make the signed
     * content ambiguous: {@code a.1.2.body} could be id {@code a.1} or id {@code a}); the length bound keeps the
     * replay cache's entries small and is far above the ids seen in practice (e.g. {@code msg_} + 27 characters).
     */
    static final Pattern VALID_ID = Pattern.compile("[\\x21-\\x2D\\x2F-\\x7E]{1,128}");

    private final WebhookSecret secret;

    /** A signer with the newest of {@code keys}. */
    public WebhookSigner(WebhookKeys keys) {
        this.secret = Objects.requireNonNull(keys, "keys").current();
    }

    /**
     * The {@code webhook-signature} value for one delivery: {@code v1,<base64 HMAC-SHA256>}.
     *
     * @throws IllegalArgumentException if {@code msgId} is not 1-128 visible ASCII characters without a full stop,
     *                                  or {@code timestampSeconds} is negative
     */
    public String signature(String msgId, long timestampSeconds, byte[] body) {
        return sign(secret, msgId, timestampSeconds, body);
    }

    /**
     * The three Standard Webhooks headers for one delivery, in the order id, timestamp, signature.
     *
     * @throws IllegalArgumentException as {@link #signature}
     */
    public Map<String, String> headers(String msgId, Instant at, byte[] body) {
        long seconds = at.getEpochSecond();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(ID_HEADER, msgId);
        headers.put(TIMESTAMP_HEADER, Long.toString(seconds));
        headers.put(SIGNATURE_HEADER, signature(msgId, seconds, body));
        return headers;
    }

    /** The signature of {@code msgId.timestampSeconds.body} with one secret, as {@code v1,<base64>}. */
    public static String sign(WebhookSecret secret, String msgId, long timestampSeconds, byte[] body) {
        if (msgId == null || !VALID_ID.matcher(msgId).matches()) {
            throw new IllegalArgumentException("a webhook id must be 1-128 visible ASCII characters without '.'");
        }
        if (timestampSeconds < 0) {
            throw new IllegalArgumentException("a webhook timestamp cannot be before 1970");
        }
        return SCHEME_V1 + "," + Base64.getEncoder().encodeToString(
                hmac(secret, msgId, Long.toString(timestampSeconds), body));
    }

    /** HMAC-SHA256 of {@code msgId.timestamp.body}; the timestamp exactly as sent, since it is signed as text. */
    static byte[] hmac(WebhookSecret secret, String msgId, String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(secret.key(), HMAC));
            mac.update(msgId.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) '.');
            mac.update(timestamp.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '.');
            mac.update(body);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            // Every Java platform must provide HmacSHA256 (javax.crypto.Mac's documented requirements).
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
