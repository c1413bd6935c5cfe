package jp.tsunagu.connectors.record;

/**
 * Why a health-record read failed. Every failure means "show nothing from the source": callers never fall
 * back to partial or stale data outside what they asked for.
 */
public abstract sealed class HealthRecordException extends RuntimeException {

    protected HealthRecordException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Timeout, I/O error, 5xx, open circuit, refused credentials: the source cannot answer now. */
    public static final class Unavailable extends HealthRecordException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The source answered with something that is not a valid record of the expected shape. */
    public static final class Malformed extends HealthRecordException {
        public Malformed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The source does not know this resident. */
    public static final class UnknownResident extends HealthRecordException {
        public UnknownResident(String message) {
            super(message, null);
        }
    }
}
