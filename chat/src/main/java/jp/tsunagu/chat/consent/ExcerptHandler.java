package jp.tsunagu.chat.consent;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;


import jp.tsunagu.chat.api.ConsentRequests;
import jp.tsunagu.chat.api.ConsentViews;
import jp.tsunagu.chat.audit.AccessLog;
import jp.tsunagu.chat.audit.AccessLogEntry;
import jp.tsunagu.chat.handler.MessageHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.connectors.record.RecordItem;
import reactor.core.publisher.Mono;

/**
 * Excerpt cards: a member posts a card that references a grant and items of the resident's record; every read
 * decides, for that reader and at that moment, against the grant's current version, whether they see data or
 * a placeholder, and every read and every post is written to the access log before anything is returned.
 *
 * <p>Who sees data: while the grant is effective (active, inside its validity), the resident, their active
 * proxies, and the members the grant's audience admits. Only the categories both the card and the grant's
 * current version name, only data inside the grant's data period and the card's window.
 */
public final class ExcerptHandler {

    /** Card presets: the categories they may show, the default window of data in days, how items are picked. */
    public enum Kind {
        LABS(List.of(RecordCategory.LAB), 365, RecordReader.Pick.LATEST_PER_CODE, "最新の検査結果"),
        MEDICATION(List.of(RecordCategory.MEDICATION), 90, RecordReader.Pick.ALL, "服薬中のお薬"),
        VITALS(List.of(RecordCategory.VITAL_BP, RecordCategory.VITAL_WEIGHT, RecordCategory.VITAL_GLUCOSE), 30,
                RecordReader.Pick.ALL, "バイタルの推移"),
        ALLERGY(List.of(RecordCategory.ALLERGY), 0, RecordReader.Pick.ALL, "アレルギー"),
        MEMO(List.of(RecordCategory.MEMO), 30, RecordReader.Pick.ALL, "ご本人のメモ");

        final List<RecordCategory> categories;
        /** 0: no window of its own (allergies hold whenever they were recorded); only the grant's period applies. */
        final int defaultDays;
        final RecordReader.Pick pick;
        final String title;

        Kind(List<RecordCategory> categories, int defaultDays, RecordReader.Pick pick, String title) {
            this.categories = categories;
            this.defaultDays = defaultDays;
            this.pick = pick;
            this.title = title;
        }

        String code() {
            return name().toLowerCase();
        }
    }

    /** A year of data covers the yearly check-ups a trend or a lab history is read against. */
    public static final int MAX_DAYS = 366;
    /** A card picks a few tests (HbA1c, eGFR…), not a whole panel catalogue. */
    public static final int MAX_CODES = 20;
    public static final int MAX_CARD_TEXT = 500;

    private final ConsentHandler consent;
    private final MessageHandler messagesHandler;
    private final MessageStore messages;
    private final RecordReader reader;
    private final AccessLog log;
    private final Clock clock;

    public ExcerptHandler(ConsentHandler consent, MessageHandler messagesHandler, MessageStore messages,
                          RecordReader reader, AccessLog log, Clock clock) {
        this.consent = consent;
        this.messagesHandler = messagesHandler;
        this.messages = messages;
        this.reader = reader;
        this.log = log;
        this.clock = clock;
    }

    /**
     * Posts an excerpt card. The grant must belong to the room and be effective (409 otherwise), the poster must be
     * inside its scope (403), and the card's categories must be in the grant (422 naming the field). The embed
     * is logged. With an idempotency key a retry returns the stored card.
     */
    public Mono<MessageHandler.Posted> post(CareUser user, String roomId, ConsentRequests.ExcerptInput body,
                                           String idempotencyKey) {
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        String grantId = Ids.require("grantId", body.grantId());
        if (body.kind() == null || body.kind().isBlank()) {
            throw ApiException.invalid("kind", "is required");
        }
        Kind kind = ConsentHandler.enumOf(Kind.class, "kind", body.kind());
        boolean chosen = body.categories() != null && !body.categories().isEmpty();
        List<RecordCategory> named = chosen ? ConsentHandler.categories("categories", body.categories()) : kind.categories;
        for (int i = 0; i < named.size(); i++) {
            if (!kind.categories.contains(named.get(i))) {
                throw ApiException.invalid("categories[" + i + "]", "is not shown by a " + kind.code() + " card");
            }
        }
        int days = body.days() == null ? kind.defaultDays : body.days();
        if (kind.defaultDays == 0 && body.days() != null) {
            throw ApiException.invalid("days", "an " + kind.code() + " card shows every entry; leave days out");
        }
        if (kind.defaultDays > 0 && (days < 1 || days > MAX_DAYS)) {
            throw ApiException.invalid("days", "must be between 1 and " + MAX_DAYS);
        }
        List<String> codes = body.codes() == null ? List.of() : body.codes();
        if (codes.size() > MAX_CODES) {
            throw ApiException.invalid("codes", "at most " + MAX_CODES);
        }
        for (int i = 0; i < codes.size(); i++) {
            ConsentHandler.requiredText("codes[" + i + "]", codes.get(i), 64);
        }
        String note = body.text() == null || body.text().isBlank() ? null
                : ConsentHandler.requiredText("text", body.text(), MAX_CARD_TEXT);
        return consent.patientRoom(user, roomId).flatMap(room -> consent.current(roomId, grantId).flatMap(grant -> {
            Instant now = clock.instant();
            if (!grant.effectiveAt(now)) {
                return Mono.error(ApiException.conflict("grant-not-effective", "the grant is " + grant.stateAt(now)));
            }
            // Categories the card names must all be shared; a card that names none shows those of its kind the grant has.
            for (int i = 0; chosen && i < named.size(); i++) {
                if (!grant.categories().contains(named.get(i))) {
                    throw ApiException.unprocessable("categories[" + i + "]", "is not shared by this grant");
                }
            }
            List<RecordCategory> categories = named.stream().filter(grant.categories()::contains).toList();
            if (categories.isEmpty()) {
                throw ApiException.unprocessable("kind", "the grant shares nothing a " + kind.code() + " card shows");
            }
            return admitted(user, room, grant).switchIfEmpty(Mono.error(() ->
                            ApiException.forbidden("you are outside the scope of this grant")))
                    .flatMap(basis -> {
                        Message.Excerpt card = new Message.Excerpt(room.residentId(), grantId, kind.code(),
                                categories.stream().map(RecordCategory::code).toList(), days, codes, grant.stateAt(now));
                        String text = "【健康記録の共有】" + kind.title + "（" + String.join("・",
                                categories.stream().map(RecordCategory::code).toList()) + "）"
                                + (note == null ? "" : "\n" + note)
                                + "\nご本人が同意した範囲の方だけが、つなぐで内容を見られます。";
                        return messagesHandler.postExcerpt(user, roomId, text, card, idempotencyKey)
                                .flatMap(posted -> posted.replayed() ? Mono.just(posted)
                                        : log.append(entry(user, basis, "embed", room, posted.message().id(), card.categories(),
                                                List.of(), grant, "embedded", now)).thenReturn(posted));
                    });
        }));
    }

    /**
     * Reads a card as the caller may see it now, logging the read first. 404 for non-members and for messages that
     * are no card of this room; a source failure gives {@code source-unavailable} sections, never a 5xx.
     */
    public Mono<ConsentViews.ExcerptView> read(CareUser user, String roomId, String messageId) {
        Ids.require("messageId", messageId);
        return consent.patientRoom(user, roomId).flatMap(room -> messages.findById(messageId)
                .filter(m -> m.roomId().equals(roomId) && m.excerpt() != null && m.deleted() == null)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("excerpt")))
                .flatMap(m -> consent.current(roomId, m.excerpt().grantId())
                        .onErrorResume(ApiException.class, e -> Mono.empty())
                        .flatMap(g -> decide(user, room, m, g))
                        .switchIfEmpty(Mono.fromSupplier(() -> closed(m, "not-shared", null, null)))));
    }

    /** A page of "who viewed my record" (newest first, before entry {@code beforeSeq} if given), for the resident and proxies. */
    public Mono<List<ConsentViews.ViewerEntry>> views(CareUser user, String roomId, Long beforeSeq, int limit) {
        if (beforeSeq != null && beforeSeq < 1) {
            throw ApiException.invalid("before", "must be a positive entry number");
        }
        return consent.patientRoom(user, roomId)
                .flatMap(room -> consent.requireResidentVoice(user, room,
                                "only the resident and their proxies see who viewed the record")
                        .then(log.ofResident(room.residentId(), beforeSeq, limit).map(ConsentViews.ViewerEntry::of)
                                .collectList()));
    }

    private Mono<ConsentViews.ExcerptView> decide(CareUser user, PatientRoom room, Message m, ConsentGrant grant) {
        Instant now = clock.instant();
        Message.Excerpt card = m.excerpt();
        List<String> asked = card.categories();
        if (!grant.effectiveAt(now)) {
            String state = grant.stateAt(now);
            return log.append(entry(user, null, "view", room, m.id(), asked, List.of(), grant, state, now))
                    .thenReturn(closed(m, state, null, null));
        }
        return admitted(user, room, grant)
                .flatMap(basis -> {
                    Kind kind = ConsentHandler.enumOf(Kind.class, "kind", card.kind());
                    List<RecordCategory> shown = asked.stream().map(c -> RecordCategory.parse(c).orElse(null))
                            .filter(c -> c != null && grant.categories().contains(c)).toList();
                    LocalDate today = LocalDate.ofInstant(now, RecordReader.JAPAN);
                    DataPeriod window = card.days() <= 0 ? DataPeriod.ALL
                            : new DataPeriod(today.minusDays(card.days() - 1L), today);
                    DataPeriod period = grant.dataPeriod() == null ? window : grant.dataPeriod().intersect(window);
                    return reader.read(room.residentId(), shown, period, card.codes(), kind.pick)
                            .flatMap(sections -> {
                                boolean any = sections.stream().anyMatch(RecordReader.Section::available);
                                String outcome = any ? "shown" : "source-unavailable";
                                List<String> items = new ArrayList<>();
                                sections.forEach(s -> s.items().forEach(i -> items.add(i.id())));
                                List<String> categories = sections.stream().filter(RecordReader.Section::available)
                                        .map(s -> s.category().code()).toList();
                                return log.append(entry(user, basis, "view", room, m.id(),
                                                any ? categories : asked, items, grant, outcome, now))
                                        .thenReturn(new ConsentViews.ExcerptView(m.id(), m.roomId(), card.grantId(),
                                                card.kind(), outcome, grant.reference(),
                                                ConsentViews.PeriodView.of(period),
                                                sections.stream().map(RecordReader.Section::view).toList(), now));
                            });
                })
                .switchIfEmpty(Mono.defer(() -> log.append(entry(user, null, "view", room, m.id(), asked, List.of(),
                                grant, "not-shared", now))
                        .thenReturn(closed(m, "not-shared", null, null))));
    }

    /**
     * Why the caller may see data under the grant: {@code self}, {@code proxy} or {@code audience}; empty when the
     * grant does not admit them. Assumes the grant is effective and the caller is a member of its room.
     */
    Mono<String> admitted(CareUser user, PatientRoom room, ConsentGrant grant) {
        return consent.residentVoice(user, room)
                .map(voice -> voice.relationship() == null ? "self" : "proxy")
                .switchIfEmpty(Mono.fromSupplier(() -> grant.audience().admits(user) ? "audience" : null));
    }

    private ConsentViews.ExcerptView closed(Message m, String state, String basis, ConsentViews.PeriodView period) {
        return new ConsentViews.ExcerptView(m.id(), m.roomId(), m.excerpt().grantId(), m.excerpt().kind(), state, basis,
                period, null, clock.instant());
    }

    private static AccessLogEntry entry(CareUser user, String admittedAs, String action, PatientRoom room,
                                        String messageId, List<String> categories, List<String> items,
                                        ConsentGrant grant, String outcome, Instant at) {
        String basis = admittedAs == null ? null : grant.reference() + ":" + admittedAs;
        return new AccessLogEntry(0, at, action, Actor.of(user), room.residentId(), room.room().id(), messageId,
                categories, items, grant.purpose(), basis, outcome, null, null);
    }

}
