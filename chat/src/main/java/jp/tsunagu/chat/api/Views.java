package jp.tsunagu.chat.api;

import java.time.Instant;
import java.util.List;

import jp.tsunagu.chat.room.LastMessage;

/** Response bodies that are not a single domain object. */
public final class Views {

    private Views() {
    }

    /** A page of items; {@code nextCursor} is null on the last page. */
    public record Page<T>(List<T> items, String nextCursor) {
    }

    /** A row of "my rooms". */
    public record RoomSummary(RoomView room, String myRole, long unreadCount, long urgentUnreadCount,
                              LastMessage lastMessage, long readUpToSeq) {
    }

    public record RoomDetail(RoomView room, String myRole, List<MemberView> members, long readUpToSeq) {
    }

    /** Who has read a message, grouped by profession, and who has not yet. */
    public record Readers(String messageId, long seq, int readCount, int memberCount, List<ProfessionGroup> read,
                          List<MemberRef> notRead) {
    }

    public record ProfessionGroup(ProfessionView profession, List<MemberRef> members) {
    }

    public record MemberRef(String userId, String displayName, ProfessionView profession, String facilityName,
                            Instant readAt) {
    }

    public record EditHistory(String messageId, List<Version> versions) {
    }

    /** One version of a message; the last is the current text. */
    public record Version(String text, String html, Instant at) {
    }

    public record Departure(String userId, String facilityId, List<String> removedFromRoomIds) {
    }
}
