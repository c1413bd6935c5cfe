package jp.tsunagu.ops.nodes;

import java.util.List;
import java.util.Map;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.handler.AdminAccess;
import jp.tsunagu.chat.identity.CareUser;
import reactor.core.publisher.Mono;

/** {@code GET /api/v1/admin/nodes}: the deployment's nodes, for system administrators. */
@RestController
@RequestMapping("/api/v1/admin")
@Tag(name = "nodes")
public class NodeController {

    private final NodeDirectory nodes;

    public NodeController(NodeDirectory nodes) {
        this.nodes = nodes;
    }

    /** 403 unless the caller is a system administrator. */
    @Operation(summary = "The deployment's nodes")
    @GetMapping("/nodes")
    public Mono<Map<String, List<Map<String, Object>>>> list(CareUser user) {
        return Mono.fromRunnable(() -> AdminAccess.require(user, "node summaries are for system administrators"))
                .then(nodes.list())
                .map(items -> Map.of("items", items));
    }
}
