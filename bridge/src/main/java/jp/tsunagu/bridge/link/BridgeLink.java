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
 * @param linkedAtSeq the room's sequence number when it was linked: messages posted here before are not sent out
 * @param outboundSeq the outbound position: every change in the room numbered at or below it has been delivered,
 *                    dead-lettered, or needs nothing (see {@code OutboundDelivery})
 */
@Document("bridge_links")
public record BridgeLink(@Id String id, String roomId, String instanceId, String externalRoomId, String cursor,
                         String createdBy, Instant createdAt, boolean active, long linkedAtSeq,
                         long outboundSeq) {

    public static String idOf(String roomId, String instanceId) {
        return Ids.derived("bridge-link", roomId, instanceId);
    }
}
