package jp.tsunagu.connectors.webhook;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * A Standard Webhooks symmetric signing secret: {@code whsec_} followed by the base64 of the HMAC-SHA256 key.
 *
 * <p>The key bytes never leave this object except to compute an HMAC, and {@link #toString()} does not show
 * them, so a secret that ends up in a log line or an exception message leaks nothing.
 */
public final class WebhookSecret {

    /** The prefix the Standard Webhooks spec gives serialised symmetric secrets ("Secret serialization"). */
    public static final String PREFIX = "whsec_";

    /** The spec's minimum for a symmetric secret: "at least 24 bytes (192 bits)". */
    public static final int MIN_KEY_BYTES = 24;

    /** The spec's maximum for a symmetric secret: "512 [bits] maximum". */
    public static final int MAX_KEY_BYTES = 64;

    private final byte[] key;

    private WebhookSecret(byte[] key) {
        this.key = key;
    }

    /**
     * Reads a configured secret.
     *
     * @param serialized {@code whsec_<base64>}, the key being 24 to 64 bytes
     * @throws IllegalArgumentException if the prefix is missing, the rest is not base64 or the key length is out
     *                                  of the spec's range; the message never contains the secret
     */
    public static WebhookSecret parse(String serialized) {
        if (serialized == null || !serialized.startsWith(PREFIX)) {
            throw new IllegalArgumentException("a webhook secret must start with " + PREFIX);
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(serialized.substring(PREFIX.length()).strip());
        } catch (IllegalArgumentException e) {
            // Not chained: the decoder's message may quote part of the secret.
            throw new IllegalArgumentException("a webhook secret must be " + PREFIX + " followed by base64");
        }
        if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("a webhook secret's key must be " + MIN_KEY_BYTES + " to "
                    + MAX_KEY_BYTES + " bytes, not " + key.length);
        }
        return new WebhookSecret(key);
    }

    /** A secret from raw key bytes (e.g. freshly generated), with the same length rule as {@link #parse}. */
    public static WebhookSecret ofKey(byte[] key) {
        return parse(PREFIX + Base64.getEncoder().encodeToString(key));
    }

    /** The serialised form, {@code whsec_<base64>}, to hand to the other side. */
    public String serialize() {
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** A copy of the key bytes. */
    byte[] key() {
        return key.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof WebhookSecret that && MessageDigest.isEqual(key, that.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "WebhookSecret[" + key.length + " bytes]";
    }
}
