package jp.tsunagu.bridge.config;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code tsunagu.bridge.*}.
 *
 * @param pollPeriod how often linked rooms are polled; 10 s by default, as the MCS web client polls a timeline
 * @param pollerEnabled run the poller on its schedule (true by default; tests drive it by hand)
 * @param mcs the MCS-style accounts: {@code tsunagu.bridge.mcs.instances[0].id|base-url|token-url|client-id|client-secret}
 * @param outbound how local changes are delivered to the SNS
 * @param attachmentMaxBytes largest file relayed between the sides; 20 MB by default, the chat's own upload limit
 */
@ConfigurationProperties("tsunagu.bridge")
public record BridgeProperties(Duration pollPeriod, Boolean pollerEnabled, Mcs mcs, Outbound outbound,
                               Long attachmentMaxBytes) {

    public BridgeProperties {
        pollPeriod = pollPeriod == null ? Duration.ofSeconds(10) : pollPeriod;
        pollerEnabled = pollerEnabled == null || pollerEnabled;
        mcs = mcs == null ? new Mcs(List.of()) : mcs;
        outbound = outbound == null ? new Outbound(null, null, null, null, null) : outbound;
        attachmentMaxBytes = attachmentMaxBytes == null ? 20L * 1024 * 1024 : attachmentMaxBytes;
        if (attachmentMaxBytes <= 0) {
            throw new IllegalStateException("tsunagu.bridge.attachment-max-bytes must be positive");
        }
    }

    /**
     * {@code tsunagu.bridge.outbound.*}.
     *
     * @param enabled run outbound delivery on its schedule (true by default; tests drive it by hand)
     * @param tick how often links with new local changes are drained: 1 s, well under the 10 s the MCS web client
     *             takes to show a new message anyway
     * @param sweep how often every active link is drained even without a known change (30 s): the safety net for
     *              missed wake-ups, restarts and other nodes' writes
     * @param retrySteps waits after the 1st, 2nd, … failure of a change; the last repeats (5 s … 1 h)
     * @param giveUpAfter a change still failing this long after its first failure is dead-lettered (24 h)
     */
    public record Outbound(Boolean enabled, Duration tick, Duration sweep, List<Duration> retrySteps,
                           Duration giveUpAfter) {

        public Outbound {
            enabled = enabled == null || enabled;
            tick = tick == null ? Duration.ofSeconds(1) : tick;
            sweep = sweep == null ? Duration.ofSeconds(30) : sweep;
            retrySteps = retrySteps == null || retrySteps.isEmpty() ? jp.tsunagu.bridge.outbound.RetrySchedule.DEFAULT.steps()
                    : List.copyOf(retrySteps);
            giveUpAfter = giveUpAfter == null ? jp.tsunagu.bridge.outbound.RetrySchedule.DEFAULT.giveUpAfter() : giveUpAfter;
        }
    }

    public record Mcs(List<McsInstance> instances) {
        public Mcs {
            instances = instances == null ? List.of() : List.copyOf(instances);
            for (int i = 0; i < instances.size(); i++) {
                instances.get(i).check("tsunagu.bridge.mcs.instances[" + i + "]");
            }
        }
    }

    /** One account of an MCS-style SNS; tuning values take the connector's defaults (docs/CONNECTORS.md). */
    public record McsInstance(String id, String baseUrl, String tokenUrl, String clientId, String clientSecret) {

        /** Fails start-up naming the missing setting, rather than deep inside the OAuth2 client. */
        void check(String prefix) {
            java.util.Map<String, String> required = new java.util.LinkedHashMap<>();
            required.put("id", id);
            required.put("base-url", baseUrl);
            required.put("token-url", tokenUrl);
            required.put("client-id", clientId);
            required.put("client-secret", clientSecret);
            required.forEach((name, value) -> {
                if (value == null || value.isBlank()) {
                    throw new IllegalStateException(prefix + "." + name + " is required");
                }
            });
        }
    }
}
