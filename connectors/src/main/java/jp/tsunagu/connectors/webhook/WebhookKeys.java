package jp.tsunagu.connectors.webhook;

import java.util.List;
import java.util.Objects;

/**
 * The active secrets of one direction of a webhook link: the newest, and during a rotation the one before it.
 *
 * <p>Rotation without downtime: configure the new secret as {@code current} and the old one as {@code previous};
 * a receiver accepts a signature made with either, a sender signs with {@code current} only. Once the other
 * side has switched (see {@link WebhookVerifier.Verified#withPreviousSecret()}), drop {@code previous}.
 *
 * @param current the newest secret: always accepted, and the one outbound deliveries are signed with
 * @param previous the secret being rotated out, still accepted; null when no rotation is under way
 */
public record WebhookKeys(WebhookSecret current, WebhookSecret previous) {

    public WebhookKeys {
        Objects.requireNonNull(current, "current");
    }

    /** One secret, no rotation under way. */
    public static WebhookKeys of(WebhookSecret current) {
        return new WebhookKeys(current, null);
    }

    /** Both serialised secrets ({@code whsec_...}); {@code previous} may be null. */
    public static WebhookKeys parse(String current, String previous) {
        return new WebhookKeys(WebhookSecret.parse(current), previous == null ? null : WebhookSecret.parse(previous));
    }

    /** The secrets a receiver accepts, newest first. */
    public List<WebhookSecret> accepted() {
        return previous == null ? List.of(current) : List.of(current, previous);
    }
}
