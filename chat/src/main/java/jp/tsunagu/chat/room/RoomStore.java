package jp.tsunagu.chat.room;

import java.time.Instant;
import java.util.Collection;

import jp.tsunagu.chat.support.Cursor;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Storage of care rooms and their sequence counters. */
public interface RoomStore {

    /** Inserts a new room; fails with {@code DuplicateKeyException} if its resident or direct pair exists. */
    Mono<CareRoom> insert(CareRoom room);

    Mono<CareRoom> findById(String roomId);

    /** The names of the rooms with these ids that exist, by id (a room with no name maps to ""), in one query. */
    Mono<java.util.Map<String, String>> names(Collection<String> roomIds);

    Mono<CareRoom> findByExternalResidentId(String externalResidentId);

    /** Atomically takes the room's next sequence number; empty if the room does not exist. */
    Mono<Long> nextSeq(String roomId);

    /**
     * Takes the room's next number for a new message and, in the same write, makes {@code preview} the room's list
     * preview and moves its last activity to the preview's time. Empty if the room does not exist.
     *
     * <p>The preview is written ahead of its message, so it may name one that is still being stored or never was
     * (the insert failed, the node stopped): readers check that it exists ({@code RoomHandler.list}). Its {@code seq}
     * is stored as 0 (this write takes the number); readers take it from the message. One write of the room per post
     * instead of two.
     */
    Mono<Long> nextSeq(String roomId, LastMessage preview);

    /**
     * As {@link #nextSeq(String, LastMessage)}, but only for a room that exists and is not archived; empty
     * otherwise (nothing is taken, the preview is unchanged). One command instead of reading the room and then
     * taking the number; it also returns the connector instances the room is bridged to, which a new message
     * starts pending for.
     */
    Mono<SeqTaken> nextSeqIfWritable(String roomId, LastMessage preview);

    /**
     * A sequence number taken for a write, with the room's bridges and notification levels at that moment (a new
     * message starts pending for each bridge, and its notifications are enqueued with it).
     */
    record SeqTaken(long seq, java.util.List<String> bridges, NotifyAudience audience) {
    }

    /** Who in the room chose which notification level; empty if no such room. */
    Mono<NotifyAudience> audience(String roomId);

    /** As {@link #audience} for the rooms with these ids that exist, by id, in one query. */
    Mono<java.util.Map<String, NotifyAudience>> audiences(Collection<String> roomIds);

    /**
     * Sets the person's notification level in the room ({@code null}: back to the room's default). Not a room
     * change: nobody else sees it and no sequence number is taken. Empty if no such room.
     */
    Mono<NotifyAudience> setNotifyLevel(String roomId, String userId, NotifyLevel level);

    Mono<CareRoom> markArchived(String roomId, String by, Instant at, long seq);

    /** Sets the preview's text after its message was edited or deleted; nothing if another message is the preview. */
    Mono<Void> refreshPreview(String roomId, String messageId, String excerpt);

    /** Rooms among {@code ids}, most recently active first, strictly after the cursor position. */
    Flux<CareRoom> findActiveFirst(Collection<String> ids, Cursor after, int limit);

    /** Adds or removes a connector instance in the room's {@link CareRoom#bridges()}; empty if no such room. */
    /** Sets (or with null clears) the room's on-call contact as a room change {@code seq}. */
    Mono<CareRoom> setOnCall(String roomId, String userId, long seq);

    Mono<CareRoom> setBridged(String roomId, String instanceId, boolean bridged);

    /** Rooms whose own document changed after {@code seq} (archive), for stream resumption. */
    Mono<CareRoom> changedSince(String roomId, long seq);
}
