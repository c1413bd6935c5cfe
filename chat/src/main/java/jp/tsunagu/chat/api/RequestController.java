package jp.tsunagu.chat.api;

import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.handler.RequestHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ErrorAnswer;
import reactor.core.publisher.Mono;

/** Requests (依頼) carried by messages: adding one, moving it, and the list across one's rooms. */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "requests")
public class RequestController {

    private final RequestHandler requests;

    public RequestController(RequestHandler requests) {
        this.requests = requests;
    }

    @Operation(summary = "Add a request to one's message", description = "The author only; a message carries at most one request.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 422, description = "An assignee who is not a member of the room (`unprocessable`, the field named).")
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @PutMapping("/rooms/{roomId}/messages/{messageId}/request")
    public Mono<MessageView> add(CareUser user, @PathVariable String roomId, @PathVariable String messageId,
                                 @Validated @RequestBody Requests.RequestInput request) {
        return requests.add(user, roomId, messageId, request);
    }

    @Operation(summary = "Move a request", description = "accept (承知) / complete (完了, optional note) / decline "
            + "(note = reason) by an assignee; cancel by the requester. Repeating a done move changes nothing.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @PostMapping("/rooms/{roomId}/messages/{messageId}/request/actions")
    public Mono<MessageView> act(CareUser user, @PathVariable String roomId, @PathVariable String messageId,
                                 @Validated @RequestBody Requests.RequestAction action) {
        return requests.act(user, roomId, messageId, action);
    }

    @Operation(summary = "Requests across my rooms", description = "Soonest due first. `role`: assignee (default) or "
            + "requester; `state`: comma-separated open, accepted, done, declined, cancelled, active (default) or "
            + "overdue; `dueBefore`: ISO-8601 (Japan time without an offset). Pass `nextCursor` as `cursor`.")
    @GetMapping("/requests")
    public Mono<Views.Page<RequestHandler.RequestItem>> list(CareUser user,
                                                             @RequestParam(required = false) String role,
                                                             @RequestParam(required = false) String state,
                                                             @RequestParam(required = false) String dueBefore,
                                                             @RequestParam(required = false) String cursor,
                                                             @RequestParam(required = false) Integer limit) {
        return requests.list(user, role, state, dueBefore, cursor, limit);
    }
}
