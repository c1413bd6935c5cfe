package jp.tsunagu.bridge.inbound;

import java.time.Instant;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

import jp.tsunagu.chat.support.Ids;

/**
 * What the bridge knows of one external message beyond the derived local id: which way it crossed. The
 * outbound part of the bridge records every message it posts to an SNS here, so that the inbound poll, which
 * sees that message come back, skips it instead of importing it (no echo loop).
 *
 * @param id derived from (instance, external id) by {@link #idOf}
 */
@Document("bridge_ids")
public record BridgeId(@Id String id, String instanceId, String externalId, String localMessageId,
                       Direction direction, Instant at) {

    public enum Direction {
        /** Came from the SNS and was imported. */
        INBOUND,
        /** Posted to the SNS by the bridge: never to be imported back. */
        OUTBOUND
    }

    public static String idOf(String instanceId, String externalId) {
        return Ids.derived("bridge-id", instanceId, externalId);
    }
}
