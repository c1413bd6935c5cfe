package jp.tsunagu.chat.api;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import jp.tsunagu.chat.audit.AccessLogEntry;
import jp.tsunagu.chat.consent.Actor;
import jp.tsunagu.chat.consent.Audience;
import jp.tsunagu.chat.consent.ConsentGrant;
import jp.tsunagu.chat.consent.ConsentRequest;
import jp.tsunagu.chat.consent.DataPeriod;
import jp.tsunagu.chat.consent.ProxyAuthority;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.connectors.record.RecordItem;

/** Response bodies of the consent, excerpt, access-log and emergency endpoints. Codes are lowercase. */
public final class ConsentViews {

    private ConsentViews() {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ActorView(String userId, String displayName, String profession, String facilityId,
                            String facilityName, String relationship) {
        public static ActorView of(Actor a) {
            return a == null ? null : new ActorView(a.userId(), a.displayName(),
                    a.profession() == null ? null : a.profession().code(), a.facilityId(), a.facilityName(),
                    a.relationship());
        }
    }

    public record AudienceView(List<String> professions, List<String> facilities, List<String> users) {
        public static AudienceView of(Audience a) {
            return new AudienceView(a.professions().stream().map(Profession::code).toList(), a.facilities(), a.users());
        }
    }

    public record PeriodView(LocalDate from, LocalDate to) {
        public static PeriodView of(DataPeriod p) {
            return p == null ? new PeriodView(null, null) : new PeriodView(p.from(), p.to());
        }
    }

    static List<String> codes(List<RecordCategory> categories) {
        return categories.stream().map(RecordCategory::code).toList();
    }

    public record RequestView(String id, String roomId, String residentId, List<String> categories,
                              AudienceView audience, long validDays, PeriodView dataPeriod, String purpose,
                              String replacesGrantId, ActorView requestedBy, Instant requestedAt, String status,
                              ActorView decidedBy, Instant decidedAt, String reason, String grantId) {
        public static RequestView of(ConsentRequest r) {
            return new RequestView(r.id(), r.roomId(), r.residentId(), codes(r.categories()), AudienceView.of(r.audience()),
                    r.validFor().toDays(), PeriodView.of(r.dataPeriod()), r.purpose(), r.replacesGrantId(),
                    ActorView.of(r.requestedBy()), r.requestedAt(), r.status().name().toLowerCase(),
                    ActorView.of(r.decidedBy()), r.decidedAt(), r.reason(), r.grantId());
        }
    }

    /** @param state at the time of the answer: active, revoked, expired or not-yet-valid */
    public record GrantView(String grantId, int version, String status, String state, String roomId,
                            String residentId, List<String> categories, AudienceView audience, Instant validFrom,
                            Instant validUntil, PeriodView dataPeriod, String purpose, String requestId,
                            ActorView requestedBy, ActorView decidedBy, Instant decidedAt, String reason) {
        public static GrantView of(ConsentGrant g, Instant now) {
            return new GrantView(g.grantId(), g.version(), g.status().name().toLowerCase(), g.stateAt(now), g.roomId(),
                    g.residentId(), codes(g.categories()), AudienceView.of(g.audience()), g.validFrom(), g.validUntil(),
                    PeriodView.of(g.dataPeriod()), g.purpose(), g.requestId(), ActorView.of(g.requestedBy()),
                    ActorView.of(g.decidedBy()), g.decidedAt(), g.reason());
        }
    }

    /** What the resident (or a proxy) sees: their grants and the requests waiting for them. */
    public record ConsentOverview(String roomId, String residentId, List<GrantView> grants,
                                  List<RequestView> pendingRequests, List<ProxyView> proxies) {
    }

    public record ProxyView(String userId, String displayName, String relationship, String basis,
                            ActorView recordedBy, Instant recordedAt, boolean active, ActorView endedBy,
                            Instant endedAt) {
        public static ProxyView of(ProxyAuthority p) {
            return new ProxyView(p.userId(), p.displayName(), p.relationship(), p.basis(), ActorView.of(p.recordedBy()),
                    p.recordedAt(), p.active(), ActorView.of(p.endedBy()), p.endedAt());
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ItemView(String id, String code, String codeSystem, String display, java.time.OffsetDateTime effective,
                           List<RecordItem.Value> values, String status, String note) {
        public static ItemView of(RecordItem i) {
            return new ItemView(i.id(), i.code(), i.codeSystem(), i.display(), i.effective(), i.values(), i.status(),
                    i.note());
        }
    }

    /** One category of a card: its data, or why there is none ({@code shown}, {@code source-unavailable}). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SectionView(String category, String state, List<ItemView> items) {
    }

    /**
     * An excerpt card as one reader may see it now. {@code state}: {@code shown} (sections hold data),
     * {@code not-shared} (the reader is outside the scope), {@code revoked}, {@code expired},
     * {@code not-yet-valid}, {@code source-unavailable} (the record source could not answer; nothing shown).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ExcerptView(String messageId, String roomId, String grantId, String kind, String state,
                              String basis, PeriodView period, List<SectionView> sections, Instant decidedAt) {
    }

    /** A line of "who viewed my record". */
    public record ViewerEntry(long seq, Instant at, String action, ActorView viewer, String roomId, String messageId,
                              List<String> categories, int itemCount, String purpose, String basis, String outcome) {
        public static ViewerEntry of(AccessLogEntry e) {
            return new ViewerEntry(e.seq(), e.at(), e.action(), ActorView.of(e.viewer()), e.roomId(), e.messageId(),
                    e.categories(), e.items().size(), e.purpose(), e.basis(), e.outcome());
        }
    }

    public record BreakGlassView(String id, String residentId, String roomId, ActorView openedBy, String reason,
                                 Instant openedAt, Instant expiresAt, boolean reviewed, ActorView reviewedBy,
                                 Instant reviewedAt, String reviewNote) {
    }

    /** The emergency set: allergies, current medication, key conditions and the latest vitals. */
    public record EmergencyRecordView(String breakGlassId, String residentId, Instant expiresAt,
                                      List<SectionView> sections) {
    }
}
