package jp.tsunagu.chat.realtime;

import com.fasterxml.jackson.annotation.JsonInclude;

import jp.tsunagu.chat.api.MemberView;
import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.api.ReadView;
import jp.tsunagu.chat.api.RoomView;

/**
 * One change in a room as clients receive it on WebSocket and SSE alike. Exactly one of the payload
 * fields is set, matching {@code type}:
 * {@code message.created|edited|deleted|stamped} and {@code request.changed} (the request a message carries was
 * made or moved) → {@code message}; {@code member.joined|updated|removed}
 * → {@code member}; {@code read} → {@code read}; {@code room.archived|updated} → {@code room}.
 *
 * <p>{@code seq} is the room's sequence number of the change. Replays after a reconnect carry the current
 * state of each changed item, in sequence order, so a client applies events by replacing what it has.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RoomEvent(String type, String roomId, long seq, MessageView message, MemberView member, ReadView read,
                        RoomView room) {

    public static RoomEvent message(String type, MessageView message) {
        return new RoomEvent(type, message.roomId(), message.changeSeq(), message, null, null, null);
    }

    public static RoomEvent member(String type, MemberView member) {
        return new RoomEvent(type, member.roomId(), member.seq(), null, member, null, null);
    }

    public static RoomEvent read(ReadView read) {
        return new RoomEvent("read", read.roomId(), read.seq(), null, null, read, null);
    }

    public static RoomEvent room(String type, RoomView room) {
        return new RoomEvent(type, room.id(), room.changeSeq(), null, null, null, room);
    }

    /** The user this event takes out of the room, whose open streams for the room must close. */
    String removedUserId() {
        return "member.removed".equals(type) && member != null ? member.userId() : null;
    }
}
