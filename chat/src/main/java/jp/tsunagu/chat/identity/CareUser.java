package jp.tsunagu.chat.identity;

import java.util.Set;

/**
 * The signed-in person, as the identity provider describes them.
 *
 * @param id stable user id (the token subject)
 * @param displayName name shown to others
 * @param profession what they do; residents and family are professions too
 * @param facilityId their facility (事業所), null for residents and family
 * @param facilityName human name of the facility, may be null
 * @param roles extra powers: {@link #FACILITY_ADMIN}, {@link #EMERGENCY}, {@link #SYSTEM_ADMIN}
 */
public record CareUser(String id, String displayName, Profession profession, String facilityId,
                       String facilityName, Set<String> roles) {

    /** May remove departed staff of their own facility from every room. */
    public static final String FACILITY_ADMIN = "facility_admin";
    /** May open the emergency data set (break-glass). */
    public static final String EMERGENCY = "emergency";
    /** Regional IT office: operates connectors and the server. */
    public static final String SYSTEM_ADMIN = "system_admin";

    public CareUser {
        roles = roles == null ? Set.of() : Set.copyOf(roles);
    }

    public boolean hasRole(String role) {
        return roles.contains(role);
    }

    public boolean isFacilityAdminOf(String facility) {
        return facility != null && facility.equals(facilityId) && hasRole(FACILITY_ADMIN);
    }
}
