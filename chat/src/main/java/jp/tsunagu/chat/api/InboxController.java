package jp.tsunagu.chat.api;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.handler.InboxHandler;
import jp.tsunagu.chat.identity.CareUser;
import reactor.core.publisher.Mono;

/** "My actions": what waits for me across my rooms. */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "inbox")
public class InboxController {

    private final InboxHandler inbox;

    public InboxController(InboxHandler inbox) {
        this.inbox = inbox;
    }

    @Operation(summary = "My actions", description = "Open requests asked of me (overdue first), urgent messages "
            + "waiting for my acknowledgement, mentions I have not read, and my requests that are overdue or were "
            + "declined this week: the first " + InboxHandler.FIRST_PAGE + " of each, with counts for a badge (up to "
            + InboxHandler.PART_LIMIT + " each). Live hints: send `{\"type\":\"subscribe_inbox\"}` on the WebSocket.")
    @GetMapping("/inbox")
    public Mono<InboxHandler.Inbox> inbox(CareUser user) {
        return inbox.inbox(user);
    }

    @Operation(summary = "One part of my actions", description = "Up to " + InboxHandler.PART_LIMIT + " items of one "
            + "part (`requests`, `acknowledgements`, `mentions` or `myRequests`), in the overview's order; 400 for "
            + "any other part. Requests beyond it: `GET /api/v1/requests`.")
    @GetMapping("/inbox/{part}")
    public Mono<InboxHandler.PartItems> part(CareUser user, @PathVariable String part) {
        return Mono.fromCallable(() -> InboxHandler.Part.of(part)).flatMap(p -> inbox.part(user, p));
    }
}
