package jp.tsunagu.chat.config;

import java.time.Duration;
import java.time.Period;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How long ended care is kept (docs/OPERATIONS.md, "Retention").
 *
 * @param keepArchived how long after a room is archived it is erased; default 5 years ({@code P5Y}), the
 *                     retention of medical records under the Medical Practitioners' Act (医師法 第24条), which also
 *                     covers the care insurance's 2-year rule and municipalities that ask for 5
 * @param interval how often each node looks for rooms due; default a day; {@code 0} turns the job off
 */
@ConfigurationProperties("tsunagu.retention")
public record RetentionProperties(Period keepArchived, Duration interval) {

    public RetentionProperties {
        keepArchived = keepArchived == null ? Period.ofYears(5) : keepArchived;
        interval = interval == null ? Duration.ofDays(1) : interval;
        if (keepArchived.isNegative() || keepArchived.isZero()) {
            throw new IllegalStateException("tsunagu.retention.keep-archived must be positive");
        }
    }
}
