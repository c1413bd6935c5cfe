package jp.tsunagu.chat.notify;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

import jp.tsunagu.chat.room.NotifyLevel;
import jp.tsunagu.chat.support.Ids;

/**
 * One notification to one person, sent to each of their devices: the durable queue's unit. {@code _id} follows from
 * what it is about ({@link #idOf}), so enqueuing it again (a retried post, two nodes) changes nothing. It is
 * enqueued ahead of the write it is about, like the inbox's entries: the sender checks the message before sending
 * and drops what never landed.
 *
 * @param seq        the message's number in its room; for {@link Reason#CLEAR}, the read position reached
 * @param urgent     the message is urgent (the label says so); only {@link Reason#URGENT} breaks through quiet hours
 * @param level      the person's level in the room when it was enqueued; null when the enqueuing write did not
 *                   know it (a request added later, a reminder), and the sender reads it then
 * @param shard      which sender lease owns it ({@code userId}'s hash), so exactly one node sends a person's
 *                   notifications
 * @param createdAt  when what it is about happened (the post): the start of the end-to-end latency
 * @param dueAt      when to try next; a reminder's or a repeat's time, or a retry's
 * @param attempts   failed attempts of the current round
 * @param round      for {@link Reason#URGENT}: sends done so far (the first and its repeats)
 * @param delivered  devices the current round reached, so a retry after a partial failure sends to the rest only
 * @param outcome    why it ended ({@code sent}, {@code read}, {@code acknowledged}, {@code quiet-hours}, ...)
 * @param expireAt   when a finished record is deleted
 */
@Document("notifications")
public record Notification(@Id String id, String userId, String roomId, String messageId, long seq, Reason reason,
                           boolean urgent, NotifyLevel level, State state, int shard, Instant createdAt, Instant dueAt,
                           int attempts, int round, List<String> delivered, Instant finishedAt, String outcome,
                           Instant expireAt) {

    public Notification {
        delivered = delivered == null ? List.of() : List.copyOf(delivered);
    }

    /** Why the person is notified, strongest first: one notification per person and message carries the strongest. */
    public enum Reason {
        /** An urgent message asks them to acknowledge it: repeats until they do, breaks through quiet hours. */
        URGENT,
        /** A request is asked of them. */
        REQUEST,
        /** They, their facility or the whole room are mentioned. */
        MENTION,
        /** A message in a room where they chose every message. */
        MESSAGE,
        /** A request asked of them is due soon (once). */
        DUE,
        /** They read the room on one device: the others close what they show of it. */
        CLEAR;

        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum State {
        /** Waiting for {@code dueAt}. */
        QUEUED,
        /** Sent to every device it was for. */
        SENT,
        /** Not sent, and never will be: {@code outcome} says why. */
        DROPPED
    }

    /**
     * The id of a person's notification about {@code subject} (a message; a room for a clear). {@code kind} tells
     * apart what one subject can give a person: "" the message itself, {@code due} a request's reminder,
     * {@code added} an escalation adding them, {@code clear} a read elsewhere.
     */
    public static String idOf(String userId, String subject, String kind) {
        return Ids.derived("notify", userId, subject, kind);
    }

    /** A new queued notification. */
    public static Notification queued(String kind, String userId, String roomId, String messageId, long seq,
                                      Reason reason, boolean urgent, NotifyLevel level, int shards, Instant createdAt,
                                      Instant dueAt) {
        return new Notification(idOf(userId, reason == Reason.CLEAR ? roomId : messageId, kind), userId, roomId,
                messageId, seq, reason, urgent, level, State.QUEUED, shardOf(userId, shards), createdAt, dueAt, 0, 0,
                List.of(), null, null, null);
    }

    /** The sender shard of a person: the same on every node. */
    public static int shardOf(String userId, int shards) {
        return Math.floorMod(userId.hashCode(), shards);
    }
}
