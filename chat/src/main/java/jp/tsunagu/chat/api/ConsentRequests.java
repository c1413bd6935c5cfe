package jp.tsunagu.chat.api;

import java.time.LocalDate;
import java.util.List;

/** Request bodies of the consent, excerpt and emergency endpoints; checked by the handlers, field by field. */
public final class ConsentRequests {

    private ConsentRequests() {
    }

    /**
     * Ask the resident to share a scope. {@code validDays}: how long the grant lasts from approval (default 180,
     * at most 730); {@code dataPeriod}: which dates of data (optional); {@code replacesGrantId}: renew or change
     * that grant (its approval becomes the grant's next version).
     */
    public record ScopeRequest(List<String> categories, AudienceInput audience, Integer validDays,
                               PeriodInput dataPeriod, String purpose, String replacesGrantId) {
    }

    public record AudienceInput(List<String> professions, List<String> facilities, List<String> users) {
    }

    public record PeriodInput(LocalDate from, LocalDate to) {
    }

    /** An optional reason for declining or revoking. */
    public record Reason(String reason) {
    }

    /** {@code basis} is required when the room's owner records the proxy, not when the resident does. */
    public record ProxyInput(String userId, String relationship, String basis) {
    }

    /**
     * Post an excerpt card under a grant. {@code kind}: labs, medication, vitals, allergy or memo; {@code days}: the
     * window of data shown (defaults per kind); {@code codes}: only these items (e.g. the HbA1c code).
     */
    public record ExcerptInput(String grantId, String kind, List<String> categories, Integer days, List<String> codes,
                               String text) {
    }

    /** Break-glass: whose record and why (required). */
    public record EmergencyInput(String residentId, String reason) {
    }

    public record ReviewInput(String note) {
    }
}
