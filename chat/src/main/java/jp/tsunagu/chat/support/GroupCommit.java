package jp.tsunagu.chat.support;

import java.util.List;
import java.util.function.Function;

import reactor.core.publisher.Mono;

/**
 * Group commit: writes that arrive while one is in flight go out together in the next command. Nothing waits for a
 * timer: alone, a write leaves at once; under load one command carries the writes of many rooms, which saves the
 * driver's and the database's cost per command (on the embedded server also a turn of the collection's lock). Each
 * write still gets its own outcome: the batch answers with one error (or null) per item, in order.
 *
 * <p>Order between writes is the caller's: a room's turn ({@link RoomLinearizer}) waits for its write to complete
 * before its next one starts, so two writes of one room are never in the same batch.
 *
 * @param <T> what is written
 */
public final class GroupCommit<T> {

    private final Batcher<T, Void> batcher;

    /**
     * @param writeAll writes a batch and answers, in the batch's order, each item's error or null; a failure of
     *                 the whole command fails every item with it
     * @param maxBatch the most items in one command
     */
    public GroupCommit(Function<List<T>, Mono<List<Throwable>>> writeAll, int maxBatch) {
        this.batcher = new Batcher<>(items -> writeAll.apply(items)
                .map(errors -> errors.stream().map(e -> e == null ? Batcher.Outcome.<Void>of(null)
                        : Batcher.Outcome.<Void>failed(e)).toList()), maxBatch);
    }

    /** Writes {@code item} with whatever else is waiting; completes when it is written, or fails with its error. */
    public Mono<Void> write(T item) {
        return batcher.submit(item);
    }
}
