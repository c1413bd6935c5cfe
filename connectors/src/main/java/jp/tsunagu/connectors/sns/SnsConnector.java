package jp.tsunagu.connectors.sns;

import java.nio.ByteBuffer;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An external SNS that care rooms are bridged with: one instance per configured account of that SNS.
 *
 * <p>The bridge talks only to this interface; everything specific to one SNS (paths, JSON shapes, auth,
 * rate limits, retries) stays inside its implementation. Methods are non-blocking. Failures are signalled as
 * {@link ConnectorException}s: {@link ConnectorException.Retryable} (I/O, timeout, 5xx: try again later),
 * {@link ConnectorException.RateLimited} (wait {@code retryAfter}), {@link ConnectorException.AuthFailed}
 * (credentials refused even after a fresh token), {@link ConnectorException.Rejected} (the SNS refused this
 * request for good: bad input, room gone, access lost) and {@link ConnectorException.Malformed} (the SNS
 * answered something that is not its documented shape).
 *
 * <p>Connectors are pulled (polling) or pushed (webhooks, see {@link Capability#WEBHOOKS}); a pull connector
 * implements {@link #probe} and {@link #changes}, a push connector may answer them from what it received.
 * See docs/CONNECTORS.md.
 */
public interface SnsConnector {

    /** This instance's id, its SNS kind and what it can do. */
    ConnectorDescriptor descriptor();

    /** Rooms visible to the integration account. */
    Flux<ExternalRoom> rooms();

    /** Members of one room. */
    Flux<ExternalMember> members(String roomId);

    /**
     * Cheap global change detection. {@code since} is the token of the previous probe (null the first
     * time). A connector without such a call answers {@code changed = true}.
     */
    Mono<ChangeProbe> probe(String since);

    /**
     * Messages of the room created or changed after {@code cursor} (null: from now), oldest change first,
     * with the cursor to pass next time. The same message may come again after it changes (edits, stamps,
     * deletion); callers are idempotent on {@link ExternalMessage#id()}. Items that do not parse are
     * returned in {@link ChangePage#rejected()} rather than failing the page.
     */
    Mono<ChangePage> changes(String roomId, String cursor);

    /** The most recent messages of the room, newest first, at most {@code limit}: backfill on link. */
    Flux<ExternalMessage> history(String roomId, int limit);

    /** Posts a message, or a reply when {@link OutboundMessage#parentId()} is set; returns it as stored. */
    Mono<ExternalMessage> post(String roomId, OutboundMessage message);

    /** Replaces a message's body. */
    Mono<ExternalMessage> edit(String messageId, OutboundMessage message);

    Mono<Void> delete(String messageId);

    /** Gives ({@code add}) or takes back the integration account's stamp on a message. */
    Mono<Void> react(String messageId, ExternalStamp stamp, boolean add);

    /** Uploads a file and returns the reference to attach to a message. */
    Mono<ExternalAttachment> upload(String fileName, String contentType, long size, Flux<ByteBuffer> content);

    /** The bytes of an attachment received in a message. */
    Flux<ByteBuffer> download(ExternalAttachment attachment);

    /** Current health, as seen from the last calls and, if cheap, a live check. */
    Mono<ConnectorHealth> health();

    /**
     * How many server nodes are working this instance's links now (each link is worked by one node). A connector
     * that limits its own request rate for the account takes that share of the limit, so that the nodes together
     * stay within what the SNS allows. The bridge calls this every lease period; the default does nothing.
     */
    default void shareRateLimit(int nodes) {
    }
}
