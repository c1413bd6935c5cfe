package jp.tsunagu.chat.consent;

import java.time.Clock;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.realtime.RoomEventPublisher;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Mono;

/**
 * Tells open connections that the consent behind excerpt cards changed: each card under the grant takes the
 * room's next sequence number with {@code excerpt.grantState} set, and a {@code message.excerpt} event goes
 * out. A client drops what it shows and reads the card again. Being a room change with a number, it also
 * reaches a client that was offline, when it resumes.
 */
public final class ExcerptAnnouncer {

    private final MessageStore messages;
    private final RoomStore rooms;
    private final RoomLinearizer linearizer;
    private final RoomEventPublisher events;
    private final Clock clock;

    public ExcerptAnnouncer(MessageStore messages, RoomStore rooms, RoomLinearizer linearizer, RoomEventPublisher events,
                            Clock clock) {
        this.messages = messages;
        this.rooms = rooms;
        this.linearizer = linearizer;
        this.events = events;
        this.clock = clock;
    }

    /** Announces the grant's state now to every card under it whose announced state differs. */
    public Mono<Void> announce(ConsentGrant current) {
        String state = current.stateAt(clock.instant());
        return linearizer.run(current.roomId(), () -> messages.excerptsOfGrant(current.grantId())
                .filter(m -> m.deleted() == null && !state.equals(m.excerpt().grantState()))
                .concatMap(m -> rooms.nextSeq(m.roomId())
                        .flatMap(seq -> messages.setExcerptState(m.id(), state, seq)))
                .doOnNext(m -> events.publish(RoomEvent.message("message.excerpt", MessageView.of(m))))
                .then());
    }
}
