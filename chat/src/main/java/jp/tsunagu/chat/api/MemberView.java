package jp.tsunagu.chat.api;

import java.time.Instant;

import jp.tsunagu.chat.room.Membership;

/** A room member with profession and facility, as every member sees them. */
public record MemberView(String roomId, String userId, String displayName, ProfessionView profession,
                         String facilityId, String facilityName, String role, boolean active, long seq,
                         Instant joinedAt, Instant removedAt) {

    public static MemberView of(Membership m) {
        return new MemberView(m.roomId(), m.userId(), m.displayName(), ProfessionView.of(m.profession()),
                m.facilityId(), m.facilityName(), m.role().name().toLowerCase(), m.active(), m.seq(),
                m.joinedAt(), m.removedAt());
    }
}
