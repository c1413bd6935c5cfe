package jp.tsunagu.bridge.inbound;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.link.BridgeLink;
import jp.tsunagu.bridge.link.LinkStore;
import jp.tsunagu.bridge.link.LinkTurns;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.PeriodicRounds;
import jp.tsunagu.connectors.sns.ChangePage;
import jp.tsunagu.connectors.sns.ConnectorException;
import jp.tsunagu.connectors.sns.SnsConnector;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Pulls changes of every active link into its room.
 *
 * <p>Per connector instance, one cheap {@link SnsConnector#probe} first; rooms are polled only when it says
 * something changed, plus links this poller has not polled successfully yet (new links, links after a restart)
 * and links that failed before (their change may already be behind the probe's token). Per link:
 * {@link SnsConnector#changes} from the stored cursor, every message applied in order through the
 * {@link InboundImporter}, rejected payloads quarantined, and only then the new cursor saved: a crash
 * mid-page re-reads the page, which the idempotent import absorbs.
 *
 * <p>A failing link (connector error, room gone, storage error) is logged and backed off on its own; other
 * links go on. The state kept here (probe tokens, backoff) is only an optimisation: a new poller over the same
 * database resumes from the stored cursors.
 */
public final class InboundPoller implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InboundPoller.class);
    /** Longest wait for a failing link: an SNS back after an outage is noticed within five minutes. */
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    /** What one round did. */
    public record Round(int linksPolled, int applied, int quarantined, int failedLinks) {
    }

    private final ConnectorRegistry registry;
    private final LinkStore links;
    private final InboundImporter importer;
    private final QuarantineStore quarantine;
    private final LinkTurns turns;
    private final Clock clock;
    private final Duration period;

    private final Map<String, String> probeTokens = new ConcurrentHashMap<>();
    private final Set<String> polledOk = ConcurrentHashMap.newKeySet();
    private final Map<String, Backoff> backoff = new ConcurrentHashMap<>();
    private final PeriodicRounds rounds = new PeriodicRounds("bridge inbound");

    private record Backoff(int failures, Instant until) {
    }

    /**
     * @param importer applies messages and counts them in its {@link InboundImporter#metrics()}, where this poller
     *                 also counts unreadable payloads and keeps the connectors' health after each round
     * @param period the schedule's tick, and the first backoff step of a failing link
     */
    public InboundPoller(ConnectorRegistry registry, LinkStore links, InboundImporter importer,
                         QuarantineStore quarantine, LinkTurns turns, Clock clock, Duration period) {
        this.turns = turns;
        this.registry = registry;
        this.links = links;
        this.importer = importer;
        this.quarantine = quarantine;
        this.clock = clock;
        this.period = period;
    }

    /** Polls every {@code period}; a tick that comes while the previous round still runs is skipped. */
    public void start() {
        rounds.start(period, this::round);
    }

    @Override
    public void close() {
        rounds.close();
    }

    /** One round now, unless a round is already running (then empty). For operators and tests. */
    public Mono<Round> pollOnce() {
        return rounds.runOnce(this::round);
    }

    private Mono<Round> round() {
        Counter count = new Counter();
        return links.active().collectList()
                .flatMapMany(active -> Flux.fromIterable(registry.all()).concatMap(connector -> {
                    String instance = connector.descriptor().instanceId();
                    List<BridgeLink> mine = active.stream().filter(l -> l.instanceId().equals(instance)).toList();
                    return mine.isEmpty() ? Mono.empty() : pollInstance(connector, mine, count);
                }))
                .then(importer.metrics().refresh(registry.all()))
                .then(Mono.fromSupplier(count::round));
    }

    /**
     * Polls the active link of one external room now, out of the schedule: a push connector has just received a
     * change for it. Empty if the room is not linked. A failure is logged and backs the link off as in a round;
     * the change stays with the connector for the next round. Runs beside a round that may poll the same link:
     * both import idempotently, and a cursor saved by the slower one at worst re-reads a page.
     */
    public Mono<Round> pollNow(String instanceId, String externalRoomId) {
        SnsConnector connector = registry.find(instanceId).orElse(null);
        if (connector == null) {
            return Mono.empty();
        }
        Counter count = new Counter();
        return links.activeFor(instanceId, externalRoomId)
                .flatMap(link -> pollLink(connector, link, count)
                        .onErrorResume(e -> {
                            failed(link, e);
                            count.failed.incrementAndGet();
                            return Mono.empty();
                        })
                        .then(Mono.fromSupplier(count::round)));
    }

    private Mono<Void> pollInstance(SnsConnector connector, List<BridgeLink> mine, Counter count) {
        String instance = connector.descriptor().instanceId();
        return connector.probe(probeTokens.get(instance))
                .flatMap(probe -> {
                    Instant now = clock.instant();
                    List<BridgeLink> due = mine.stream()
                            .filter(l -> probe.changed() || !polledOk.contains(l.id()))
                            .filter(l -> {
                                Backoff b = backoff.get(l.id());
                                return b == null || !now.isBefore(b.until());
                            })
                            .toList();
                    return Flux.fromIterable(due)
                            .concatMap(link -> turns.run(link.id(), () -> pollLink(connector, link, count))
                                    .onErrorResume(e -> {
                                        failed(link, e);
                                        count.failed.incrementAndGet();
                                        return Mono.empty();
                                    }))
                            .then(Mono.fromRunnable(() -> probeTokens.put(instance, probe.next())));
                })
                .onErrorResume(e -> {
                    // The probe failed: nothing polled, the token unchanged; the next round asks again.
                    log.warn("bridge probe of {} failed: {}", instance, e.toString());
                    return Mono.empty();
                })
                .then();
    }

    private Mono<Void> pollLink(SnsConnector connector, BridgeLink link, Counter count) {
        return connector.changes(link.externalRoomId(), link.cursor()).flatMap(page -> {
            count.polled.incrementAndGet();
            return Flux.fromIterable(page.rejected())
                    .concatMap(r -> quarantine(link, r).doOnSuccess(v -> {
                        count.quarantined.incrementAndGet();
                        importer.metrics().inbound(link.instanceId(), InboundImporter.Outcome.QUARANTINED);
                    }))
                    .thenMany(Flux.fromIterable(page.messages()).concatMap(m -> importer.apply(link, m)))
                    .doOnNext(outcome -> {
                        if (outcome == InboundImporter.Outcome.QUARANTINED) {
                            count.quarantined.incrementAndGet();
                        } else {
                            count.applied.incrementAndGet();
                        }
                    })
                    .then(Objects.equals(page.next(), link.cursor()) || page.next() == null ? Mono.empty()
                            : links.saveCursor(link.id(), page.next()).then())
                    .then(Mono.fromRunnable(() -> {
                        polledOk.add(link.id());
                        backoff.remove(link.id());
                    }));
        }).then();
    }

    private Mono<Void> quarantine(BridgeLink link, ChangePage.Rejected r) {
        return quarantine.keep(new QuarantinedItem(Ids.derived("quarantine", link.id(), r.payload()), link.id(),
                link.instanceId(), link.externalRoomId(), null, r.payload(), r.reason(), clock.instant()));
    }

    /** Doubles the wait per failure from one period up to {@link #MAX_BACKOFF}; honours Retry-After. */
    private void failed(BridgeLink link, Throwable e) {
        Backoff previous = backoff.get(link.id());
        int failures = previous == null ? 1 : previous.failures() + 1;
        Duration wait = period.multipliedBy(1L << Math.min(failures - 1, 16));
        if (wait.compareTo(MAX_BACKOFF) > 0) {
            wait = MAX_BACKOFF;
        }
        if (e instanceof ConnectorException.RateLimited limited && limited.retryAfter() != null
                && limited.retryAfter().compareTo(wait) > 0) {
            wait = limited.retryAfter();
        }
        backoff.put(link.id(), new Backoff(failures, clock.instant().plus(wait)));
        // Polled again when due even if the probe then says nothing changed: its change may be behind the token.
        polledOk.remove(link.id());
        log.warn("bridge link {} (room {} ↔ {} {}) failed {} time(s), next try in {}: {}", link.id(), link.roomId(),
                link.instanceId(), link.externalRoomId(), failures, wait, e.toString());
    }

    private static final class Counter {
        final AtomicInteger polled = new AtomicInteger();
        final AtomicInteger applied = new AtomicInteger();
        final AtomicInteger quarantined = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();

        Round round() {
            return new Round(polled.get(), applied.get(), quarantined.get(), failed.get());
        }
    }
}
