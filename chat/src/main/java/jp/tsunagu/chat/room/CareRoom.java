package jp.tsunagu.chat.room;

import java.time.Instant;
import java.util.List;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A care room. The document also holds the room's event counter {@code seq}: every change in the room
 * (message, edit, stamp, read, membership) takes the next value, so clients can resume from a number.
 *
 * @param seq the last sequence number handed out in this room; only grows
 * @param changeSeq the sequence number of the last change to the room itself (rename, archive)
 * @param directKey for direct rooms, the two user ids sorted and joined, unique; null otherwise
 * @param bridges the connector instances the room is bridged to (kept by the bridge's links): a message posted
 *                here starts pending for each of them
 * @param onCallUserId the member an urgent message nobody acknowledged reaches at its second escalation (the
 *                     clinic's on-call doctor), set by an owner; null when none
 */
@Document("rooms")
public record CareRoom(@Id String id, RoomKind kind, String name, Resident resident, boolean archived,
                       Instant archivedAt, String archivedBy, Instant createdAt, String createdBy, long seq,
                       long changeSeq, LastMessage lastMessage, Instant lastActivityAt, String directKey,
                       List<String> bridges, String onCallUserId) {

    /** A room with no on-call contact. */
    public CareRoom(String id, RoomKind kind, String name, Resident resident, boolean archived, Instant archivedAt,
                    String archivedBy, Instant createdAt, String createdBy, long seq, long changeSeq,
                    LastMessage lastMessage, Instant lastActivityAt, String directKey, List<String> bridges) {
        this(id, kind, name, resident, archived, archivedAt, archivedBy, createdAt, createdBy, seq, changeSeq,
                lastMessage, lastActivityAt, directKey, bridges, null);
    }
}
