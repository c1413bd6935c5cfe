package jp.tsunagu.bridge.api;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.bridge.metrics.BridgeMetrics;
import jp.tsunagu.chat.identity.CareUser;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The configured connector instances and their health, for system administrators. */
@RestController
@Tag(name = "bridge")
public class ConnectorAdminController {

    private final ConnectorRegistry registry;

    public ConnectorAdminController(ConnectorRegistry registry) {
        this.registry = registry;
    }

    /** One instance: {@code state} is connected, degraded, auth_failed or disconnected. */
    public record ConnectorView(String instanceId, String kind, List<String> capabilities, String state, String detail,
                                Instant since) {
    }

    public record ConnectorList(List<ConnectorView> items) {
    }

    @Operation(summary = "Connector instances and their health")
    @GetMapping("/api/v1/admin/bridge/connectors")
    public Mono<ConnectorList> connectors(CareUser user) {
        LinkHandler.requireAdmin(user);
        return Flux.fromIterable(registry.all())
                .concatMap(c -> BridgeMetrics.health(c)
                        .map(h -> new ConnectorView(c.descriptor().instanceId(), c.descriptor().kind(),
                                c.descriptor().capabilities().stream().map(cap -> cap.name().toLowerCase(Locale.ROOT)).sorted().toList(),
                                h.state().name().toLowerCase(Locale.ROOT), h.detail(), h.since())))
                .collectList()
                .map(ConnectorList::new);
    }
}
