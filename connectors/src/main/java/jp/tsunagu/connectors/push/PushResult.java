package jp.tsunagu.connectors.push;

import java.time.Duration;

/** How one push to one device went, as the push service answered (RFC 8030, section 5). */
public sealed interface PushResult {

    /** 201: the push service took the message. */
    record Delivered(int status) implements PushResult {
    }

    /** 404 or 410: the subscription has expired or was withdrawn; it must be forgotten. */
    record Gone(int status) implements PushResult {
    }

    /** 429, 5xx, a time-out or a connection failure: worth trying again, not before {@code after}. */
    record RetryLater(Duration after, String reason) implements PushResult {
    }

    /** Any other answer (400 bad subscription, 403 VAPID refused, 413 too large): trying again will not help. */
    record Rejected(int status, String reason) implements PushResult {
    }
}
