package jp.tsunagu.chat.support;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import reactor.core.publisher.Mono;

/**
 * Reads by key that arrive while one is in flight go out together as one query ({@code _id $in}): the read side of
 * {@link GroupCommit}. A post reads the author's membership and, with an idempotency key, whether the message is
 * stored already: two commands per post that, at hundreds of posts a second, cost more in the driver and the database
 * per command than per document (JFR, docs/BENCHMARKS.md round 4).
 *
 * <p>A read still sees every write that completed before it was asked: its query is sent after it was asked. Keys
 * asked twice in one batch are read once.
 *
 * @param <K> the key ({@code _id})
 * @param <V> what is read
 */
public final class GroupRead<K, V> {

    private final Batcher<K, V> batcher;

    /**
     * @param readAll  reads the distinct keys of a batch: what it finds, by key (an absent key completes empty)
     * @param maxBatch the most keys in one query
     */
    public GroupRead(Function<Set<K>, Mono<Map<K, V>>> readAll, int maxBatch) {
        this.batcher = new Batcher<>(keys -> readAll.apply(new LinkedHashSet<>(keys))
                .defaultIfEmpty(Map.of())
                .map(found -> keys.stream().map(k -> Batcher.Outcome.of(found.get(k))).toList()), maxBatch);
    }

    /** The value of {@code key}, read with whatever else is waiting; empty when there is none. */
    public Mono<V> read(K key) {
        return batcher.submit(key);
    }

    /** Up to this many ids in one {@code $in}: far below a command's size limit, and a batch rarely reaches it. */
    public static final int MAX_BATCH = 1_000;
}
