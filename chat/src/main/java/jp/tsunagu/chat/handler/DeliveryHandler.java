package jp.tsunagu.chat.handler;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.message.Delivery;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.realtime.RoomEventPublisher;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Mono;

/**
 * The send status of messages to bridged external SNS, written by the bridge. The caller is trusted (no
 * membership check). The status lives in the message document ({@link Message#delivery()}), so a message and
 * its status are always written together or not at all.
 */
public final class DeliveryHandler {

    private final RoomStore rooms;
    private final MessageStore messages;
    private final RoomLinearizer linearizer;
    private final RoomEventPublisher events;

    public DeliveryHandler(RoomStore rooms, MessageStore messages, RoomLinearizer linearizer, RoomEventPublisher events) {
        this.rooms = rooms;
        this.messages = messages;
        this.linearizer = linearizer;
        this.events = events;
    }

    /**
     * Stores bookkeeping that members need not see at once (an attempt started, a retry scheduled): no sequence
     * number, no event. 404 if there is no such message.
     */
    public Mono<Message> record(String messageId, String instanceId, Delivery entry) {
        return messages.setDelivery(messageId, instanceId, entry, null)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("message")));
    }

    /**
     * Settles the status members see (delivered, failed) on the room's turn: the next sequence number, one write,
     * a {@code message.delivery} event. If the message changed since {@code basedOnChangeSeq} (the state the
     * bridge worked from), that newer change has not gone out: the entry is stored as still pending, silently,
     * and the bridge's next pass delivers the change. 404 if there is no such message.
     */
    public Mono<Message> settle(String roomId, String messageId, String instanceId, long basedOnChangeSeq,
                                Delivery entry) {
        return linearizer.run(roomId, () -> messages.findById(messageId)
                .filter(m -> m.roomId().equals(roomId))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("message")))
                .flatMap(m -> {
                    if (m.changeSeq() != basedOnChangeSeq) {
                        return messages.setDelivery(messageId, instanceId, entry.stillPending(), null);
                    }
                    return rooms.nextSeq(m.roomId())
                            .flatMap(seq -> messages.setDelivery(messageId, instanceId, entry.settledAt(seq), seq))
                            .doOnNext(settled -> events.publish(RoomEvent.message("message.delivery",
                                    MessageView.of(settled))));
                }));
    }
}
