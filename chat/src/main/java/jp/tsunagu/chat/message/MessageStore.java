package jp.tsunagu.chat.message;

import java.time.Instant;

import jp.tsunagu.chat.support.Cursor;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Storage of messages; each method is one single-document operation or one query. */
public interface MessageStore {

    /** Inserts; fails with {@code DuplicateKeyException} if the id (derived from an idempotency key) exists. */
    /** Stores a new message nobody is to be notified of (seeded history, tests). */
    Mono<Message> insert(Message message);

    /**
     * Stores a new message and enqueues the notifications it gives, with the room's levels as read when its
     * number was taken.
     */
    Mono<Message> insert(Message message, jp.tsunagu.chat.room.NotifyAudience audience);

    Mono<Message> findById(String id);

    /**
     * The messages with these ids that exist, in no particular order, in brief: only what a list line needs ({@link #BRIEF_FIELDS}); every other field is null.
     * For lists that show many messages and decide with these fields alone (the inbox).
     */
    Flux<Message> briefs(java.util.Collection<String> ids);

    /** Who, where, when, the text, and what decides whether the message is in someone's inbox. */
    java.util.List<String> BRIEF_FIELDS = java.util.List.of("roomId", "seq", "changeSeq", "author", "text", "priority", "createdAt",
            "mentionedUserIds", "deleted", "origin", "request", "acknowledgement");

    /** The message if it belongs to the room; else 404, the same as for a message that does not exist. */
    default Mono<Message> inRoom(String roomId, String id) {
        return findById(id)
                .filter(m -> m.roomId().equals(roomId))
                .switchIfEmpty(Mono.error(() -> jp.tsunagu.chat.support.ApiException.notFound("message")));
    }

    /** Newest first, strictly before {@code beforeSeq} (or from the newest when null). */
    Flux<Message> page(String roomId, Long beforeSeq, int limit);

    /** The root and its replies, oldest first. */
    Flux<Message> thread(String roomId, String rootId, int limit);

    Mono<Message> edit(String id, Message.Edit previous, String text, String html, Instant at, long changeSeq);

    Mono<Message> delete(String id, String by, Instant at, long changeSeq);

    /** Adds or removes one user's stamp; empty if it was already in that state. */
    Mono<Message> stamp(String id, Stamp stamp, String userId, boolean add, long changeSeq);

    /**
     * One person's act on {@code message} (as it was read when the act was decided), written at once with
     * {@code change}: a stamp given, the request it moves (if
     * still in state {@code requestFrom}; null: if it carries none yet), an acknowledgement of an urgent message
     * (if not acknowledged by them yet; {@code lastAcknowledgement} also ends its escalation). An assignee's 承知 is
     * the request's move and, on an urgent message, an acknowledgement: one record, never a stamp without its move.
     */
    record Act(Message message, String userId, Stamp stamp, CareRequest.State requestFrom, CareRequest request,
               Acknowledgement.Ack ack, boolean lastAcknowledgement, long changeSeq, Message.Change change) {
    }

    /** Applies the act; empty if the message is deleted or one of its conditions no longer holds. */
    Mono<Message> apply(Act act);

    /**
     * Takes an urgent message's next escalation step (after its {@code acknowledgement.step}), if no node took it yet: records it, adds
     * {@code escalation.added} to the required, and sets when the next is due ({@code nextAt}, null for none).
     * Empty if the step was taken meanwhile.
     */
    Mono<Message> escalate(Message m, Acknowledgement.Escalation escalation, Instant nextAt, long changeSeq);

    /** Ends the escalation of a message everyone acknowledged, without a step; empty if its state moved. */
    Mono<Message> endEscalation(String id, int step);

    /** Pins ({@code pin} set) or unpins (null) the message as room change {@code changeSeq}; empty if deleted. */
    Mono<Message> pin(String id, Message.Pin pin, long changeSeq);

    /** The room's pinned messages, most recently pinned first. */
    Flux<Message> pinned(String roomId, int limit);

    /** Urgent messages whose next escalation step is due at {@code now}, soonest first. */
    Flux<Message> dueEscalations(Instant now, int limit);

    /**
     * Requests in the given rooms, soonest due first ({@code dueAt}, then id), after the cursor; deleted messages
     * are left out.
     */
    Flux<Message> requests(RequestQuery query);

    /**
     * Exactly one of {@code assigneeId} and {@code requesterId} is set.
     *
     * @param assigneeId requests asking this user, or null
     * @param requesterId requests this user made, or null
     * @param states the states wanted
     * @param overdueAt also (or only, with no states) active requests due before this time; null for none
     * @param dueBefore only requests due before this time; null for any
     * @param after the last item of the previous page (its due time and id); null from the start
     */
    record RequestQuery(java.util.Collection<String> roomIds, String assigneeId, String requesterId,
                        java.util.Set<CareRequest.State> states, Instant overdueAt, Instant dueBefore, Cursor after,
                        int limit) {
    }

    /** Replaces the counts of stamps given on an external SNS ({@link Message#externalStamps()}); empty if deleted. */
    Mono<Message> externalStamps(String id, java.util.Map<String, Integer> counts, long changeSeq);

    /** Messages created or changed after {@code seq}, in the order of their latest change. */
    Flux<Message> changedSince(String roomId, long seq, int limit);

    /**
     * Messages created or changed after {@code changeSeq} and created after {@code afterSeq}, in the order they
     * were created ({@code seq}): what the bridge still has to bring to an external SNS, oldest message first so
     * the SNS sees them in room order; {@code afterSeq} pages through them.
     */
    Flux<Message> changedSinceInCreationOrder(String roomId, long changeSeq, long afterSeq, int limit);

    /**
     * Replaces the message's delivery entry for one connector instance. With {@code changeSeq} the write is a
     * change members see ({@link Message.Change#DELIVERY}); without, bookkeeping only. Empty if no such message.
     */
    Mono<Message> setDelivery(String id, String instanceId, Delivery delivery, Long changeSeq);

    /**
     * Messages of the room whose post to a bridged SNS was started but not confirmed ({@code postStartedAt} set, no
     * external id): after a crash or a lost answer, the SNS may hold them already.
     */
    Flux<Message> postsAwaitingConfirmation(String roomId, String instanceId);

    /** Messages whose latest change has not gone out to the bridged SNS instance yet (its outbound backlog). */
    Mono<Long> countPendingDelivery(String instanceId);

    /** Others' live messages after {@code afterSeq}, the unread count for a member. */
    Mono<Long> countUnread(String roomId, long afterSeq, String userId);

    Mono<Long> countUrgentUnread(String roomId, long afterSeq, String userId);

    /** Messages in the given rooms that mentioned the user, newest first, before the cursor. */
    Flux<Message> mentioning(String userId, java.util.Collection<String> roomIds, Cursor before, int limit);

    /**
     * Announces a change of the consent behind excerpt cards: sets {@code excerpt.grantState} and takes
     * {@code changeSeq} with {@link Message.Change#EXCERPT}. Empty if there is no such message.
     */
    Mono<Message> setExcerptState(String id, String grantState, long changeSeq);

    /** The excerpt cards that reference a grant, in room order. */
    Flux<Message> excerptsOfGrant(String grantId);
}
