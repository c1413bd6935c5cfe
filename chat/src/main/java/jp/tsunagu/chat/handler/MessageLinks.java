package jp.tsunagu.chat.handler;

import java.util.Collection;
import java.util.Map;

import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.room.RoomStore;
import reactor.core.publisher.Mono;

/** What the cross-room lists (requests, my actions) show beside each message: its room's name and a link to it. */
final class MessageLinks {

    private MessageLinks() {
    }

    /** The names of the given rooms by id (a room with no name maps to ""), in one query. */
    static Mono<Map<String, String>> roomNames(RoomStore rooms, Collection<String> roomIds) {
        return rooms.names(new java.util.HashSet<>(roomIds));
    }

    /** The web client's route that opens the room at the message. */
    static String href(Message m) {
        return "/#/rooms/" + m.roomId() + "?message=" + m.id();
    }
}
