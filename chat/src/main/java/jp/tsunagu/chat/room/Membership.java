package jp.tsunagu.chat.room;

import java.time.Instant;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

import jp.tsunagu.chat.identity.Profession;

/**
 * One person's place in one room. Removal keeps the record (inactive) so history still names them and a
 * resuming client learns of the removal.
 *
 * @param id {@code roomId:userId}
 * @param seq the room sequence number of the last change to this membership
 */
@Document("memberships")
public record Membership(@Id String id, String roomId, String userId, String displayName, Profession profession,
                         String facilityId, String facilityName, MemberRole role, boolean active, long seq,
                         Instant joinedAt, Instant removedAt, String removedBy) {

    public static String idOf(String roomId, String userId) {
        return roomId + ":" + userId;
    }
}
