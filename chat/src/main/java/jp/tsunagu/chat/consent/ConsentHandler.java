package jp.tsunagu.chat.consent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import jp.tsunagu.chat.api.ConsentRequests;
import jp.tsunagu.chat.api.ConsentViews;
import jp.tsunagu.chat.handler.RoomAccess;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.room.MemberRole;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.connectors.record.RecordCategory;
import org.springframework.dao.DuplicateKeyException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The consent scope service: members request a scope of the resident's record, the resident or a recorded
 * family proxy approves or declines it from their own session, and may revoke it at any time.
 *
 * <p>Rules: default deny (nothing is shown without an effective grant). Only professionals request; only the
 * resident (the room's member with the resident role) or an active proxy decides, revokes, and records or
 * ends proxies (the room's owner may record a proxy too, stating the basis). Grants are versioned: approval
 * of a request that replaces a grant, and revocation, insert the grant's next version; nothing is edited.
 * Errors: 404 for non-members and unknown ids, 403 for who may not, 409 for a request already decided or
 * a grant already revoked, 400/422 naming the field for bad input.
 */
public final class ConsentHandler {

    /** The kinds of decision counted for metrics. */
    public static final List<String> DECISIONS = List.of("approved", "declined", "withdrawn", "revoked");

    /** Consent for home care is usually renewed at the care plan's review, every six months. */
    public static final int DEFAULT_VALID_DAYS = 180;
    /** Two years: the longest care-plan certification period (要介護認定の有効期間). */
    public static final int MAX_VALID_DAYS = 730;
    /** A purpose is a sentence or two; this bounds what lands in every access-log entry. */
    public static final int MAX_PURPOSE = 500;
    /** Named people, facilities and professions of one audience: a room's team, not a directory. */
    public static final int MAX_AUDIENCE = 50;

    private final GrantStore grants;
    private final ConsentRequestStore requests;
    private final ProxyStore proxies;
    private final MembershipStore memberships;
    private final RoomAccess access;
    private final ExcerptAnnouncer announcer;
    private final Clock clock;

    /** Decisions taken on this node since it started, by kind. */
    private final Map<String, AtomicLong> decided = Map.of("approved", new AtomicLong(), "declined", new AtomicLong(),
            "withdrawn", new AtomicLong(), "revoked", new AtomicLong());

    public ConsentHandler(GrantStore grants, ConsentRequestStore requests, ProxyStore proxies,
                          MembershipStore memberships, RoomAccess access, ExcerptAnnouncer announcer, Clock clock) {
        this.grants = grants;
        this.requests = requests;
        this.proxies = proxies;
        this.memberships = memberships;
        this.access = access;
        this.announcer = announcer;
        this.clock = clock;
    }

    /** Decisions of one kind ({@link #DECISIONS}) taken on this node since it started; for metrics. */
    public long decisions(String kind) {
        AtomicLong n = decided.get(kind);
        return n == null ? 0 : n.get();
    }

    private <T> Mono<T> counted(String kind, Mono<T> decision) {
        return decision.doOnSuccess(done -> {
            if (done != null) {
                decided.get(kind).incrementAndGet();
            }
        });
    }

    /** The caller's patient room, or 404 (non-members) / 422 (not a patient room with a resident id). */
    public Mono<PatientRoom> patientRoom(CareUser user, String roomId) {
        Ids.require("roomId", roomId);
        return access.require(user, roomId).map(PatientRoom::of);
    }

    /**
     * Who the caller is when they act for the resident: the resident themselves, or an active proxy (with the
     * recorded relationship). Empty for everyone else.
     */
    public Mono<Actor> residentVoice(CareUser user, PatientRoom room) {
        if (room.membership().role() == MemberRole.RESIDENT) {
            return Mono.just(Actor.of(user));
        }
        if (user.profession() != Profession.FAMILY) {
            return Mono.empty();
        }
        return proxies.findActive(room.residentId(), user.id()).map(p -> Actor.proxy(user, p.relationship()));
    }

    private Mono<Actor> requireResidentVoice(CareUser user, PatientRoom room) {
        return requireResidentVoice(user, room, "only the resident or a family member recorded as their proxy may do this");
    }

    /** As {@link #residentVoice}, or 403 with {@code detail} for everyone else. */
    public Mono<Actor> requireResidentVoice(CareUser user, PatientRoom room, String detail) {
        return residentVoice(user, room).switchIfEmpty(Mono.error(() -> ApiException.forbidden(detail)));
    }

    // ---- requests ----

    /** A professional member asks the resident to share a scope. 201 with the pending request. */
    public Mono<ConsentViews.RequestView> request(CareUser user, String roomId, ConsentRequests.ScopeRequest body) {
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        List<RecordCategory> categories = categories("categories", body.categories());
        Audience audience = audience(body.audience());
        int validDays = body.validDays() == null ? DEFAULT_VALID_DAYS : body.validDays();
        if (validDays < 1 || validDays > MAX_VALID_DAYS) {
            throw ApiException.invalid("validDays", "must be between 1 and " + MAX_VALID_DAYS);
        }
        DataPeriod period = period(body.dataPeriod());
        String purpose = purpose(body.purpose());
        String replaces = body.replacesGrantId() == null ? null : Ids.require("replacesGrantId", body.replacesGrantId());
        return patientRoom(user, roomId).flatMap(room -> {
            if (user.profession().isLayPerson()) {
                return Mono.error(ApiException.forbidden("requests come from the care team"));
            }
            if (room.room().archived()) {
                return Mono.error(ApiException.conflict("room-archived", "the room is archived and read-only"));
            }
            Mono<Void> replaced = replaces == null ? Mono.empty() : grants.current(replaces)
                    .filter(g -> g.roomId().equals(roomId))
                    .switchIfEmpty(Mono.error(() -> ApiException.unprocessable("replacesGrantId", "no such grant in this room")))
                    .then();
            Mono<Void> named = Flux.fromIterable(audience.users()).index()
                    .concatMap(iu -> memberships.findActive(roomId, iu.getT2())
                            .switchIfEmpty(Mono.error(() -> ApiException.unprocessable("audience.users[" + iu.getT1() + "]",
                                    "is not a member of this room"))))
                    .then();
            ConsentRequest r = new ConsentRequest(Ids.newId(), room.residentId(), roomId, categories, audience,
                    Duration.ofDays(validDays), period, purpose, replaces, Actor.of(user), clock.instant(),
                    ConsentRequest.Status.PENDING, null, null, null, null);
            return replaced.then(named).then(requests.insert(r)).map(ConsentViews.RequestView::of);
        });
    }

    /** The room's requests, newest first, for every member. {@code status}: pending, approved… or null. */
    public Flux<ConsentViews.RequestView> requests(CareUser user, String roomId, String status) {
        ConsentRequest.Status s = status == null || status.isBlank() ? null : enumOf(ConsentRequest.Status.class, "status", status);
        return patientRoom(user, roomId).flatMapMany(room -> requests.ofRoom(roomId, s)).map(ConsentViews.RequestView::of);
    }

    /**
     * The resident or a proxy approves a pending request exactly as asked: the grant (or, for a renewal, the
     * grant's next version) is active from now. 409 if the request was decided already.
     */
    public Mono<ConsentViews.GrantView> approve(CareUser user, String roomId, String requestId) {
        Ids.require("requestId", requestId);
        return counted("approved", patientRoom(user, roomId).flatMap(room -> requireResidentVoice(user, room).flatMap(voice ->
                pendingRequest(roomId, requestId).flatMap(r -> {
                    Instant now = clock.instant();
                    Mono<Integer> nextVersion = r.replacesGrantId() == null ? Mono.just(1)
                            : grants.current(r.replacesGrantId()).map(g -> g.version() + 1).defaultIfEmpty(1);
                    String grantId = r.replacesGrantId() == null ? Ids.newId() : r.replacesGrantId();
                    return requests.decide(requestId, ConsentRequest.Status.APPROVED, voice, now, null, grantId)
                            .switchIfEmpty(Mono.error(() -> ApiException.conflict("request-decided", "the request was already decided")))
                            .then(nextVersion)
                            .flatMap(v -> grants.insert(new ConsentGrant(ConsentGrant.idOf(grantId, v), grantId, v,
                                    ConsentGrant.Status.ACTIVE, r.residentId(), roomId, r.categories(), r.audience(), now,
                                    now.plus(r.validFor()), r.dataPeriod(), r.purpose(), r.id(), r.requestedBy(), voice, now, null)))
                            .flatMap(g -> (g.version() > 1 ? announcer.announce(g) : Mono.<Void>empty())
                                    .thenReturn(ConsentViews.GrantView.of(g, now)));
                }))));
    }

    /** The resident or a proxy declines; the reason is optional. 409 if already decided. */
    public Mono<ConsentViews.RequestView> decline(CareUser user, String roomId, String requestId, String reason) {
        Ids.require("requestId", requestId);
        String why = optionalText("reason", reason);
        return counted("declined", patientRoom(user, roomId).flatMap(room -> requireResidentVoice(user, room).flatMap(voice ->
                pendingRequest(roomId, requestId).then(requests.decide(requestId, ConsentRequest.Status.DECLINED, voice,
                        clock.instant(), why, null))
                        .switchIfEmpty(Mono.error(() -> ApiException.conflict("request-decided", "the request was already decided")))
                        .map(ConsentViews.RequestView::of))));
    }

    /** The member who asked withdraws a pending request. */
    public Mono<ConsentViews.RequestView> withdraw(CareUser user, String roomId, String requestId) {
        Ids.require("requestId", requestId);
        return counted("withdrawn", patientRoom(user, roomId).flatMap(room -> pendingRequest(roomId, requestId).flatMap(r -> {
            if (!r.requestedBy().userId().equals(user.id())) {
                return Mono.error(ApiException.forbidden("only the member who asked may withdraw the request"));
            }
            return requests.decide(requestId, ConsentRequest.Status.WITHDRAWN, Actor.of(user), clock.instant(), null, null)
                    .switchIfEmpty(Mono.error(() -> ApiException.conflict("request-decided", "the request was already decided")))
                    .map(ConsentViews.RequestView::of);
        })));
    }

    private Mono<ConsentRequest> pendingRequest(String roomId, String requestId) {
        return requests.findById(requestId).filter(r -> r.roomId().equals(roomId))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("request")))
                .flatMap(r -> r.status() == ConsentRequest.Status.PENDING ? Mono.just(r)
                        : Mono.error(ApiException.conflict("request-decided", "the request was already " + r.status().name().toLowerCase())));
    }

    // ---- grants ----

    /** The current version of every grant of the room, for every member: what is shared, with whom, until when. */
    public Flux<ConsentViews.GrantView> grants(CareUser user, String roomId) {
        Instant now = clock.instant();
        return patientRoom(user, roomId).flatMapMany(room -> grants.currentOfRoom(roomId))
                .map(g -> ConsentViews.GrantView.of(g, now));
    }

    /** Every version of one grant, oldest first. */
    public Flux<ConsentViews.GrantView> versions(CareUser user, String roomId, String grantId) {
        Ids.require("grantId", grantId);
        Instant now = clock.instant();
        return patientRoom(user, roomId).flatMapMany(room -> grants.versions(grantId))
                .filter(g -> g.roomId().equals(roomId))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("grant")))
                .map(g -> ConsentViews.GrantView.of(g, now));
    }

    /** The current version of a grant of this room, or 404. */
    public Mono<ConsentGrant> current(String roomId, String grantId) {
        return grants.current(grantId).filter(g -> g.roomId().equals(roomId))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("grant")));
    }

    /**
     * The resident or a proxy revokes a grant: its next version is revoked, which every read sees at once, and
     * every excerpt card under it is announced to open connections ({@code message.excerpt}). 409 if it is
     * revoked already.
     */
    public Mono<ConsentViews.GrantView> revoke(CareUser user, String roomId, String grantId, String reason) {
        Ids.require("grantId", grantId);
        String why = optionalText("reason", reason);
        return counted("revoked", patientRoom(user, roomId).flatMap(room -> requireResidentVoice(user, room).flatMap(voice ->
                current(roomId, grantId).flatMap(g -> {
                    if (g.status() == ConsentGrant.Status.REVOKED) {
                        return Mono.error(ApiException.conflict("grant-revoked", "the grant is already revoked"));
                    }
                    Instant now = clock.instant();
                    return grants.insert(g.revoked(voice, now, why))
                            .onErrorMap(DuplicateKeyException.class, e -> ApiException.conflict("grant-changed",
                                    "the grant changed at the same moment; read it again"))
                            .flatMap(revoked -> announcer.announce(revoked).thenReturn(ConsentViews.GrantView.of(revoked, now)));
                }))));
    }

    /** The resident's or proxy's overview: grants, pending requests and proxies. 403 for anyone else. */
    public Mono<ConsentViews.ConsentOverview> overview(CareUser user, String roomId) {
        Instant now = clock.instant();
        return patientRoom(user, roomId).flatMap(room -> requireResidentVoice(user, room).then(Mono.zip(
                grants.currentOfRoom(roomId).map(g -> ConsentViews.GrantView.of(g, now)).collectList(),
                requests.ofRoom(roomId, ConsentRequest.Status.PENDING).map(ConsentViews.RequestView::of).collectList(),
                proxies.ofResident(room.residentId()).map(ConsentViews.ProxyView::of).collectList())
                .map(t -> new ConsentViews.ConsentOverview(roomId, room.residentId(), t.getT1(), t.getT2(), t.getT3()))));
    }

    /** A grant as a FHIR R4 Consent resource, for exchange with the regional network. */
    public Mono<Map<String, Object>> fhirConsent(CareUser user, String roomId, String grantId) {
        Ids.require("grantId", grantId);
        return patientRoom(user, roomId).flatMap(room -> current(roomId, grantId))
                .map(g -> FhirConsent.of(g, clock.instant()));
    }

    // ---- proxies ----

    public Flux<ConsentViews.ProxyView> proxies(CareUser user, String roomId) {
        return patientRoom(user, roomId).flatMapMany(room -> proxies.ofResident(room.residentId()))
                .map(ConsentViews.ProxyView::of);
    }

    /**
     * Records a family member of the room as the resident's proxy. The resident may do so; the room's owner
     * may too, stating the basis they checked ({@code basis} required then). The person must be a family
     * member of this room. Recording again an ended proxy starts a new record.
     */
    public Mono<ConsentViews.ProxyView> recordProxy(CareUser user, String roomId, ConsentRequests.ProxyInput body) {
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        String userId = Ids.requireUserId("userId", body.userId());
        String relationship = requiredText("relationship", body.relationship(), 50);
        String basisIn = body.basis() == null || body.basis().isBlank() ? null : requiredText("basis", body.basis(), MAX_PURPOSE);
        return patientRoom(user, roomId).flatMap(room -> residentVoice(user, room)
                .filter(v -> room.membership().role() == MemberRole.RESIDENT)
                .map(v -> "本人による指名")
                .switchIfEmpty(Mono.defer(() -> {
                    if (!room.membership().role().canManage()) {
                        return Mono.error(ApiException.forbidden("the resident or the room's owner records proxies"));
                    }
                    if (basisIn == null) {
                        return Mono.error(ApiException.invalid("basis", "is required when the room's owner records a proxy"));
                    }
                    return Mono.just(basisIn);
                }))
                .flatMap(basis -> memberships.findActive(roomId, userId)
                        .filter(m -> m.role() == MemberRole.FAMILY)
                        .switchIfEmpty(Mono.error(() -> ApiException.unprocessable("userId", "is not a family member of this room")))
                        .flatMap(m -> proxies.save(new ProxyAuthority(ProxyAuthority.idOf(room.residentId(), userId),
                                room.residentId(), roomId, userId, m.displayName(), relationship, basis, Actor.of(user),
                                clock.instant(), true, null, null)))))
                .map(ConsentViews.ProxyView::of);
    }

    /** Ends a proxy: the resident, the room's owner or the proxy themselves. 404 if there is no active one. */
    public Mono<ConsentViews.ProxyView> endProxy(CareUser user, String roomId, String userId) {
        Ids.requireUserId("userId", userId);
        return patientRoom(user, roomId).flatMap(room -> {
            boolean allowed = room.membership().role() == MemberRole.RESIDENT || room.membership().role().canManage()
                    || user.id().equals(userId);
            if (!allowed) {
                return Mono.error(ApiException.forbidden("the resident, the room's owner or the proxy ends a proxy"));
            }
            return proxies.end(room.residentId(), userId, Actor.of(user), clock.instant())
                    .switchIfEmpty(Mono.error(() -> ApiException.notFound("proxy")))
                    .map(ConsentViews.ProxyView::of);
        });
    }

    // ---- input checks ----

    static List<RecordCategory> categories(String field, List<String> codes) {
        if (codes == null || codes.isEmpty()) {
            throw ApiException.invalid(field, "name at least one category");
        }
        LinkedHashSet<RecordCategory> out = new LinkedHashSet<>();
        for (int i = 0; i < codes.size(); i++) {
            int at = i;
            RecordCategory c = RecordCategory.parse(codes.get(i)).filter(RecordCategory::grantable)
                    .orElseThrow(() -> ApiException.invalid(field + "[" + at + "]",
                            "must be one of lab, medication, vital.bp, vital.weight, vital.glucose, allergy, memo"));
            out.add(c);
        }
        return List.copyOf(out);
    }

    private static Audience audience(ConsentRequests.AudienceInput in) {
        if (in == null) {
            return Audience.WHOLE_ROOM;
        }
        List<Profession> professions = new ArrayList<>();
        List<String> ps = in.professions() == null ? List.of() : in.professions();
        bounded("audience.professions", ps);
        for (int i = 0; i < ps.size(); i++) {
            int at = i;
            professions.add(Profession.parse(ps.get(i)).filter(p -> p != Profession.RESIDENT)
                    .orElseThrow(() -> ApiException.invalid("audience.professions[" + at + "]", "is not a known profession")));
        }
        List<String> fs = in.facilities() == null ? List.of() : in.facilities();
        bounded("audience.facilities", fs);
        for (int i = 0; i < fs.size(); i++) {
            Ids.requireUserId("audience.facilities[" + i + "]", fs.get(i));
        }
        List<String> us = in.users() == null ? List.of() : in.users();
        bounded("audience.users", us);
        for (int i = 0; i < us.size(); i++) {
            Ids.requireUserId("audience.users[" + i + "]", us.get(i));
        }
        return new Audience(professions.stream().distinct().toList(), fs.stream().distinct().toList(),
                us.stream().distinct().toList());
    }

    private static void bounded(String field, List<String> values) {
        if (values.size() > MAX_AUDIENCE) {
            throw ApiException.invalid(field, "at most " + MAX_AUDIENCE + " entries");
        }
    }

    private static DataPeriod period(ConsentRequests.PeriodInput in) {
        if (in == null || (in.from() == null && in.to() == null)) {
            return DataPeriod.ALL;
        }
        if (in.from() != null && in.to() != null && in.to().isBefore(in.from())) {
            throw ApiException.invalid("dataPeriod.to", "must not be before dataPeriod.from");
        }
        return new DataPeriod(in.from(), in.to());
    }

    private static String purpose(String purpose) {
        return requiredText("purpose", purpose, MAX_PURPOSE);
    }

    static String requiredText(String field, String value, int max) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalid(field, "is required");
        }
        String v = value.strip();
        if (v.length() > max) {
            throw ApiException.invalid(field, "at most " + max + " characters");
        }
        return v;
    }

    private static String optionalText(String field, String value) {
        return value == null || value.isBlank() ? null : requiredText(field, value, MAX_PURPOSE);
    }

    static <E extends Enum<E>> E enumOf(Class<E> type, String field, String value) {
        try {
            return Enum.valueOf(type, value.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(field, "is not a known value");
        }
    }
}
