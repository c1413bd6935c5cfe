/**
 * A generic connector for an SNS that pushes its changes as signed webhooks and accepts signed deliveries back:
 * {@link jp.tsunagu.connectors.webhook.WebhookConnector}, kind {@code webhook}.
 *
 * <h2>Signatures (both directions)</h2>
 * <a href="https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md">Standard
 * Webhooks 1.0.0</a>, symmetric scheme: headers {@code webhook-id} (no full stop, at most 128 characters),
 * {@code webhook-timestamp} (integer Unix seconds) and {@code webhook-signature} (space-separated
 * {@code v1,<base64 HMAC-SHA256 of id.timestamp.body>}); secrets are {@code whsec_<base64 of 24-64 bytes>}. Each
 * direction has its own secret: the SNS signs with ours, we sign with the SNS's. A receiver accepts two secrets
 * during a rotation; a sender signs with the newest ({@link jp.tsunagu.connectors.webhook.WebhookKeys}).
 * A received webhook more than 5 minutes from our clock, either way, or with a {@code webhook-id} already
 * accepted, is refused with 401 like a forged one.
 *
 * <h2>Inbound: one event per webhook, POSTed by the SNS</h2>
 * <pre>{@code
 * {
 *   "type": "message.created",           // message.created | message.updated | message.deleted
 *                                        // | reaction.added | reaction.removed
 *   "timestamp": "2026-11-24T09:30:00+09:00",   // optional, when it happened; informational
 *   "room_id": "p-1024",                 // required
 *   "room": {                            // optional; describes the room for rooms()
 *     "type": "patient",                 //   patient | group | direct (default group)
 *     "name": "山田 花子 様",              //   default: the room id
 *     "resident_id": "R-0042"            //   optional
 *   },
 *   "message": {                         // required: the message as it is after the event
 *     "id": "m-77",                      // required
 *     "room_id": "p-1024",               // optional; must equal the envelope's
 *     "parent_id": null,                 // the message this replies to, if any
 *     "author": {                        // required except in message.deleted
 *       "id": "u-3", "display_name": "佐藤 (訪問看護)",
 *       "professions": ["看護師"], "station": {"id": "st-9", "name": "利根訪問看護ステーション"}
 *     },
 *     "html": "血圧 132/84<br>夕方に再訪します",   // required (may be "") except in message.deleted; untrusted
 *     "created_at": "2026-11-24T09:29:58+09:00", // required, ISO-8601 with an offset
 *     "updated_at": "2026-11-24T09:30:00+09:00", // optional, defaults to created_at
 *     "deleted": false,                  // forced true by message.deleted
 *     "attachments": [{"id": "a-1", "name": "傷.jpg", "content_type": "image/jpeg", "size": 48213,
 *                      "url": "https://sns.example/files/a-1"}],   // id required; passed through as metadata
 *     "reactions": [{"stamp": "viewed", "count": 2, "self": false}], // viewed | accepted | thanked | good
 *                                                                    // | completed; other stamps are skipped
 *     "mentions": {"user_ids": ["u-1"], "station_ids": [], "all": false}
 *   }
 * }
 * }</pre>
 * Every event carries the whole message ("full payload" in the spec's terms): reaction events carry the
 * message with its reactions after the change, and the bridge is idempotent on the message id. Unknown fields are
 * ignored; a wrong type, a missing required field, an unknown event type or a body that is not one JSON object
 * (duplicate keys included) quarantines the payload with the reason ({@code ChangePage.rejected} of its room, or
 * {@code WebhookConnector.unroutable()} when no room could be read) and answers 202 so the SNS does not retry it.
 * Accepted events answer 204.
 *
 * <h2>Outbound: one delivery per call, POSTed to the configured endpoint</h2>
 * <pre>{@code
 * {"type": "message.create", "timestamp": "2026-11-24T00:31:00Z", "room_id": "p-1024",
 *  "message": {"text": "承知しました", "html": "承知しました", "parent_id": null,
 *              "mentions": {"user_ids": [], "station_ids": [], "all": false}}}
 * {"type": "message.update", "timestamp": "...", "message_id": "m-77", "message": { ...as above... }}
 * {"type": "message.delete", "timestamp": "...", "message_id": "m-77"}
 * {"type": "reaction.add",   "timestamp": "...", "message_id": "m-77", "stamp": "accepted"}
 * {"type": "reaction.remove","timestamp": "...", "message_id": "m-77", "stamp": "accepted"}
 * }</pre>
 * {@code html} is the bridge's sanitised HTML, or the text escaped with line breaks as {@code <br>}. The SNS
 * answers {@code message.create} and {@code message.update} with 2xx and the stored message as a JSON object in
 * the inbound {@code message} shape ({@code room_id} required for an update); other deliveries with any 2xx.
 * Failures: I/O errors, timeouts and 5xx are {@code Retryable}, 429 {@code RateLimited} (its {@code Retry-After},
 * else 5 s), 401 {@code AuthFailed}, other 3xx/4xx {@code Rejected}, an answer that is not the documented JSON
 * {@code Malformed}. Attachments are not carried (501).
 */
package jp.tsunagu.connectors.webhook;
