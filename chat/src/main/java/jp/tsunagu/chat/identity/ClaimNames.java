package jp.tsunagu.chat.identity;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Which JWT claims carry the care attributes. Defaults suit the demo issuer; for Keycloak, map user
 * attributes to these claim names with protocol mappers (see docs/SECURITY.md) or rename them here.
 */
@ConfigurationProperties("tsunagu.security.claims")
public record ClaimNames(String userId, String displayName, String profession, String facility,
                         String facilityName, String roles) {

    public ClaimNames {
        userId = orDefault(userId, "sub");
        displayName = orDefault(displayName, "name");
        profession = orDefault(profession, "profession");
        facility = orDefault(facility, "facility");
        facilityName = orDefault(facilityName, "facility_name");
        roles = orDefault(roles, "roles");
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
