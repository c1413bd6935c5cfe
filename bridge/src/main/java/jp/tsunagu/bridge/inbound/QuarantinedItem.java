package jp.tsunagu.bridge.inbound;

import java.time.Instant;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * An inbound payload the bridge could not import (the connector could not read it, or the server refused its
 * content), kept for people to look at instead of being dropped or blocking the link.
 *
 * @param externalId the external message id when known, else null
 */
@Document("bridge_quarantine")
public record QuarantinedItem(@Id String id, String linkId, String instanceId, String externalRoomId,
                              String externalId, String payload, String reason, Instant at) {
}
