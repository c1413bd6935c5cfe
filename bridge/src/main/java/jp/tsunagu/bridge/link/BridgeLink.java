package jp.tsunagu.bridge.link;

import java.time.Instant;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

import jp.tsunagu.chat.support.Ids;

/**
 * A care room mirrored to a room of an external SNS through one connector instance.
 *
 * @param id derived from (roomId, instanceId) by {@link #idOf}: one link per room and instance, refused twice by
 *           the unique {@code _id}
 * @param cursor the inbound position: the connector's cursor after the last page whose messages are all stored
 * @param active false once unlinked; the poller skips it
 */
@Document("bridge_links")
public record BridgeLink(@Id String id, String roomId, String instanceId, String externalRoomId, String cursor,
                         String createdBy, Instant createdAt, boolean active) {

    public static String idOf(String roomId, String instanceId) {
        return Ids.derived("bridge-link", roomId, instanceId);
    }
}
