package jp.tsunagu.bridge.api;

import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.bridge.outbound.DeadLetter;
import jp.tsunagu.bridge.outbound.DeadLetterHandler;
import jp.tsunagu.bridge.outbound.OutboundDelivery;
import jp.tsunagu.bridge.outbound.OutboundScheduler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ErrorAnswer;
import reactor.core.publisher.Mono;

/**
 * Bridge links and dead letters, for system administrators (role {@code system_admin}); errors as in
 * {@link LinkHandler} and {@link DeadLetterHandler}.
 */
@RestController
@RequestMapping("/api/v1/admin/bridge")
@Tag(name = "bridge")
public class BridgeAdminController {

    private final LinkHandler links;
    private final DeadLetterHandler deadLetters;
    private final OutboundScheduler outbound;

    public BridgeAdminController(LinkHandler links, DeadLetterHandler deadLetters, OutboundScheduler outbound) {
        this.links = links;
        this.deadLetters = deadLetters;
        this.outbound = outbound;
    }

    /** The answer of the dead-letter list call. */
    public record DeadLetterList(List<DeadLetter> items) {
    }

    /** The answer of the list call. */
    public record LinkList(List<LinkHandler.LinkView> items) {
    }

    @Operation(summary = "Link a room to a room of an external SNS")
    @ErrorAnswer(status = 404, description = "No such room.")
    @ErrorAnswer(status = 409, description = "The room is archived, or already linked (`room-archived`, `already-linked`).")
    @ErrorAnswer(status = 422, description = "No such connector instance, or the external room is not visible to the integration account.")
    @ErrorAnswer(status = 502, description = "The external SNS could not be reached (`connector-unavailable`).")
    @PostMapping("/links")
    @ResponseStatus(HttpStatus.CREATED)
    public Mono<LinkHandler.LinkView> link(CareUser user, @RequestBody LinkHandler.LinkRequest request) {
        return links.link(user, request);
    }

    @Operation(summary = "Bridge links")
    @GetMapping("/links")
    public Mono<LinkList> list(CareUser user) {
        return links.list(user).map(LinkList::new);
    }

    @Operation(summary = "Unlink a room")
    @ErrorAnswer(status = 404, description = "No such link.")
    @DeleteMapping("/links/{linkId}")
    public Mono<LinkHandler.LinkView> unlink(CareUser user, @PathVariable String linkId) {
        return links.unlink(user, linkId);
    }

    /** Delivers the link's pending local changes now instead of on the next tick; answers what went out. */
    @Operation(summary = "Deliver a link's pending changes now")
    @ErrorAnswer(status = 404, description = "No such link.")
    @PostMapping("/links/{linkId}/drain")
    public Mono<OutboundDelivery.Drain> drain(CareUser user, @PathVariable String linkId) {
        return links.get(user, linkId).then(outbound.drain(linkId))
                .defaultIfEmpty(new OutboundDelivery.Drain(0, 0, 0, null));
    }

    @Operation(summary = "Dead letters: changes the external SNS did not take")
    @GetMapping("/dead-letters")
    public Mono<DeadLetterList> deadLetters(CareUser user, @RequestParam(required = false) String instanceId,
                                            @RequestParam(required = false) String linkId,
                                            @RequestParam(defaultValue = "false") boolean all,
                                            @RequestParam(required = false) Integer limit) {
        return deadLetters.list(user, instanceId, linkId, all, limit).map(DeadLetterList::new);
    }

    @Operation(summary = "Replay a dead letter")
    @ErrorAnswer(status = 404, description = "No such dead letter, or its message is gone.")
    @ErrorAnswer(status = 409, description = "The dead letter was replayed already (`already-replayed`).")
    @PostMapping("/dead-letters/{id}/replay")
    public Mono<DeadLetter> replay(CareUser user, @PathVariable String id) {
        return deadLetters.replay(user, id);
    }
}
