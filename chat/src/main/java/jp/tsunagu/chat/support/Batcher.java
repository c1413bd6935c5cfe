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
 * One command in flight; what arrives meanwhile goes out together in the next one. Nothing waits for a timer:
 * alone, an item leaves at once; under load one command carries many, which saves the driver's and the database's
 * cost per command (on the embedded server also a turn of the collection's lock). Each item still gets its own
 * outcome. The core of {@link GroupCommit} (writes) and {@link GroupRead} (reads by id).
 *
 * @param <T> what is submitted
 * @param <R> what each item is answered with
 */
final class Batcher<T, R> {

    /** An item's answer: a value (null: it completes empty) or an error. */
    record Outcome<R>(R value, Throwable error) {

        static <R> Outcome<R> of(R value) {
            return new Outcome<>(value, null);
        }

        static <R> Outcome<R> failed(Throwable error) {
            return new Outcome<>(null, error);
        }
    }

    private record Pending<T, R>(T item, MonoSink<R> done) {
    }

    private final Function<List<T>, Mono<List<Outcome<R>>>> runAll;
    private final int maxBatch;
    private final Queue<Pending<T, R>> waiting = Queues.<Pending<T, R>>unboundedMultiproducer().get();
    private final AtomicBoolean running = new AtomicBoolean();

    /**
     * @param runAll   runs a batch and answers each item's outcome in the batch's order (an item without one
     *                 completes empty); a failure of the whole command fails every item with it
     * @param maxBatch the most items in one command
     */
    Batcher(Function<List<T>, Mono<List<Outcome<R>>>> runAll, int maxBatch) {
        this.runAll = runAll;
        this.maxBatch = maxBatch;
    }

    /** Runs {@code item} with whatever else is waiting; answers its outcome. */
    Mono<R> submit(T item) {
        return Mono.create(sink -> {
            waiting.offer(new Pending<>(item, sink));
            next();
        });
    }

    /** Starts the next batch unless one is in flight; the one in flight starts it when it ends. */
    private void next() {
        while (!waiting.isEmpty() && running.compareAndSet(false, true)) {
            List<Pending<T, R>> batch = new ArrayList<>();
            Pending<T, R> p;
            while (batch.size() < maxBatch && (p = waiting.poll()) != null) {
                batch.add(p);
            }
            if (batch.isEmpty()) {
                running.set(false);
                continue;
            }
            List<T> items = batch.stream().map(Pending::item).toList();
            Mono<List<Outcome<R>>> ran;
            try {
                ran = runAll.apply(items)
                        .switchIfEmpty(Mono.error(() -> new IllegalStateException("a batch answered nothing")));
            } catch (RuntimeException e) {
                ran = Mono.error(e);
            }
            ran.subscribe(outcomes -> {
                for (int i = 0; i < batch.size(); i++) {
                    Outcome<R> outcome = i < outcomes.size() ? outcomes.get(i) : null;
                    MonoSink<R> done = batch.get(i).done();
                    if (outcome == null || outcome.error() == null && outcome.value() == null) {
                        done.success();
                    } else if (outcome.error() != null) {
                        done.error(outcome.error());
                    } else {
                        done.success(outcome.value());
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
        running.set(false);
        next();
    }
}
