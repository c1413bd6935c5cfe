package jp.tsunagu.chat.notify;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The durable queue of notifications, kept small so that finding what is due stays cheap on the embedded server
 * (which scans for anything but an {@code _id}): it holds only notifications waiting to be sent. Reminders wait
 * in a collection of their own until they are due; a finished notification leaves the queue for the delivery log.
 * Every change after the enqueue is conditional on the state, round and attempts the sender read, so two senders
 * racing (a lease that just moved) never both finish or both advance one.
 */
public interface NotificationStore {

    /** Adds what is not there yet (reminders among the waiting ones); an existing one stays as it is. */
    Mono<Void> enqueue(Collection<Notification> notifications);

    /** Queues the person's clear of a room again, up to the higher of the stored and the given read position. */
    Mono<Void> enqueueClear(Notification clear);

    /** A queued notification. */
    Mono<Notification> findById(String id);

    /** Queued notifications of these shards due by {@code now}, soonest first. */
    Flux<Notification> due(Collection<Integer> shards, Instant now, int limit);

    /** Reminders of these shards due by {@code now} moved into the queue; emits them as queued there. */
    Flux<Notification> promoteReminders(Collection<Integer> shards, Instant now, int limit);

    /** Queued notifications about the message (several nodes: another node enqueued them). */
    Flux<Notification> ofMessage(String messageId);

    /** Whether the delivery log holds it: it was finished once, and an enqueue that came late made it again. */
    Mono<Boolean> finishedBefore(String id);

    /** Tries again at {@code at}, with the devices the round reached so far; empty if it changed meanwhile. */
    Mono<Notification> retry(Notification n, int attempts, List<String> delivered, Instant at);

    /** Starts the next round (an urgent repeat) at {@code at}; empty if it changed meanwhile. */
    Mono<Notification> nextRound(Notification n, Instant at);

    /**
     * Ends it: out of the queue, into the delivery log (state, outcome, devices reached, attempts) until
     * {@code expireAt}. Empty if it changed meanwhile.
     */
    Mono<Notification> finish(Notification n, Notification.State state, String outcome, List<String> delivered,
                              Instant at, Instant expireAt);

    /** A notification ended, as {@link #finish} takes it. */
    record Finished(Notification notification, Notification.State state, String outcome, List<String> delivered) {
    }

    /**
     * Ends several at once, in two writes (out of the queue by id, into the log), for the sender that holds their
     * shard's lease and has them in flight; emits how many records were written.
     */
    Mono<Integer> finishAll(List<Finished> finished, Instant at, Instant expireAt);

    /** Takes it out of the queue with no record (it has one already: {@link #finishedBefore}). */
    Mono<Boolean> discard(Notification n);

    /** Deletes delivery-log records past their {@code expireAt}; emits how many. */
    Mono<Long> deleteExpired(Instant now);
}
