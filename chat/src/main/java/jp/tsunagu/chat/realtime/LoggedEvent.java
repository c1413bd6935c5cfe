package jp.tsunagu.chat.realtime;

/**
 * A room change as the hubs receive it: serialised once, by the node that made it, and either handed over
 * directly (one node) or read back from the {@code room_events} log (several nodes).
 *
 * @param roomId        the room
 * @param seq           the room's sequence number of the change
 * @param type          the event type ({@code message.created}, …), null for a skipped number
 * @param json          the frame clients receive, null for a skipped number
 * @param removedUserId the user a {@code member.removed} takes out of the room, else null
 * @param skipped       true for a number taken by a change that was then not made (nothing to deliver)
 * @param made          the event as this node made it (one node), so that a listener needing its content (the
 *                      search index) does not parse {@code json} again; null when read from the log
 */
public record LoggedEvent(String roomId, long seq, String type, String json, String removedUserId, boolean skipped,
                          RoomEvent made) {

    /** An event read from the log: its JSON is all there is. */
    public LoggedEvent(String roomId, long seq, String type, String json, String removedUserId, boolean skipped) {
        this(roomId, seq, type, json, removedUserId, skipped, null);
    }

    static LoggedEvent of(RoomEvent event, String json) {
        return new LoggedEvent(event.roomId(), event.seq(), event.type(), json, event.removedUserId(), false, event);
    }

    static LoggedEvent skip(String roomId, long seq) {
        return new LoggedEvent(roomId, seq, null, null, null, true);
    }
}
