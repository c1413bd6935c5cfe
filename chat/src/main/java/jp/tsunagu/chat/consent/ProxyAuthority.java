package jp.tsunagu.chat.consent;

import java.time.Instant;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A family member recorded as able to act for the resident on consent: approve, decline and revoke grants
 * and see who viewed the record. Recorded by the resident themselves, or by the room's owner (the care
 * manager) with the basis they checked (a guardianship certificate, the resident's consent at a visit…),
 * for residents who cannot use the app. Ending it keeps the record.
 *
 * @param id {@code residentId:userId}
 */
@Document("consent_proxies")
public record ProxyAuthority(@Id String id, String residentId, String roomId, String userId, String displayName,
                             String relationship, String basis, Actor recordedBy, Instant recordedAt, boolean active,
                             Actor endedBy, Instant endedAt) {

    public static String idOf(String residentId, String userId) {
        return residentId + ":" + userId;
    }
}
