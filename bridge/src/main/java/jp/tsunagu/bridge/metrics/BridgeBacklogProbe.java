package jp.tsunagu.bridge.metrics;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.outbound.DeadLetterStore;
import jp.tsunagu.chat.message.MessageStore;

/**
 * Counts each connector instance's outbound backlog and open dead letters in the database, every {@code every},
 * for the {@code tsunagu.bridge.outbound.backlog} and {@code tsunagu.bridge.dead_letters} gauges. The counts are
 * the deployment's, so every node reports the same figure (dashboards take the max, not the sum).
 */
public final class BridgeBacklogProbe implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BridgeBacklogProbe.class);

    private final ConnectorRegistry registry;
    private final MessageStore messages;
    private final DeadLetterStore deadLetters;
    private final BridgeMetrics metrics;
    private final Disposable loop;

    public BridgeBacklogProbe(ConnectorRegistry registry, MessageStore messages, DeadLetterStore deadLetters,
                              BridgeMetrics metrics, Duration every) {
        this.registry = registry;
        this.messages = messages;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.loop = Flux.interval(Duration.ZERO, every)
                .onBackpressureDrop()
                .concatMap(tick -> count().onErrorResume(e -> {
                    log.warn("bridge backlog count failed; the next one retries: {}", e.toString());
                    return Mono.empty();
                }), 1)
                .subscribe();
    }

    /** One count of every instance. */
    public Mono<Void> count() {
        return Flux.fromIterable(registry.all())
                .map(c -> c.descriptor().instanceId())
                .concatMap(instance -> Mono.zip(messages.countPendingDelivery(instance), deadLetters.countOpen(instance))
                        .doOnNext(t -> metrics.outboundState(instance, t.getT1(), t.getT2())))
                .then();
    }

    @Override
    public void close() {
        loop.dispose();
    }
}
