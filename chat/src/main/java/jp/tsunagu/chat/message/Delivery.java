package jp.tsunagu.chat.message;

import java.time.Instant;
import java.util.List;

/**
 * Where one message stands with one bridged external SNS (a connector instance). Written by the bridge inside
 * the message document, so a change of the message and its send status never disagree after a crash; members
 * see it as the message's send status.
 *
 * @param state the outcome of the delivery of the message's change {@code seq}
 * @param seq the message's {@code changeSeq} this state was settled at: a later change of the message (edit,
 *            deletion, stamp) makes the message pending again until that change has gone out too
 * @param externalId the message's id in the SNS once it was posted there
 * @param sentHash fingerprint of the content last sent (text, html, attachments); an edit changes it
 * @param sentDeleted the deletion went out
 * @param sentStamps the stamp codes the integration account gives the message there
 * @param attempts failed attempts at the change now pending, 0 when none failed
 * @param firstFailedAt the first of those failures; a change still failing 24 h later is dead-lettered
 * @param nextAttemptAt when the bridge tries again (null: as soon as it can)
 * @param error why the last attempt failed, or why the change was dead-lettered
 * @param postStartedAt set before a post is sent and cleared once its result is stored: found set after a
 *                      crash or a time-out, the bridge looks for the message in the SNS before posting again
 * @param at when this entry was last written
 */
public record Delivery(State state, long seq, String externalId, String sentHash, boolean sentDeleted,
                       List<String> sentStamps, int attempts, Instant firstFailedAt, Instant nextAttemptAt,
                       String error, Instant postStartedAt, Instant at) {

    public enum State {
        /** The message's latest change has not gone out yet (waiting, being sent or retried). */
        PENDING,
        /** The message's latest change is in the SNS. */
        DELIVERED,
        /** The latest change could not be delivered and was dead-lettered with {@code error}. */
        FAILED
    }

    public Delivery {
        sentStamps = sentStamps == null ? List.of() : List.copyOf(sentStamps);
    }

    /** A message posted in a bridged room, before the bridge has seen it. */
    public static Delivery pending(Instant at) {
        return new Delivery(State.PENDING, 0, null, null, false, List.of(), 0, null, null, null, null, at);
    }

    /** What was sent so far: the external id, the fingerprint of the content there, a post in flight or not. */
    public Delivery sent(String externalId, String sentHash, Instant postStartedAt) {
        return new Delivery(state, seq, externalId, sentHash, sentDeleted, sentStamps, attempts, firstFailedAt,
                nextAttemptAt, error, postStartedAt, at);
    }

    /** The deletion went out (no post is in flight any more). */
    public Delivery deletionSent() {
        return new Delivery(state, seq, externalId, sentHash, true, sentStamps, attempts, firstFailedAt, nextAttemptAt,
                error, null, at);
    }

    public Delivery withSentStamps(List<String> stamps) {
        return new Delivery(state, seq, externalId, sentHash, sentDeleted, stamps, attempts, firstFailedAt,
                nextAttemptAt, error, postStartedAt, at);
    }

    /** Everything is there: no failure counts, no error. */
    public Delivery delivered(Instant now) {
        return new Delivery(State.DELIVERED, seq, externalId, sentHash, sentDeleted, sentStamps, 0, null, null, null,
                null, now);
    }

    /** An attempt failed; the next one is at {@code nextAttempt}. */
    public Delivery attemptFailed(int failures, Instant firstFailure, Instant nextAttempt, String reason, Instant now) {
        return new Delivery(State.PENDING, seq, externalId, sentHash, sentDeleted, sentStamps, failures, firstFailure,
                nextAttempt, reason, postStartedAt, now);
    }

    /** Given up (dead-lettered) after one more failed attempt. */
    public Delivery givenUp(String reason, Instant now) {
        return new Delivery(State.FAILED, seq, externalId, sentHash, sentDeleted, sentStamps, attempts + 1,
                firstFailedAt, null, reason, postStartedAt, now);
    }

    /** Pending again with a fresh retry schedule (a new change after a failure, or a replay). */
    public Delivery pendingAfresh(String lastError, Instant when) {
        return new Delivery(State.PENDING, seq, externalId, sentHash, sentDeleted, sentStamps, 0, null, null,
                lastError, postStartedAt, when);
    }

    /** This entry settled at the message's change {@code changeSeq}. */
    public Delivery settledAt(long changeSeq) {
        return new Delivery(state, changeSeq, externalId, sentHash, sentDeleted, sentStamps, attempts, firstFailedAt,
                nextAttemptAt, error, postStartedAt, at);
    }

    /** This entry, still pending. */
    public Delivery stillPending() {
        return new Delivery(State.PENDING, seq, externalId, sentHash, sentDeleted, sentStamps, attempts, firstFailedAt,
                nextAttemptAt, error, postStartedAt, at);
    }

    /** The state members see: settled only if nothing changed in the message since it was settled. */
    public State visibleState(long messageChangeSeq) {
        return state != State.PENDING && seq == messageChangeSeq ? state : State.PENDING;
    }
}
