package jp.tsunagu.connectors.webhook;

/**
 * What {@link WebhookConnector#receive} made of one received webhook, and what the HTTP layer answers.
 *
 * <p>Under Standard Webhooks any 2xx is a delivery the sender stops retrying, anything else is retried on its
 * schedule (spec 1.0.0, "Delivery success and failure").
 */
public sealed interface InboundResult {

    /** The HTTP status to answer the sender with. */
    int httpStatus();

    /** Authentic and parsed: the message is queued for {@link WebhookConnector#changes}. Answer 204. */
    record Accepted(String webhookId, String roomId, String type, String messageId) implements InboundResult {
        @Override
        public int httpStatus() {
            return 204;
        }
    }

    /**
     * Authentic but not a readable event: kept in the room's {@code ChangePage.rejected} (or in
     * {@link WebhookConnector#unroutable()} when no room could be read) for people to look at. Answer 202: the
     * sender's retry would carry the same bytes and fail the same way, so it must not retry.
     *
     * @param roomId the room named in the payload, or null if none could be read
     */
    record Quarantined(String webhookId, String roomId, String reason) implements InboundResult {
        @Override
        public int httpStatus() {
            return 202;
        }
    }

    /**
     * Not authentic, not fresh, or a replay (the reason and detail say which; already logged). Answer 401, or 503
     * when the replay cache is full, since then the request may well be genuine and its retry will pass.
     */
    record Refused(WebhookVerifier.Reason reason, String detail) implements InboundResult {
        @Override
        public int httpStatus() {
            return reason == WebhookVerifier.Reason.REPLAY_CACHE_FULL ? 503 : 401;
        }
    }
}
