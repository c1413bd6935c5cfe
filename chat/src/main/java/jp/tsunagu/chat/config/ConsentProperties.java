package jp.tsunagu.chat.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the consent scope service.
 *
 * @param breakGlassWindow how long an emergency opening lasts (default 4 h, the default)
 * @param expirySweep how often ended grants are announced to open connections (default 5 s; reads decide by
 *                    the clock regardless, so this only bounds how long a stale card stays on a screen)
 */
@ConfigurationProperties("tsunagu.consent")
public record ConsentProperties(Duration breakGlassWindow, Duration expirySweep) {

    public ConsentProperties {
        breakGlassWindow = breakGlassWindow == null ? Duration.ofHours(4) : breakGlassWindow;
        expirySweep = expirySweep == null ? Duration.ofSeconds(5) : expirySweep;
        if (breakGlassWindow.isNegative() || breakGlassWindow.isZero() || breakGlassWindow.compareTo(Duration.ofHours(24)) > 0) {
            throw new IllegalArgumentException("tsunagu.consent.break-glass-window must be between 0 and 24h");
        }
    }
}
