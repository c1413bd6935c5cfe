package jp.tsunagu.chat.consent;

import java.util.List;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;

/**
 * Who inside the resident's room a grant is for. Everyone it admits must also be an active member of the room
 * (excerpts are only shown there); the resident and their recorded proxies always see their own record.
 *
 * <p>Rule: with no lists at all, every professional member. Professions and facilities narrow: a reader must
 * match each list that is given (the regional guidelines' viewing restrictions per profession and per
 * organisation). Named users are admitted on top of that, and alone they mean "only these people". Family
 * members who are not proxies are admitted only when {@code family} is among the professions.
 */
public record Audience(List<Profession> professions, List<String> facilities, List<String> users) {

    public static final Audience WHOLE_ROOM = new Audience(List.of(), List.of(), List.of());

    public Audience {
        professions = professions == null ? List.of() : List.copyOf(professions);
        facilities = facilities == null ? List.of() : List.copyOf(facilities);
        users = users == null ? List.of() : List.copyOf(users);
    }

    public boolean admits(CareUser reader) {
        if (users.contains(reader.id())) {
            return true;
        }
        boolean narrowed = !professions.isEmpty() || !facilities.isEmpty();
        if (!narrowed) {
            return users.isEmpty() && !reader.profession().isLayPerson();
        }
        return (professions.isEmpty() ? !reader.profession().isLayPerson() : professions.contains(reader.profession()))
                && (facilities.isEmpty() || facilities.contains(reader.facilityId()));
    }
}
