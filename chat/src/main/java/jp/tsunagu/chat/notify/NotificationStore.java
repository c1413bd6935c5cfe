package jp.tsunagu.chat.notify;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The durable queue of notifications. Every change after the enqueue is conditional on the state and round the
 * sender read, so two senders racing (a lease that just moved) never both finish or both advance one.
 */
public interface NotificationStore {

    /** Adds what is not there yet; a notification already queued or finished stays as it is. */
    Mono<Void> enqueue(Collection<Notification> notifications);

    /** Queues the person's clear of a room again, up to the higher of the stored and the given read position. */
    Mono<Void> enqueueClear(Notification clear);

    Mono<Notification> findById(String id);

    /** Queued notifications of these shards due by {@code now}, soonest first. */
    Flux<Notification> due(Collection<Integer> shards, Instant now, int limit);

    /** Queued notifications about the message (several nodes: another node enqueued them). */
    Flux<Notification> ofMessage(String messageId);

    /** Tries again at {@code at}, with the devices the round reached so far; empty if it changed meanwhile. */
    Mono<Notification> retry(Notification n, int attempts, List<String> delivered, Instant at);

    /** Starts the next round (an urgent repeat) at {@code at}; empty if it changed meanwhile. */
    Mono<Notification> nextRound(Notification n, Instant at);

    /** Ends it; empty if it changed meanwhile. */
    Mono<Notification> finish(Notification n, Notification.State state, String outcome, List<String> delivered,
                              Instant at, Instant expireAt);

    /** Deletes finished records past their {@code expireAt}; emits how many. */
    Mono<Long> deleteExpired(Instant now);
}
