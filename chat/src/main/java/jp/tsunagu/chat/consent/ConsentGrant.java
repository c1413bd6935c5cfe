package jp.tsunagu.chat.consent;

import java.time.Instant;
import java.util.List;

import jp.tsunagu.connectors.record.RecordCategory;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * One version of a resident's consent: which categories of their record an audience in their room may see,
 * during which time, for which dates of data. Versions are never edited: a change (a renewal, a revocation)
 * is a new version with the next number, and the highest version is the grant's current state. The {@code _id}
 * {@code grantId:version} makes two writers of the same version collide instead of both winning.
 *
 * @param requestId the request this version answered, null for a revocation
 * @param decidedBy who approved (the resident or a proxy, with the relationship) or revoked
 * @param reason the revocation's stated reason, may be null
 */
@Document("consent_grants")
public record ConsentGrant(@Id String id, String grantId, int version, Status status, String residentId, String roomId,
                           List<RecordCategory> categories, Audience audience, Instant validFrom, Instant validUntil,
                           DataPeriod dataPeriod, String purpose, String requestId, Actor requestedBy, Actor decidedBy,
                           Instant decidedAt, String reason) {

    public enum Status { ACTIVE, REVOKED }

    public static String idOf(String grantId, int version) {
        return grantId + ":" + version;
    }

    /** How views and access-log entries name this version: {@code grant:<grantId>:<version>}. */
    public String reference() {
        return "grant:" + grantId + ":" + version;
    }

    /** Whether the grant shows data at {@code now}: the current version, active and inside its validity. */
    public boolean effectiveAt(Instant now) {
        return status == Status.ACTIVE && !now.isBefore(validFrom) && now.isBefore(validUntil);
    }

    /** What readers are told when it does not: revoked, expired, not yet valid, or active. */
    public String stateAt(Instant now) {
        if (status == Status.REVOKED) {
            return "revoked";
        }
        if (!now.isBefore(validUntil)) {
            return "expired";
        }
        return now.isBefore(validFrom) ? "not-yet-valid" : "active";
    }

    /** The next version, revoked now by {@code by}: same scope, so the history shows what was withdrawn. */
    public ConsentGrant revoked(Actor by, Instant at, String why) {
        return new ConsentGrant(idOf(grantId, version + 1), grantId, version + 1, Status.REVOKED, residentId, roomId,
                categories, audience, validFrom, validUntil, dataPeriod, purpose, null, requestedBy, by, at, why);
    }
}
