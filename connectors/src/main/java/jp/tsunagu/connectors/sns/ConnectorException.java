package jp.tsunagu.connectors.sns;

import java.time.Duration;

/** Why a connector call failed, in terms the bridge acts on. */
public abstract sealed class ConnectorException extends RuntimeException {

    protected ConnectorException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * I/O error, timeout, 5xx, open circuit: the same call may succeed later. {@link #notSent()} tells that
     * the SNS certainly did not process the request (connection refused, circuit open), so even a create
     * may be repeated without risk of a duplicate.
     */
    public static final class Retryable extends ConnectorException {
        private final boolean notSent;

        public Retryable(String message, Throwable cause) {
            this(message, cause, false);
        }

        private Retryable(String message, Throwable cause, boolean notSent) {
            super(message, cause);
            this.notSent = notSent;
        }

        public static Retryable notSent(String message, Throwable cause) {
            return new Retryable(message, cause, true);
        }

        public boolean notSent() {
            return notSent;
        }
    }

    /** The SNS asks to slow down; wait at least {@code retryAfter}. */
    public static final class RateLimited extends ConnectorException {
        private final Duration retryAfter;

        public RateLimited(String message, Duration retryAfter) {
            super(message, null);
            this.retryAfter = retryAfter;
        }

        public Duration retryAfter() {
            return retryAfter;
        }
    }

    /** Credentials refused even with a fresh token. */
    public static final class AuthFailed extends ConnectorException {
        public AuthFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Refused for good (400, 403, 404): retrying the same request cannot succeed. */
    public static final class Rejected extends ConnectorException {
        private final int status;

        public Rejected(int status, String message) {
            super(message, null);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** The SNS answered something that is not its documented shape. */
    public static final class Malformed extends ConnectorException {
        public Malformed(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
