package jp.tsunagu.bridge.metrics;

import java.time.Instant;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jp.tsunagu.bridge.inbound.InboundImporter;
import jp.tsunagu.connectors.sns.ConnectorHealth;
import jp.tsunagu.connectors.sns.SnsConnector;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The bridge as operators watch it (docs/OPERATIONS.md).
 *
 * <ul>
 * <li>{@code tsunagu.bridge.connector.state{instance, kind, state}}: one gauge per connector instance and health
 * state ({@code connected}, {@code degraded}, {@code auth_failed}, {@code disconnected}), 1 for the current state
 * and 0 for the others (all 0 until the first check). One series per state, not a numeric code, so that
 * {@code tsunagu_bridge_connector_state{state="auth_failed"} == 1} alerts without knowing a code table and
 * {@code sum by (state)} counts instances per state.
 * <li>{@code tsunagu.bridge.inbound.messages{instance, outcome}}: a counter of external messages taken in, by
 * what applying them did ({@link InboundImporter.Outcome} in lower case: {@code created}, {@code edited},
 * {@code deleted}, {@code stamped} are the applied changes; {@code unchanged}, {@code skipped},
 * {@code skipped_echo}; {@code quarantined} counts refused contents and unreadable payloads).
 * </ul>
 *
 * <p>Health is read from the connectors by {@link #refresh} (the inbound poller calls it every round), never
 * while a scrape reads the gauges: a connector's health check may call its SNS.
 */
public final class BridgeMetrics {

    private final MeterRegistry registry;
    private final Map<String, ConnectorHealth.State> states = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> backlog = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> deadLetters = new ConcurrentHashMap<>();

    public BridgeMetrics(MeterRegistry registry, Collection<? extends SnsConnector> connectors) {
        this.registry = registry;
        for (SnsConnector c : connectors) {
            String instance = c.descriptor().instanceId();
            for (ConnectorHealth.State state : ConnectorHealth.State.values()) {
                Gauge.builder("tsunagu.bridge.connector.state", states, s -> s.get(instance) == state ? 1 : 0)
                        .description("1 for the connector instance's current health state, 0 for the others")
                        .tag("instance", instance)
                        .tag("kind", c.descriptor().kind())
                        .tag("state", state.name().toLowerCase(Locale.ROOT))
                        .register(registry);
            }
            Gauge.builder("tsunagu.bridge.outbound.backlog", backlog.computeIfAbsent(instance, i -> new AtomicLong()),
                            AtomicLong::get)
                    .description("messages whose latest change has not reached the SNS yet (whole deployment; every node reports it)")
                    .tag("instance", instance).register(registry);
            Gauge.builder("tsunagu.bridge.dead_letters", deadLetters.computeIfAbsent(instance, i -> new AtomicLong()),
                            AtomicLong::get)
                    .description("changes the bridge gave up on and nobody replayed (whole deployment; every node reports it)")
                    .tag("instance", instance).register(registry);
        }
    }

    /** The instance's outbound backlog and open dead letters, as counted in the database just now. */
    public void outboundState(String instance, long pending, long dead) {
        backlog.computeIfAbsent(instance, i -> new AtomicLong()).set(pending);
        deadLetters.computeIfAbsent(instance, i -> new AtomicLong()).set(dead);
    }

    /** Metrics kept in memory only, for code that runs without a meter registry (tests). */
    public static BridgeMetrics inMemory() {
        return new BridgeMetrics(new SimpleMeterRegistry(), java.util.List.of());
    }

    /** Asks every connector its health and keeps it for the gauges; a failing check counts as degraded. */
    public Mono<Void> refresh(Collection<? extends SnsConnector> connectors) {
        return Flux.fromIterable(connectors)
                .concatMap(c -> health(c).doOnNext(h -> states.put(c.descriptor().instanceId(), h.state())))
                .then();
    }

    /** The connector's health; a check that fails is reported as degraded with the reason. */
    public static Mono<ConnectorHealth> health(SnsConnector connector) {
        return connector.health().onErrorResume(e -> Mono.just(new ConnectorHealth(ConnectorHealth.State.DEGRADED,
                "health check failed: " + e.getMessage(), Instant.now())));
    }

    /** The state the gauges show for an instance; null before the first {@link #refresh}. */
    public ConnectorHealth.State state(String instanceId) {
        return states.get(instanceId);
    }

    /** Counts one external message taken in through {@code instanceId}. */
    public void inbound(String instanceId, InboundImporter.Outcome outcome) {
        String outcomeTag = outcome.name().toLowerCase(Locale.ROOT);
        counters.computeIfAbsent(instanceId + '\n' + outcomeTag, k -> Counter.builder("tsunagu.bridge.inbound.messages")
                        .description("external messages taken in, by what applying them did")
                        .tag("instance", instanceId)
                        .tag("outcome", outcomeTag)
                        .register(registry))
                .increment();
    }

    /** How many external messages of the instance had this outcome so far. */
    public double inboundCount(String instanceId, InboundImporter.Outcome outcome) {
        Counter c = counters.get(instanceId + '\n' + outcome.name().toLowerCase(Locale.ROOT));
        return c == null ? 0 : c.count();
    }
}
