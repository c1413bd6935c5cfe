package jp.tsunagu.chat.message;

import java.util.Map;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * One person's "my actions" entries in one room ({@link InboxEntries}): per section, message id to entry. One
 * document per person and room, so a write touches a document as small as one room's open items for one person
 * (not everything a busy doctor has open everywhere), and an inbox is one {@code _id $in} read over the
 * person's rooms. A superset of the truth, checked against the messages when read.
 */
@Document("inboxes")
public record RoomInbox(@Id String id, String roomId, String userId, Map<String, InboxEntries.Entry> asked,
                        Map<String, InboxEntries.Entry> acknowledge, Map<String, InboxEntries.Entry> mentions,
                        Map<String, InboxEntries.Entry> made, Map<String, InboxEntries.Entry> declined) {

    public RoomInbox {
        asked = asked == null ? Map.of() : asked;
        acknowledge = acknowledge == null ? Map.of() : acknowledge;
        mentions = mentions == null ? Map.of() : mentions;
        made = made == null ? Map.of() : made;
        declined = declined == null ? Map.of() : declined;
    }

    /** {@code <roomId>:<userId>}, the same key as the person's membership and read position in the room. */
    public static String idOf(String roomId, String userId) {
        return roomId + ":" + userId;
    }

    public Map<String, InboxEntries.Entry> section(InboxEntries.Section section) {
        return switch (section) {
            case ASKED -> asked;
            case ACKNOWLEDGE -> acknowledge;
            case MENTIONS -> mentions;
            case MADE -> made;
            case DECLINED -> declined;
        };
    }
}
