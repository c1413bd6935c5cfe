package jp.tsunagu.chat.api;

import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.consent.ConsentHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ErrorAnswer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The consent scope service: requests, decisions, grants, revocation and family proxies, per patient room. */
@RestController
@RequestMapping("/api/v1/rooms/{roomId}/consent")
@Tag(name = "consent")
public class ConsentController {

    private static final MediaType FHIR_JSON = MediaType.parseMediaType("application/fhir+json");

    private final ConsentHandler consent;

    public ConsentController(ConsentHandler consent) {
        this.consent = consent;
    }

    @Operation(summary = "The resident's overview", description = "Grants, pending requests and proxies; for the resident and their proxies.")
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @GetMapping
    public Mono<ConsentViews.ConsentOverview> overview(CareUser user, @PathVariable String roomId) {
        return consent.overview(user, roomId);
    }

    @Operation(summary = "Ask the resident to share a scope")
    @ErrorAnswer(status = 409, description = ErrorDocs.CONSENT_STATE)
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @PostMapping("/requests")
    public Mono<ResponseEntity<ConsentViews.RequestView>> request(CareUser user, @PathVariable String roomId,
                                                                  @RequestBody(required = false) ConsentRequests.ScopeRequest body) {
        return consent.request(user, roomId, body).map(r -> ResponseEntity.status(HttpStatus.CREATED).body(r));
    }

    @Operation(summary = "The room's consent requests")
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @GetMapping("/requests")
    public Mono<List<ConsentViews.RequestView>> requests(CareUser user, @PathVariable String roomId,
                                                         @RequestParam(required = false) String status) {
        return consent.requests(user, roomId, status).collectList();
    }

    @Operation(summary = "Approve a request", description = "The resident or a recorded proxy; the grant is active from now.")
    @ErrorAnswer(status = 409, description = ErrorDocs.CONSENT_STATE)
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @PostMapping("/requests/{requestId}/approve")
    public Mono<ResponseEntity<ConsentViews.GrantView>> approve(CareUser user, @PathVariable String roomId,
                                                                @PathVariable String requestId) {
        return consent.approve(user, roomId, requestId).map(g -> ResponseEntity.status(HttpStatus.CREATED).body(g));
    }

    @Operation(summary = "Decline a request")
    @ErrorAnswer(status = 409, description = ErrorDocs.CONSENT_STATE)
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @PostMapping("/requests/{requestId}/decline")
    public Mono<ConsentViews.RequestView> decline(CareUser user, @PathVariable String roomId, @PathVariable String requestId,
                                                  @RequestBody(required = false) ConsentRequests.Reason body) {
        return consent.decline(user, roomId, requestId, body == null ? null : body.reason());
    }

    @Operation(summary = "Withdraw one's request")
    @ErrorAnswer(status = 409, description = ErrorDocs.CONSENT_STATE)
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @PostMapping("/requests/{requestId}/withdraw")
    public Mono<ConsentViews.RequestView> withdraw(CareUser user, @PathVariable String roomId, @PathVariable String requestId) {
        return consent.withdraw(user, roomId, requestId);
    }

    @Operation(summary = "The room's grants", description = "The current version of each; every member may see what is shared with whom.")
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @GetMapping("/grants")
    public Mono<List<ConsentViews.GrantView>> grants(CareUser user, @PathVariable String roomId) {
        return consent.grants(user, roomId).collectList();
    }

    @Operation(summary = "Every version of a grant")
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @GetMapping("/grants/{grantId}/versions")
    public Mono<List<ConsentViews.GrantView>> versions(CareUser user, @PathVariable String roomId, @PathVariable String grantId) {
        return consent.versions(user, roomId, grantId).collectList();
    }

    @Operation(summary = "Revoke a grant", description = "Takes effect at once for every reader; cards under it are announced.")
    @ErrorAnswer(status = 409, description = ErrorDocs.CONSENT_STATE)
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @PostMapping("/grants/{grantId}/revoke")
    public Mono<ConsentViews.GrantView> revoke(CareUser user, @PathVariable String roomId, @PathVariable String grantId,
                                               @RequestBody(required = false) ConsentRequests.Reason body) {
        return consent.revoke(user, roomId, grantId, body == null ? null : body.reason());
    }

    @Operation(summary = "A grant as FHIR R4 Consent")
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @GetMapping(value = "/grants/{grantId}/fhir", produces = {"application/fhir+json", MediaType.APPLICATION_JSON_VALUE})
    public Mono<ResponseEntity<Map<String, Object>>> fhir(CareUser user, @PathVariable String roomId, @PathVariable String grantId) {
        return consent.fhirConsent(user, roomId, grantId).map(c -> ResponseEntity.ok().contentType(FHIR_JSON).body(c));
    }

    @Operation(summary = "The resident's family proxies")
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @GetMapping("/proxies")
    public Mono<List<ConsentViews.ProxyView>> proxies(CareUser user, @PathVariable String roomId) {
        return consent.proxies(user, roomId).collectList();
    }

    @Operation(summary = "Record a family proxy", description = "The resident, or the room's owner with the basis checked.")
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @PostMapping("/proxies")
    public Mono<ResponseEntity<ConsentViews.ProxyView>> recordProxy(CareUser user, @PathVariable String roomId,
                                                                    @RequestBody(required = false) ConsentRequests.ProxyInput body) {
        return consent.recordProxy(user, roomId, body).map(p -> ResponseEntity.status(HttpStatus.CREATED).body(p));
    }

    @Operation(summary = "End a family proxy")
    @ErrorAnswer(status = 422, description = ErrorDocs.NOT_PATIENT_ROOM)
    @DeleteMapping("/proxies/{userId}")
    public Mono<ConsentViews.ProxyView> endProxy(CareUser user, @PathVariable String roomId, @PathVariable String userId) {
        return consent.endProxy(user, roomId, userId);
    }
}
