package jp.tsunagu.chat.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Escalation of urgent messages nobody acknowledged ({@code tsunagu.urgent.*}).
 *
 * @param escalateAfter from the post to the first escalation (a room notice naming who has not acknowledged);
 *                      default 15 minutes, the default and about how long a visiting nurse can wait for a
 *                      doctor's answer before she phones the clinic
 * @param secondEscalateAfter from the first escalation to the second, which adds the room's on-call contact;
 *                            default 15 minutes more
 * @param scanEvery how often the node holding the escalation lease looks for steps due; default 10 s, small
 *                  beside the intervals; {@code 0} turns escalation off on this node
 */
@ConfigurationProperties("tsunagu.urgent")
public record UrgentProperties(Duration escalateAfter, Duration secondEscalateAfter, Duration scanEvery) {

    public UrgentProperties {
        escalateAfter = escalateAfter == null ? Duration.ofMinutes(15) : escalateAfter;
        secondEscalateAfter = secondEscalateAfter == null ? Duration.ofMinutes(15) : secondEscalateAfter;
        scanEvery = scanEvery == null ? Duration.ofSeconds(10) : scanEvery;
        if (escalateAfter.isNegative() || escalateAfter.isZero() || secondEscalateAfter.isNegative()
                || secondEscalateAfter.isZero() || scanEvery.isNegative()) {
            throw new IllegalStateException("tsunagu.urgent intervals must be positive");
        }
    }
}
