package jp.tsunagu.connectors.sns;

import java.time.Instant;
import java.util.List;

/**
 * A message of the external SNS in the canonical shape every connector produces.
 *
 * @param html the body, already reduced by the connector to the server's safe HTML subset
 *             ({@link jp.tsunagu.connectors.support.HtmlSanitizer}); the plain text derives from it
 * @param updatedAt the last change (edit, stamp, deletion); equal to {@code createdAt} if none
 */
public record ExternalMessage(String id, String roomId, String parentId, ExternalMember author, String html,
                              Instant createdAt, Instant updatedAt, boolean deleted,
                              List<ExternalAttachment> attachments, List<Reaction> reactions, Mentions mentions) {

    public ExternalMessage {
        attachments = attachments == null ? List.of() : List.copyOf(attachments);
        reactions = reactions == null ? List.of() : List.copyOf(reactions);
        mentions = mentions == null ? Mentions.NONE : mentions;
    }

    /** How many gave a stamp, and whether the integration account is one of them. */
    public record Reaction(ExternalStamp stamp, int count, boolean self) {
    }

    /** Mentions of users, of whole stations (facilities), or of everyone in the room. */
    public record Mentions(List<String> userIds, List<String> stationIds, boolean all) {

        public static final Mentions NONE = new Mentions(List.of(), List.of(), false);

        public Mentions {
            userIds = userIds == null ? List.of() : List.copyOf(userIds);
            stationIds = stationIds == null ? List.of() : List.copyOf(stationIds);
        }
    }
}
