package jp.tsunagu.chat.handler;

import jp.tsunagu.chat.message.Message;

/** What the cross-room lists (requests, my actions) show beside each message: a link to it. */
final class MessageLinks {

    private MessageLinks() {
    }

    /** The web client's route that opens the room at the message. */
    static String href(Message m) {
        return "/app/#/rooms/" + m.roomId() + "/messages/" + m.id();
    }
}
