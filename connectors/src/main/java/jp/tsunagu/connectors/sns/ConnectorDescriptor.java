package jp.tsunagu.connectors.sns;

import java.util.Set;

/**
 * @param instanceId the configured instance ("mcs-tone", "mcs-kazo"): the key of ids and cursors
 * @param kind the SNS kind ("mcs", "webhook")
 * @param capabilities what the SNS supports; the bridge skips what is missing (e.g. no stamps)
 */
public record ConnectorDescriptor(String instanceId, String kind, Set<Capability> capabilities) {

    public ConnectorDescriptor {
        capabilities = Set.copyOf(capabilities);
    }

    public boolean can(Capability capability) {
        return capabilities.contains(capability);
    }
}
