package jp.tsunagu.chat.api;

import java.util.List;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.audit.AccessLog;
import jp.tsunagu.chat.audit.FhirAuditEvent;
import jp.tsunagu.chat.consent.BreakGlassHandler;
import jp.tsunagu.chat.consent.ExcerptHandler;
import jp.tsunagu.chat.handler.AdminAccess;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.ErrorAnswer;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** Excerpt cards, "who viewed my record", break-glass, and the access log for auditors. */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "health records")
public class ExcerptController {

    private static final String ACCESS_LOG_ADMINS = "the access log is exported by the regional IT office";
    /** A page of "who viewed my record": a screen or two on a phone. */
    private static final int VIEWS_PAGE = 50;

    private final ExcerptHandler excerpts;
    private final BreakGlassHandler breakGlass;
    private final AccessLog accessLog;
    private final JsonMapper json;

    public ExcerptController(ExcerptHandler excerpts, BreakGlassHandler breakGlass,
                             AccessLog accessLog, JsonMapper json) {
        this.excerpts = excerpts;
        this.breakGlass = breakGlass;
        this.accessLog = accessLog;
        this.json = json;
    }

    @Operation(summary = "Post an excerpt card", description = "References a grant; the data is decided per reader at each read.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @PostMapping("/rooms/{roomId}/excerpts")
    public Mono<ResponseEntity<MessageView>> post(CareUser user, @PathVariable String roomId,
                                                  @RequestHeader(value = "Idempotency-Key", required = false) String key,
                                                  @RequestBody(required = false) ConsentRequests.ExcerptInput body) {
        return excerpts.post(user, roomId, body, key)
                .map(p -> ResponseEntity.status(p.replayed() ? HttpStatus.OK : HttpStatus.CREATED).body(p.message()));
    }

    @Operation(summary = "Read an excerpt card", description = "Data where the caller is inside the scope, a placeholder where not; logged.")
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @GetMapping("/rooms/{roomId}/messages/{messageId}/excerpt")
    public Mono<ConsentViews.ExcerptView> read(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return excerpts.read(user, roomId, messageId);
    }

    @Operation(summary = "Who viewed my record", description = "For the resident and their proxies; newest first.")
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @GetMapping("/rooms/{roomId}/record/views")
    public Mono<Views.Page<ConsentViews.ViewerEntry>> views(CareUser user, @PathVariable String roomId,
                                                            @RequestParam(required = false) Long before) {
        return excerpts.views(user, roomId, before, VIEWS_PAGE)
                .map(items -> new Views.Page<>(items, items.size() < VIEWS_PAGE ? null
                        : Long.toString(items.get(items.size() - 1).seq())));
    }

    @Operation(summary = "Break-glass: open a resident's emergency set", description = "Emergency role; a reason is required.")
    @ErrorAnswer(status = 404, description = "No resident with that id.")
    @PostMapping("/emergency-access")
    public Mono<ResponseEntity<ConsentViews.BreakGlassView>> open(CareUser user,
                                                                  @RequestBody(required = false) ConsentRequests.EmergencyInput body) {
        return breakGlass.open(user, body).map(b -> ResponseEntity.status(HttpStatus.CREATED).body(b));
    }

    @Operation(summary = "The emergency set an opening gives access to")
    @ErrorAnswer(status = 404, description = ErrorDocs.NOT_FOUND)
    @ErrorAnswer(status = 409, description = "The emergency window has closed (`break-glass-expired`).")
    @GetMapping("/emergency-access/{id}/record")
    public Mono<ConsentViews.EmergencyRecordView> emergencyRecord(CareUser user, @PathVariable String id) {
        return breakGlass.record(user, id);
    }

    @Operation(summary = "Break-glass openings, for review")
    @GetMapping("/admin/emergency-access")
    public Mono<List<ConsentViews.BreakGlassView>> openings(CareUser user, @RequestParam(required = false) Boolean reviewed) {
        return breakGlass.list(user, reviewed).collectList();
    }

    @Operation(summary = "Mark a break-glass opening reviewed")
    @ErrorAnswer(status = 404, description = ErrorDocs.NOT_FOUND)
    @ErrorAnswer(status = 409, description = "The opening was reviewed already (`reviewed`).")
    @PostMapping("/admin/emergency-access/{id}/review")
    public Mono<ConsentViews.BreakGlassView> review(CareUser user, @PathVariable String id,
                                                    @RequestBody(required = false) ConsentRequests.ReviewInput body) {
        return breakGlass.review(user, id, body == null ? null : body.note());
    }

    @Operation(summary = "Check the access log's hash chain", description = "system_admin; reports the first entry that does not hold.")
    @GetMapping("/admin/access-log/verify")
    public Mono<AccessLog.Verification> verify(CareUser user) {
        AdminAccess.require(user, ACCESS_LOG_ADMINS);
        return accessLog.verify();
    }

    @Operation(summary = "Export the access log as FHIR AuditEvent NDJSON", description = "system_admin; optional ISO-8601 from/to.")
    @GetMapping(value = "/admin/access-log/export", produces = "application/fhir+ndjson")
    public Flux<String> export(CareUser user, @RequestParam(required = false) String from,
                               @RequestParam(required = false) String to) {
        AdminAccess.require(user, ACCESS_LOG_ADMINS);
        java.time.Instant f = instant("from", from);
        java.time.Instant t = instant("to", to);
        return accessLog.inOrder(f, t).map(e -> json.writeValueAsString(FhirAuditEvent.of(e)) + "\n");
    }

    private static java.time.Instant instant(String field, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return java.time.Instant.parse(value.strip());
        } catch (java.time.format.DateTimeParseException e) {
            throw ApiException.invalid(field, "must be an ISO-8601 instant such as 2026-11-01T00:00:00Z");
        }
    }
}
