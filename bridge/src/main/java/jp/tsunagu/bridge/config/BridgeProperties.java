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
 */
@ConfigurationProperties("tsunagu.bridge")
public record BridgeProperties(Duration pollPeriod, Boolean pollerEnabled, Mcs mcs) {

    public BridgeProperties {
        pollPeriod = pollPeriod == null ? Duration.ofSeconds(10) : pollPeriod;
        pollerEnabled = pollerEnabled == null || pollerEnabled;
        mcs = mcs == null ? new Mcs(List.of()) : mcs;
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
