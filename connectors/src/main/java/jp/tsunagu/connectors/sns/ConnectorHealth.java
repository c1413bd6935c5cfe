package jp.tsunagu.connectors.sns;

import java.time.Instant;

/** A connector instance's health as operators see it. */
public record ConnectorHealth(State state, String detail, Instant since) {

    public enum State {
        /** Calls succeed. */
        CONNECTED,
        /** Some calls fail or are slowed (retries, rate limits, open circuit for a while). */
        DEGRADED,
        /** The SNS refuses the credentials even with a fresh token: someone must fix the configuration. */
        AUTH_FAILED,
        /** The SNS cannot be reached. */
        DISCONNECTED
    }
}
