package jp.tsunagu.chat.consent;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;

/**
 * A person as consent records and access logs name them: copied at the time, so a record still says who it
 * was after the person changes facility or leaves.
 *
 * @param relationship for a family proxy, their recorded relationship to the resident (長女, 妻…); else null
 */
public record Actor(String userId, String displayName, Profession profession, String facilityId, String facilityName,
                    String relationship) {

    public static Actor of(CareUser user) {
        return new Actor(user.id(), user.displayName(), user.profession(), user.facilityId(), user.facilityName(), null);
    }

    public static Actor proxy(CareUser user, String relationship) {
        return new Actor(user.id(), user.displayName(), user.profession(), user.facilityId(), user.facilityName(),
                relationship);
    }
}
