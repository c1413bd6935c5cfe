package jp.tsunagu.bridge.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.inbound.InboundImporter;
import jp.tsunagu.bridge.inbound.InboundPoller;
import jp.tsunagu.bridge.metrics.BridgeMetrics;
import jp.tsunagu.chat.support.AnyInput;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.ErrorAnswer;
import jp.tsunagu.connectors.webhook.InboundResult;
import jp.tsunagu.connectors.webhook.WebhookConnector;
import jp.tsunagu.connectors.webhook.WebhookSigner;
import reactor.core.publisher.Mono;

/**
 * Where an SNS configured under {@code tsunagu.bridge.webhook.instances} pushes its changes. No bearer token: the
 * Standard Webhooks signature is the authentication ({@link WebhookConnector#receive}, which logs every refusal at
 * WARN with the instance and the reason).
 *
 * <p>Answers: 204 taken in (and applied to the linked room at once, if the room is linked); 202 authentic but
 * unreadable, quarantined (the SNS must not retry it); 401 problem+json forged, expired or replayed; 503 the
 * replay cache is full (the SNS retries later); 404 no webhook instance of that id.
 */
@RestController
@Tag(name = "bridge")
public class BridgeWebhookController {

    /** The path, public in the security configuration. */
    public static final String PATH = "/api/v1/bridge/webhooks/{instanceId}";

    private static final Logger log = LoggerFactory.getLogger(BridgeWebhookController.class);
    private static final byte[] EMPTY = new byte[0];

    private final ConnectorRegistry registry;
    private final InboundPoller poller;
    private final BridgeMetrics metrics;

    public BridgeWebhookController(ConnectorRegistry registry, InboundPoller poller, BridgeMetrics metrics) {
        this.registry = registry;
        this.poller = poller;
        this.metrics = metrics;
    }

    @Operation(summary = "Receive a signed webhook from an external SNS (Standard Webhooks; no bearer token)",
            parameters = {
                    @Parameter(in = ParameterIn.HEADER, name = WebhookSigner.ID_HEADER, required = true,
                            schema = @Schema(type = "string"), description = "The event's id (replays are refused)."),
                    @Parameter(in = ParameterIn.HEADER, name = WebhookSigner.TIMESTAMP_HEADER, required = true,
                            schema = @Schema(type = "string"), description = "Unix seconds; outside the tolerance: refused."),
                    @Parameter(in = ParameterIn.HEADER, name = WebhookSigner.SIGNATURE_HEADER, required = true,
                            schema = @Schema(type = "string"), description = "`v1,<base64 HMAC-SHA256>` (space-separated list).")},
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "The SNS's event, byte for "
                    + "byte as it signed it.", content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                    schema = @Schema(type = "object"))))
    @ApiResponse(responseCode = "204", description = "Taken in (and applied to the linked room at once, if it is linked).")
    @ApiResponse(responseCode = "202", description = "Authentic but unreadable: quarantined; the SNS must not retry it.")
    @ErrorAnswer(status = 401, description = "Forged, expired or replayed (`webhook-<reason>`).")
    @ErrorAnswer(status = 404, description = "No webhook instance of that id.")
    @ErrorAnswer(status = 503, description = "The replay cache is full (`webhook-replay-cache-full`): the SNS retries later.")
    @AnyInput
    @PostMapping(PATH)
    public Mono<ResponseEntity<Void>> receive(@PathVariable String instanceId, @Parameter(hidden = true) @RequestHeader HttpHeaders headers,
                                              @RequestBody(required = false) byte[] body) {
        WebhookConnector connector = registry.find(instanceId)
                .filter(WebhookConnector.class::isInstance)
                .map(WebhookConnector.class::cast)
                .orElseThrow(() -> ApiException.notFound("webhook instance"));
        Map<String, List<String>> names = new LinkedHashMap<>();
        headers.forEach(names::put);
        return connector.receive(names, body == null ? EMPTY : body).flatMap(result -> {
            if (result instanceof InboundResult.Refused refused) {
                return Mono.error(refusal(refused));
            }
            if (result instanceof InboundResult.Quarantined quarantined) {
                if (quarantined.roomId() == null) {
                    // A room's quarantined payloads are counted when the room is polled; these never will be.
                    metrics.inbound(instanceId, InboundImporter.Outcome.QUARANTINED);
                }
                return Mono.just(ResponseEntity.accepted().<Void>build());
            }
            String roomId = ((InboundResult.Accepted) result).roomId();
            return poller.pollNow(instanceId, roomId)
                    .onErrorResume(e -> {
                        // Taken in all the same: the change waits in the connector for the next round.
                        log.warn("bridge webhook {}: applying room {} failed: {}", instanceId, roomId, e.toString());
                        return Mono.empty();
                    })
                    .then(Mono.just(ResponseEntity.noContent().<Void>build()));
        });
    }

    private static ApiException refusal(InboundResult.Refused refused) {
        String reason = refused.reason().name().toLowerCase(java.util.Locale.ROOT);
        HttpStatus status = HttpStatus.valueOf(refused.httpStatus());
        return new ApiException(status, "webhook-" + reason.replace('_', '-'),
                "webhook refused (" + reason + "): " + refused.detail(),
                List.of(new ApiException.FieldError("webhook-signature", reason)));
    }
}
