package jp.tsunagu.chat.consent;

import jp.tsunagu.chat.handler.RoomAccess;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.RoomKind;
import jp.tsunagu.chat.support.ApiException;

/**
 * A resident's own room, as the consent service works in it: the room, the caller's membership and the
 * resident's id in the regional network, which is whose record it is.
 */
public record PatientRoom(CareRoom room, Membership membership, String residentId) {

    /** 422 unless the room is a patient room whose resident has an external id (records are found by it). */
    public static PatientRoom of(RoomAccess.Member member) {
        CareRoom room = member.room();
        if (room.kind() != RoomKind.PATIENT || room.resident() == null || room.resident().externalResidentId() == null) {
            throw ApiException.unprocessable("roomId",
                    "health records are shared only in a patient room whose resident has an external resident id");
        }
        return new PatientRoom(room, member.membership(), room.resident().externalResidentId());
    }
}
