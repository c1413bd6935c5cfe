package jp.tsunagu.bridge.api;

import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.chat.identity.CareUser;
import reactor.core.publisher.Mono;

/** Bridge links, for system administrators (role {@code system_admin}); errors as in {@link LinkHandler}. */
@RestController
@RequestMapping("/api/v1/admin/bridge/links")
public class BridgeAdminController {

    private final LinkHandler links;

    public BridgeAdminController(LinkHandler links) {
        this.links = links;
    }

    /** The answer of the list call. */
    public record LinkList(List<LinkHandler.LinkView> items) {
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public Mono<LinkHandler.LinkView> link(CareUser user, @RequestBody LinkHandler.LinkRequest request) {
        return links.link(user, request);
    }

    @GetMapping
    public Mono<LinkList> list(CareUser user) {
        return links.list(user).map(LinkList::new);
    }

    @DeleteMapping("/{linkId}")
    public Mono<LinkHandler.LinkView> unlink(CareUser user, @PathVariable String linkId) {
        return links.unlink(user, linkId);
    }
}
