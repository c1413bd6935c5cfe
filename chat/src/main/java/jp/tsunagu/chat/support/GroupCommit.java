package jp.tsunagu.chat.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.util.concurrent.Queues;

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

    /** One write and who waits for it. */
    private record Pending<T>(T item, MonoSink<Void> done) {
    }

    private final Function<List<T>, Mono<List<Throwable>>> writeAll;
    private final int maxBatch;
    private final Queue<Pending<T>> waiting = Queues.<Pending<T>>unboundedMultiproducer().get();
    private final AtomicBoolean writing = new AtomicBoolean();

    /**
     * @param writeAll writes a batch and answers, in the batch's order, each item's error or null; a failure of
     *                 the whole command fails every item with it
     * @param maxBatch the most items in one command
     */
    public GroupCommit(Function<List<T>, Mono<List<Throwable>>> writeAll, int maxBatch) {
        this.writeAll = writeAll;
        this.maxBatch = maxBatch;
    }

    /** Writes {@code item} with whatever else is waiting; completes when it is written, or fails with its error. */
    public Mono<Void> write(T item) {
        return Mono.create(sink -> {
            waiting.offer(new Pending<>(item, sink));
            next();
        });
    }

    /** Starts the next batch unless one is in flight; the one in flight starts it when it ends. */
    private void next() {
        while (!waiting.isEmpty() && writing.compareAndSet(false, true)) {
            List<Pending<T>> batch = new ArrayList<>();
            Pending<T> p;
            while (batch.size() < maxBatch && (p = waiting.poll()) != null) {
                batch.add(p);
            }
            if (batch.isEmpty()) {
                writing.set(false);
                continue;
            }
            List<T> items = batch.stream().map(Pending::item).toList();
            Mono<List<Throwable>> written;
            try {
                written = writeAll.apply(items)
                        .switchIfEmpty(Mono.error(() -> new IllegalStateException("a batch write answered nothing")));
            } catch (RuntimeException e) {
                written = Mono.error(e);
            }
            written.subscribe(errors -> {
                for (int i = 0; i < batch.size(); i++) {
                    Throwable error = i < errors.size() ? errors.get(i) : null;
                    if (error == null) {
                        batch.get(i).done().success();
                    } else {
                        batch.get(i).done().error(error);
                    }
                }
            }, failure -> {
                batch.forEach(b -> b.done().error(failure));
                ended();
            }, this::ended);
            return;
        }
    }

    private void ended() {
        writing.set(false);
        next();
    }
}
