package jp.tsunagu.bridge.outbound;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.link.BridgeLink;
import jp.tsunagu.bridge.link.LinkStore;
import jp.tsunagu.bridge.link.LinkTurns;
import jp.tsunagu.chat.realtime.LoggedEvent;
import jp.tsunagu.chat.support.PeriodicRounds;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Decides when each link's outbound delivery runs, and runs it on the link's turn (shared with the inbound poll,
 * so a message the bridge posts is recorded as its own before the poll can see it come back).
 *
 * <p>A link drains on the next tick after a message change in its room (the chat's event hub tells this
 * scheduler; cheap, in memory), when a change held back by a failure is due again, and on a periodic sweep of
 * every active link. The sweep is the safety net: it finds work whose event was missed, left by a restart, or made
 * on another node. All state here is an optimisation; the work itself is found in the database.
 */
public final class OutboundScheduler implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboundScheduler.class);
    /** Links drained at once: each drain waits mostly on the SNS, and every connector has its own bulkhead. */
    static final int CONCURRENT_DRAINS = 16;

    private final ConnectorRegistry registry;
    private final LinkStore links;
    private final OutboundDelivery delivery;
    private final LinkTurns linkTurns;
    private final Clock clock;
    private final Duration tick;
    private final Duration sweep;

    private final Set<String> dirtyRooms = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> heldUntil = new ConcurrentHashMap<>();
    private final PeriodicRounds rounds = new PeriodicRounds("bridge outbound");
    private volatile Instant lastSweep = Instant.MIN;

    /**
     * @param tick how often due links are looked for: the delay between a post here and its relay there
     * @param sweep how often every active link is drained whatever happened
     */
    public OutboundScheduler(ConnectorRegistry registry, LinkStore links, OutboundDelivery delivery,
                             LinkTurns linkTurns, Clock clock, Duration tick, Duration sweep) {
        this.registry = registry;
        this.links = links;
        this.delivery = delivery;
        this.linkTurns = linkTurns;
        this.clock = clock;
        this.tick = tick;
        this.sweep = sweep;
    }

    /** Called for every event the chat publishes; notes the room of a message change (not of a status change). */
    public void onEvent(LoggedEvent event) {
        if (event.type().startsWith("message.") && !"message.delivery".equals(event.type())) {
            dirtyRooms.add(event.roomId());
        }
    }

    public void start() {
        rounds.start(tick, this::round);
    }

    @Override
    public void close() {
        rounds.close();
    }

    /** Drains the links that are due; emits how many changes went out. */
    Mono<Integer> round() {
        Instant now = clock.instant();
        boolean sweepAll = !lastSweep.plus(sweep).isAfter(now);
        if (sweepAll) {
            lastSweep = now;
        }
        Set<String> dirty = Set.copyOf(dirtyRooms);
        dirtyRooms.removeAll(dirty);
        return links.active()
                .filter(l -> {
                    Instant held = heldUntil.get(l.id());
                    if (held != null && now.isBefore(held)) {
                        return false; // held back by a failure: even a new post waits behind it
                    }
                    return sweepAll || held != null || dirty.contains(l.roomId());
                })
                .flatMap(l -> drain(l.id()).map(OutboundDelivery.Drain::delivered), CONCURRENT_DRAINS)
                .reduce(0, Integer::sum);
    }

    /**
     * Drains one link now, on its turn; for operators, tests and the round. Empty for an unknown or inactive link,
     * and on a node that does not hold the link's lease (the holder drains it).
     */
    public Mono<OutboundDelivery.Drain> drain(String linkId) {
        return linkTurns.run(linkId, () -> links.findById(linkId)
                .filter(BridgeLink::active)
                .flatMap(link -> registry.find(link.instanceId())
                        .map(connector -> delivery.drain(link, connector, () -> linkTurns.renew(linkId)))
                        .orElseGet(Mono::empty))
                .doOnNext(d -> {
                    if (d.blockedUntil() != null) {
                        heldUntil.put(linkId, d.blockedUntil());
                    } else {
                        heldUntil.remove(linkId);
                    }
                })
                .onErrorResume(e -> {
                    // A storage error: nothing was lost (the cursor did not move); the next round tries again.
                    log.warn("bridge outbound drain of link {} failed: {}", linkId, e.toString());
                    return Mono.empty();
                }));
    }

    /** Marks a room as having work (an operator replayed a dead letter). */
    public void wake(String roomId) {
        dirtyRooms.add(roomId);
    }
}
