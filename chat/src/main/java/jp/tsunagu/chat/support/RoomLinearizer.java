package jp.tsunagu.chat.support;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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

    public <T> Mono<T> run(String roomId, Supplier<Mono<T>> task) {
        return Mono.defer(() -> {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> previous = tails.put(roomId, mine);
            CompletableFuture<Void> turn = previous == null ? CompletableFuture.completedFuture(null) : previous;
            CompletableFuture<T> result = turn.thenCompose(ignored -> {
                try {
                    return task.get().toFuture();
                } catch (RuntimeException e) {
                    return CompletableFuture.failedFuture(e);
                }
            });
            result.whenComplete((value, error) -> {
                tails.remove(roomId, mine);
                mine.complete(null);
            });
            return Mono.fromFuture(result, true);
        });
    }

    /** Rooms with a task queued or running; for metrics and tests. */
    public int busyRooms() {
        return tails.size();
    }
}
