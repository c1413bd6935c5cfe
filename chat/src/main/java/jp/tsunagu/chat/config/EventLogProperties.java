package jp.tsunagu.chat.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * How room events reach the connections ({@code tsunagu.events.*}).
 *
 * @param relay       {@code local}: straight from the handlers to this node's hubs (one node);
 *                    {@code mongo}: through the {@code room_events} log and a change stream, so every node's
 *                    connections get every node's events (several nodes; needs a replica set, or the embedded
 *                    server with its oplog). Unset: {@code mongo} when a MongoDB URI is configured, else
 *                    {@code local}
 * @param holeTimeout how long a number taken and never logged (its node died mid-change) holds back the room's
 *                    later events before it is marked skipped. 2 s is far above a change's normal time from number
 *                    to log (milliseconds) and short enough that a crash stalls a room only briefly
 */
@ConfigurationProperties("tsunagu.events")
public record EventLogProperties(Relay relay, Duration holeTimeout) {

    public enum Relay { LOCAL, MONGO }

    public EventLogProperties {
        holeTimeout = holeTimeout == null ? Duration.ofSeconds(2) : holeTimeout;
    }

    /** True when events go through the log: set so, or unset with a MongoDB URI. */
    static final class ThroughTheLog implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return matches(context.getEnvironment());
        }

        static boolean matches(org.springframework.core.env.Environment env) {
            String relay = env.getProperty("tsunagu.events.relay");
            if (relay != null && !relay.isBlank()) {
                return relay.trim().equalsIgnoreCase("mongo");
            }
            return MongoUri.isConfigured(env);
        }
    }
}
