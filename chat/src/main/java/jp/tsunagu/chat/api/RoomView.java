package jp.tsunagu.chat.api;

import java.time.Instant;

import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.Resident;

/**
 * A room's own attributes. {@code seq} is the last sequence number used in the room; {@code onCallUserId} the
 * member unacknowledged urgent messages reach at their second escalation.
 */
public record RoomView(String id, String kind, String name, Resident resident, boolean archived, Instant archivedAt,
                       Instant createdAt, Instant lastActivityAt, long seq, long changeSeq, String onCallUserId) {

    public static RoomView of(CareRoom r) {
        return new RoomView(r.id(), r.kind().name().toLowerCase(), r.name(), r.resident(), r.archived(),
                r.archivedAt(), r.createdAt(), r.lastActivityAt(), r.seq(), r.changeSeq(), r.onCallUserId());
    }
}
