package jp.tsunagu.chat.support;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A round of work run every period, never two at once: a tick that comes while a round still runs is dropped
 * (not queued), and a round asked for by hand while one runs is not started. A failed round is logged; the next
 * tick tries again.
 */
public final class PeriodicRounds implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeriodicRounds.class);

    private final String name;
    private final AtomicBoolean running = new AtomicBoolean();
    private Disposable schedule;

    /** @param name what the rounds do, for the log ({@code bridge inbound}) */
    public PeriodicRounds(String name) {
        this.name = name;
    }

    /** Runs {@code round} every {@code period} until {@link #close()}; a second start changes nothing. */
    public <T> void start(Duration period, Supplier<? extends Mono<T>> round) {
        start(period, period, round);
    }

    /** As {@link #start(Duration, Supplier)}, with the first round after {@code firstAfter} (zero: at once). */
    public synchronized <T> void start(Duration firstAfter, Duration period, Supplier<? extends Mono<T>> round) {
        if (schedule != null) {
            return;
        }
        // Interval ticks cannot wait for a slow consumer: those that come during a round are dropped here.
        schedule = Flux.interval(firstAfter, period)
                .onBackpressureDrop()
                .concatMap(tick -> runOnce(round)
                        .onErrorResume(e -> {
                            log.warn("{} round failed", name, e);
                            return Mono.empty();
                        }))
                .subscribe();
    }

    /** The round now, unless one is already running (then empty). */
    public <T> Mono<T> runOnce(Supplier<? extends Mono<T>> round) {
        // Released before the result is emitted (doOnSuccess runs ahead of onNext, doFinally after it), so a
        // caller that got this round's result can start the next one at once.
        return Mono.defer(() -> running.compareAndSet(false, true)
                ? round.get().doOnSuccess(r -> running.set(false)).doOnError(e -> running.set(false))
                        .doOnCancel(() -> running.set(false))
                : Mono.empty());
    }

    @Override
    public synchronized void close() {
        if (schedule != null) {
            schedule.dispose();
            schedule = null;
        }
    }
}
