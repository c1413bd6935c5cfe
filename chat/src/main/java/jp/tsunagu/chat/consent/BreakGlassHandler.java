package jp.tsunagu.chat.consent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import jp.tsunagu.chat.api.ConsentRequests;
import jp.tsunagu.chat.api.ConsentViews;
import jp.tsunagu.chat.audit.AccessLog;
import jp.tsunagu.chat.audit.AccessLogEntry;
import jp.tsunagu.chat.handler.AdminAccess;
import jp.tsunagu.chat.handler.MessageHandler;
import jp.tsunagu.chat.handler.RoomHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.connectors.record.RecordCategory;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * Emergency break-glass: a user with the emergency role opens a resident's minimal emergency set (allergies,
 * current medication, key conditions, latest vitals) with a stated reason, for a short window. The opening
 * posts an urgent notice in the resident's room (so the resident and family are told), every read is logged
 * with the break-glass as its basis, and the opening stays flagged until an administrator reviews it.
 * Errors: 400 without a reason; 403 without the emergency role; 404 for an unknown resident or opening;
 * 409 once the window has closed.
 */
public final class BreakGlassHandler {

    /** Long enough for a transport and the first hours in hospital; the default. */
    public static final Duration DEFAULT_WINDOW = Duration.ofHours(4);
    /** A reason someone can review later: "救急搬送 意識レベル低下", not "x". */
    public static final int MIN_REASON = 4;
    /** Current medication is what was prescribed in the last three months (the usual longest prescription). */
    private static final int MEDICATION_DAYS = 90;
    private static final String REVIEWERS = "only the regional IT office reviews emergency openings";
    private static final DateTimeFormatter NOTICE_TIME = DateTimeFormatter.ofPattern("M月d日 H:mm").withZone(ZoneId.of("Asia/Tokyo"));

    private final ReactiveMongoTemplate mongo;
    private final RoomStore rooms;
    private final MessageHandler messages;
    private final RecordReader reader;
    private final AccessLog log;
    private final Duration window;
    private final Clock clock;

    public BreakGlassHandler(ReactiveMongoTemplate mongo, RoomStore rooms, MessageHandler messages, RecordReader reader,
                             AccessLog log, Duration window, Clock clock) {
        this.mongo = mongo;
        this.rooms = rooms;
        this.messages = messages;
        this.reader = reader;
        this.log = log;
        this.window = window;
        this.clock = clock;
    }

    /** Opens the window. The resident is named by their regional id; they need not share a room with the caller. */
    public Mono<ConsentViews.BreakGlassView> open(CareUser user, ConsentRequests.EmergencyInput body) {
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        String residentId = ConsentHandler.requiredText("residentId", body.residentId(), 64);
        String reason = ConsentHandler.requiredText("reason", body.reason(), ConsentHandler.MAX_PURPOSE);
        if (reason.length() < MIN_REASON) {
            throw ApiException.invalid("reason", "state the emergency in at least " + MIN_REASON + " characters");
        }
        if (!user.hasRole(CareUser.EMERGENCY)) {
            throw ApiException.forbidden("break-glass needs the emergency role");
        }
        String roomId = RoomHandler.patientRoomId(residentId);
        return rooms.findById(roomId)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("resident")))
                .flatMap(room -> {
                    Instant now = clock.instant();
                    BreakGlass opening = new BreakGlass(Ids.newId(), residentId, roomId, Actor.of(user), reason, now,
                            now.plus(window), false, null, null, null);
                    String notice = "【緊急時閲覧のお知らせ】" + user.displayName() + "（" + user.profession().label()
                            + (user.facilityName() == null ? "" : "／" + user.facilityName()) + "）が、"
                            + NOTICE_TIME.format(now) + "に緊急時の情報（アレルギー・服薬・主な病名・最新のバイタル）を閲覧できるようにしました。"
                            + "\n理由：" + reason + "\n閲覧は " + NOTICE_TIME.format(opening.expiresAt())
                            + " まで可能で、すべて記録され、事後に確認されます。";
                    return mongo.insert(opening)
                            .flatMap(saved -> messages.postNotice(roomId, Ids.derived("break-glass", saved.id()), notice)
                                    .onErrorResume(ApiException.class, e -> Mono.empty()) // archived room: the log still has it
                                    .thenReturn(saved));
                })
                .map(BreakGlassHandler::view);
    }

    /** The emergency set, for the user who opened the window, while it is open. Logged before it is returned. */
    public Mono<ConsentViews.EmergencyRecordView> record(CareUser user, String id) {
        Ids.require("id", id);
        return mongo.findById(id, BreakGlass.class)
                .filter(b -> b.openedBy().userId().equals(user.id()))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("break-glass")))
                .flatMap(b -> {
                    Instant now = clock.instant();
                    if (!now.isBefore(b.expiresAt())) {
                        return Mono.error(ApiException.conflict("break-glass-expired", "the emergency window has closed"));
                    }
                    java.time.LocalDate today = java.time.LocalDate.ofInstant(now, RecordReader.JAPAN);
                    Mono<List<RecordReader.Section>> always = reader.read(b.residentId(),
                            List.of(RecordCategory.ALLERGY, RecordCategory.CONDITION), DataPeriod.ALL, List.of(), RecordReader.Pick.ALL);
                    Mono<List<RecordReader.Section>> medication = reader.read(b.residentId(), List.of(RecordCategory.MEDICATION),
                            new DataPeriod(today.minusDays(MEDICATION_DAYS), today), List.of(), RecordReader.Pick.ALL);
                    Mono<List<RecordReader.Section>> vitals = reader.read(b.residentId(),
                            List.of(RecordCategory.VITAL_BP, RecordCategory.VITAL_WEIGHT, RecordCategory.VITAL_GLUCOSE),
                            DataPeriod.ALL, List.of(), RecordReader.Pick.LATEST);
                    return Mono.zip(always, medication, vitals).flatMap(t -> {
                        List<RecordReader.Section> sections = new ArrayList<>(t.getT1());
                        sections.addAll(t.getT2());
                        sections.addAll(t.getT3());
                        List<String> items = new ArrayList<>();
                        sections.forEach(s -> s.items().forEach(i -> items.add(i.id())));
                        boolean any = sections.stream().anyMatch(RecordReader.Section::available);
                        AccessLogEntry entry = new AccessLogEntry(0, now, "emergency-view", Actor.of(user), b.residentId(),
                                b.roomId(), null, sections.stream().map(s -> s.category().code()).toList(), items,
                                b.reason(), "break-glass:" + b.id(), any ? "shown" : "source-unavailable", null, null);
                        return log.append(entry).thenReturn(new ConsentViews.EmergencyRecordView(b.id(), b.residentId(),
                                b.expiresAt(), sections.stream().map(RecordReader.Section::view).toList()));
                    });
                });
    }

    /** Openings for administrators, unreviewed first when asked. */
    public Flux<ConsentViews.BreakGlassView> list(CareUser admin, Boolean reviewed) {
        AdminAccess.require(admin, REVIEWERS);
        Query q = reviewed == null ? new Query() : Query.query(where("reviewed").is(reviewed));
        return mongo.find(q.with(Sort.by(Sort.Direction.DESC, "openedAt")).limit(500), BreakGlass.class)
                .map(BreakGlassHandler::view);
    }

    /** Marks an opening reviewed, with the reviewer's note. 409 if it was reviewed already. */
    public Mono<ConsentViews.BreakGlassView> review(CareUser admin, String id, String note) {
        AdminAccess.require(admin, REVIEWERS);
        Ids.require("id", id);
        String text = ConsentHandler.requiredText("note", note, ConsentHandler.MAX_PURPOSE);
        return mongo.findAndModify(Query.query(where("_id").is(id).and("reviewed").is(false)),
                        new Update().set("reviewed", true).set("reviewedBy", Actor.of(admin)).set("reviewedAt", clock.instant())
                                .set("reviewNote", text),
                        FindAndModifyOptions.options().returnNew(true), BreakGlass.class)
                .switchIfEmpty(Mono.defer(() -> mongo.findById(id, BreakGlass.class)
                        .switchIfEmpty(Mono.error(() -> ApiException.notFound("break-glass")))
                        .flatMap(b -> Mono.error(ApiException.conflict("reviewed", "the opening was reviewed already")))))
                .map(BreakGlassHandler::view);
    }

    private static ConsentViews.BreakGlassView view(BreakGlass b) {
        return new ConsentViews.BreakGlassView(b.id(), b.residentId(), b.roomId(), ConsentViews.ActorView.of(b.openedBy()),
                b.reason(), b.openedAt(), b.expiresAt(), b.reviewed(), ConsentViews.ActorView.of(b.reviewedBy()),
                b.reviewedAt(), b.reviewNote());
    }
}
