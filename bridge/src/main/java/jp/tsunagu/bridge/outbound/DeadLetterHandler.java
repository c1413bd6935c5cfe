package jp.tsunagu.bridge.outbound;

import java.time.Clock;
import java.util.List;

import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.chat.handler.DeliveryHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.message.Delivery;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import reactor.core.publisher.Mono;

/**
 * Dead letters for system administrators: list them, send one again.
 *
 * <p>Errors: 403 without the {@code system_admin} role; 400 invalid id or limit; 404 unknown dead letter (or its
 * message is gone); 409 replayed already.
 */
public final class DeadLetterHandler {

    /** One screen of an operations console; the answer says when more exist only by being full. */
    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;

    private final DeadLetterStore letters;
    private final MessageStore messages;
    private final DeliveryHandler deliveries;
    private final OutboundScheduler scheduler;
    private final Clock clock;

    public DeadLetterHandler(DeadLetterStore letters, MessageStore messages, DeliveryHandler deliveries,
                             OutboundScheduler scheduler, Clock clock) {
        this.letters = letters;
        this.messages = messages;
        this.deliveries = deliveries;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /** Newest first; replayed ones only when {@code includeReplayed}. */
    public Mono<List<DeadLetter>> list(CareUser user, String instanceId, String linkId, boolean includeReplayed,
                                       Integer limit) {
        LinkHandler.requireAdmin(user);
        int n = limit == null ? DEFAULT_LIMIT : limit;
        if (n < 1 || n > MAX_LIMIT) {
            throw ApiException.invalid("limit", "must be 1-" + MAX_LIMIT);
        }
        return letters.list(blankToNull(instanceId), linkId == null || linkId.isBlank() ? null : Ids.require("linkId", linkId),
                includeReplayed, n).collectList();
    }

    /**
     * Sends the message's change again: its status becomes pending (an event tells the room), the bridge picks it
     * up on its next tick and tries it with a fresh retry schedule. The letter is marked replayed first, so two
     * operators clicking at once replay it once.
     */
    public Mono<DeadLetter> replay(CareUser user, String id) {
        LinkHandler.requireAdmin(user);
        Ids.require("deadLetterId", id);
        return letters.findById(id)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("dead letter")))
                .flatMap(letter -> letters.markReplayed(id, clock.instant())
                        .switchIfEmpty(Mono.error(() -> ApiException.conflict("already-replayed",
                                "the dead letter was replayed already")))
                        .flatMap(marked -> messages.findById(letter.messageId())
                                .switchIfEmpty(Mono.error(() -> ApiException.notFound("message")))
                                .flatMap(m -> {
                                    Delivery d = m.delivery() == null ? null : m.delivery().get(letter.instanceId());
                                    Delivery pending = d == null ? Delivery.pending(clock.instant())
                                            : d.pendingAfresh(null, clock.instant());
                                    return deliveries.settle(m.roomId(), m.id(), letter.instanceId(), m.changeSeq(),
                                            pending);
                                })
                                .doOnSuccess(m -> scheduler.wake(letter.roomId()))
                                .thenReturn(marked)));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
