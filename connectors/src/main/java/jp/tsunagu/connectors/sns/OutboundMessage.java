package jp.tsunagu.connectors.sns;

import java.util.List;

/**
 * What the bridge sends out.
 *
 * @param text the plain text, always set
 * @param html the sanitised rich form, or null; connectors render {@code text} themselves when null
 * @param parentId the external id of the message this replies to, or null
 * @param attachmentIds ids returned by {@link SnsConnector#upload}
 */
public record OutboundMessage(String text, String html, String parentId, List<String> attachmentIds,
                              ExternalMessage.Mentions mentions) {

    public OutboundMessage {
        attachmentIds = attachmentIds == null ? List.of() : List.copyOf(attachmentIds);
        mentions = mentions == null ? ExternalMessage.Mentions.NONE : mentions;
    }
}
