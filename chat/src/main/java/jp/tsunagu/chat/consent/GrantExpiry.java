package jp.tsunagu.chat.consent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Announces grants whose validity ended to the cards under them. Reads decide by the clock whatever this
 * does; the announcement only makes open connections drop the data at once. Each sweep looks back over the
 * last {@link #LOOK_BACK} so a restart or a slow sweep misses nothing; announcing twice is a no-op.
 */
public final class GrantExpiry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GrantExpiry.class);
    /** Covers a node that was down for a day; older expiries reach clients when they read the card. */
    static final Duration LOOK_BACK = Duration.ofDays(1);

    private final GrantStore grants;
    private final ExcerptAnnouncer announcer;
    private final Clock clock;
    private final Disposable loop;

    public GrantExpiry(GrantStore grants, ExcerptAnnouncer announcer, Clock clock, Duration every) {
        this.grants = grants;
        this.announcer = announcer;
        this.clock = clock;
        this.loop = Flux.interval(every, every)
                .onBackpressureDrop()
                .concatMap(tick -> sweep().onErrorResume(e -> {
                    log.warn("grant expiry sweep failed; the next one retries", e);
                    return Mono.empty();
                }), 1)
                .subscribe();
    }

    /** One pass: every active grant whose validity ended within the look-back, if it is still the current version. */
    public Mono<Void> sweep() {
        Instant now = clock.instant();
        return grants.activeEndingBetween(now.minus(LOOK_BACK), now)
                .concatMap(g -> grants.current(g.grantId()).filter(c -> c.version() == g.version()))
                .concatMap(announcer::announce)
                .then();
    }

    @Override
    public void close() {
        loop.dispose();
    }
}
