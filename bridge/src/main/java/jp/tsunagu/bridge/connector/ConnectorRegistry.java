package jp.tsunagu.bridge.connector;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import jp.tsunagu.connectors.sns.SnsConnector;

/** The configured connector instances by instance id ({@code mcs-tone}); fixed at start-up. */
public final class ConnectorRegistry {

    private final Map<String, SnsConnector> byInstance;

    /** @throws IllegalArgumentException if two connectors share an instance id */
    public ConnectorRegistry(Collection<? extends SnsConnector> connectors) {
        Map<String, SnsConnector> map = new LinkedHashMap<>();
        for (SnsConnector c : connectors) {
            String id = c.descriptor().instanceId();
            if (map.putIfAbsent(id, c) != null) {
                throw new IllegalArgumentException("two connectors with instance id " + id);
            }
        }
        this.byInstance = Map.copyOf(map);
    }

    public Optional<SnsConnector> find(String instanceId) {
        return Optional.ofNullable(instanceId == null ? null : byInstance.get(instanceId));
    }

    public Collection<SnsConnector> all() {
        return byInstance.values();
    }
}
