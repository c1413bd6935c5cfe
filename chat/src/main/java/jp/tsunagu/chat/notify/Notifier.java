package jp.tsunagu.chat.notify;

import java.time.Clock;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.NotificationQueue;
import jp.tsunagu.chat.room.NotifyAudience;
import reactor.core.publisher.Mono;

/**
 * The message store's {@link NotificationQueue}: plans who hears of a write ({@link NotificationPlanner}), enqueues
 * it durably ahead of the write, and hands it to this node's {@link NotificationSender} once the write landed.
 */
public final class Notifier implements NotificationQueue {

    private static final Logger log = LoggerFactory.getLogger(Notifier.class);

    private final NotificationPlanner planner;
    private final NotificationStore queue;
    private final NotificationSender sender;
    private final Clock clock;

    public Notifier(NotificationPlanner planner, NotificationStore queue, NotificationSender sender, Clock clock) {
        this.planner = planner;
        this.queue = queue;
        this.sender = sender;
        this.clock = clock;
    }

    @Override
    public Mono<Landing> newMessage(Message m, NotifyAudience audience) {
        return enqueue(planner.forNewMessage(m, audience, clock.instant()));
    }

    @Override
    public Mono<Landing> requestAdded(Message m, CareRequest request) {
        return enqueue(planner.forRequestAdded(m, request, clock.instant()));
    }

    @Override
    public Mono<Landing> acknowledgerAdded(Message m, String userId) {
        return enqueue(List.of(planner.forAddedAcknowledger(m, userId, clock.instant())));
    }

    private Mono<Landing> enqueue(List<Notification> planned) {
        if (planned.isEmpty()) {
            return Mono.just(Landing.NONE);
        }
        return queue.enqueue(planned).thenReturn(stored -> sender.landed(planned, stored));
    }

    /**
     * The person read the room up to {@code seq} on one device: their other devices close what they show of it.
     * Best-effort and off the reader's path: a clear lost to a crash leaves a notification on a phone, nothing more.
     */
    @Override
    public void read(String userId, String roomId, long seq) {
        Notification clear = planner.forRead(userId, roomId, seq, clock.instant());
        queue.enqueueClear(clear)
                .then(queue.findById(clear.id()))
                .subscribe(stored -> sender.landed(List.of(stored), null),
                        e -> log.debug("clear of room {} for {} not queued: {}", roomId, userId, e.toString()));
    }
}
