package jp.tsunagu.chat.consent;

import java.time.Instant;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * An emergency opening of a resident's minimal record without their consent, by someone with the emergency
 * role, for a stated reason and a short window. Always flagged for review until an administrator reviews it.
 */
@Document("break_glass")
public record BreakGlass(@Id String id, String residentId, String roomId, Actor openedBy, String reason,
                         Instant openedAt, Instant expiresAt, boolean reviewed, Actor reviewedBy, Instant reviewedAt,
                         String reviewNote) {
}
