package jp.tsunagu.chat.consent;

import java.time.Instant;
import java.util.List;

import jp.tsunagu.connectors.record.RecordCategory;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A room member's request that the resident share a scope of their record. Decided once: its status moves
 * from pending by one conditional write, so two concurrent decisions cannot both win.
 *
 * @param validFor how long the grant lasts from approval
 * @param replacesGrantId when renewing or changing an existing grant: its approval becomes that grant's next
 *                        version, so excerpt cards that reference the grant keep working
 * @param grantId the grant its approval created or changed
 */
@Document("consent_requests")
public record ConsentRequest(@Id String id, String residentId, String roomId, List<RecordCategory> categories,
                             Audience audience, java.time.Duration validFor, DataPeriod dataPeriod, String purpose,
                             String replacesGrantId, Actor requestedBy, Instant requestedAt, Status status,
                             Actor decidedBy, Instant decidedAt, String reason, String grantId) {

    public enum Status { PENDING, APPROVED, DECLINED, WITHDRAWN }
}
