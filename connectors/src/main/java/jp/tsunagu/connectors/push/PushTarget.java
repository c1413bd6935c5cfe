package jp.tsunagu.connectors.push;

/**
 * One browser's push subscription, as {@code PushSubscription.toJSON()} gives it.
 *
 * @param endpoint the push service URL for this device
 * @param p256dh the browser's P-256 public key (uncompressed point, base64url)
 * @param auth the browser's 16-byte authentication secret (base64url)
 */
public record PushTarget(String endpoint, String p256dh, String auth) {
}
