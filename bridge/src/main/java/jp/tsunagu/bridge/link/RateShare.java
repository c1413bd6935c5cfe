package jp.tsunagu.bridge.link;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.chat.support.PeriodicRounds;
import jp.tsunagu.connectors.sns.SnsConnector;
import reactor.core.publisher.Mono;

/**
 * Keeps a connector instance's client-side rate limit across nodes: every lease period, counts the nodes holding
 * live leases on the instance's links and tells the connector to take that share of its limit
 * ({@link SnsConnector#shareRateLimit}). An instance whose links no node holds gets its whole limit back.
 *
 * <p>Every node counts from the same leases, so every node arrives at the same share. Between a lease moving
 * and the next count, the nodes may briefly exceed the limit; the SNS then answers 429 with {@code Retry-After},
 * which the connector honours.
 */
public final class RateShare implements AutoCloseable {

    private final LinkLeases leases;
    private final LinkStore links;
    private final ConnectorRegistry registry;
    private final PeriodicRounds rounds = new PeriodicRounds("rate shares");

    public RateShare(LinkLeases leases, LinkStore links, ConnectorRegistry registry) {
        this.leases = leases;
        this.links = links;
        this.registry = registry;
    }

    /** Counts now and then every {@code period} (the lease time: shares change when leases do). */
    public RateShare start(Duration period) {
        rounds.start(Duration.ZERO, period, this::apply);
        return this;
    }

    /** Emits the nodes counted per instance, after telling each connector its share. */
    Mono<Map<String, Integer>> apply() {
        return leases.holders().flatMap(owners -> links.active()
                .filter(link -> owners.containsKey(link.id()))
                .collect(HashMap<String, Set<String>>::new, (nodesByInstance, link) -> nodesByInstance
                        .computeIfAbsent(link.instanceId(), i -> new HashSet<>()).add(owners.get(link.id())))
                .map(nodesByInstance -> {
                    Map<String, Integer> shares = new HashMap<>();
                    for (SnsConnector connector : registry.all()) {
                        String instance = connector.descriptor().instanceId();
                        int nodes = Math.max(1, nodesByInstance.getOrDefault(instance, Set.of()).size());
                        connector.shareRateLimit(nodes);
                        shares.put(instance, nodes);
                    }
                    return shares;
                }));
    }

    @Override
    public void close() {
        rounds.close();
    }
}
