package jp.tsunagu.chat.support;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import reactor.core.publisher.Mono;

/**
 * Runs the tasks for one room one at a time, in arrival order, while different rooms run in parallel
 * (the idea of Synapse's Linearizer).
 *
 * <p>Every change in a room takes a sequence number, writes, and publishes its event inside the room's
 * turn, so the order of sequence numbers, of writes and of live events is the same. A task, once started,
 * finishes even if the caller goes away: a phone that drops the connection mid-post still gets its message
 * stored, and its retry finds it by idempotency key.
 */
public final class RoomLinearizer {

    private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    /** Tasks of each room queued or running; a room with none has no entry. */
    private final Map<String, Integer> queued = new ConcurrentHashMap<>();
    private volatile java.util.function.Consumer<String> turnEnded = roomId -> { };

    /**
     * Called with the room's id when a task ends, before the room's next task starts (the room event log of
     * several nodes marks the numbers a turn took and did not use). Must return at once and must not throw.
     */
    public void onTurnEnded(java.util.function.Consumer<String> listener) {
        this.turnEnded = listener;
    }

    public <T> Mono<T> run(String roomId, Supplier<Mono<T>> task) {
        return run(roomId, Integer.MAX_VALUE, null, task);
    }

    /**
     * As {@link #run(String, Supplier)}, but refused with {@code refusal} (nothing runs, nothing is queued)
     * when the room already has {@code limit} tasks queued or running: admission control, so that a room
     * flooded faster than it can be served answers at once instead of after an ever longer wait.
     */
    public <T> Mono<T> run(String roomId, int limit, Supplier<? extends RuntimeException> refusal,
                           Supplier<Mono<T>> task) {
        return Mono.defer(() -> {
            boolean[] admitted = {false};
            queued.compute(roomId, (room, n) -> {
                int count = n == null ? 0 : n;
                if (count >= limit) {
                    return n;
                }
                admitted[0] = true;
                return count + 1;
            });
            if (!admitted[0]) {
                return Mono.error(refusal.get());
            }
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> previous = tails.put(roomId, mine);
            CompletableFuture<Void> turn = previous == null ? CompletableFuture.completedFuture(null) : previous;
            CompletableFuture<T> result = turn.thenComposeAsync(ignored -> {
                try {
                    return task.get().toFuture();
                } catch (RuntimeException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }, TRAMPOLINE);
            result.whenComplete((value, error) -> {
                turnEnded.accept(roomId);
                queued.computeIfPresent(roomId, (room, n) -> n <= 1 ? null : n - 1);
                tails.remove(roomId, mine);
                mine.complete(null);
            });
            return Mono.fromFuture(result, true);
        });
    }

    /**
     * Starts a room's next task on the thread that ended the previous one, but only once that thread has
     * unwound. Started directly, a task that completes synchronously starts the next one inside its own
     * completion, one stack level deeper per queued task: about 800 such tasks overflowed the stack, the
     * overflow was swallowed inside CompletableFuture, the room's turn was never handed on, and every later
     * task of the room hung for good.
     */
    private static final Executor TRAMPOLINE = new Executor() {
        private final ThreadLocal<ArrayDeque<Runnable>> pending = new ThreadLocal<>();

        @Override
        public void execute(Runnable command) {
            ArrayDeque<Runnable> queue = pending.get();
            if (queue != null) {
                queue.add(command);
                return;
            }
            queue = new ArrayDeque<>();
            pending.set(queue);
            try {
                for (Runnable next = command; next != null; next = queue.poll()) {
                    next.run();
                }
            } finally {
                pending.remove();
            }
        }
    };

    /** Tasks of the room queued or running; for tests. */
    public int queued(String roomId) {
        return queued.getOrDefault(roomId, 0);
    }

    /** Rooms with a task queued or running; for metrics and tests. */
    public int busyRooms() {
        return tails.size();
    }
}
