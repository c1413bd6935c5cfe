package jp.tsunagu.chat.message;

import reactor.core.publisher.Mono;

import jp.tsunagu.chat.room.NotifyAudience;

/**
 * Who hears of a message write, kept by {@link MongoMessageStore} like the inbox: the notifications are enqueued
 * durably <em>before</em> the write (a crash between the two leaves notifications whose message is missing, which
 * the sender drops, never a message nobody hears of), and handed to this node's sender once it landed, so a
 * notification leaves within milliseconds instead of at the next round.
 */
public interface NotificationQueue {

    /** No notifications (a store in a test, seeded history). */
    NotificationQueue NONE = new NotificationQueue() {
        @Override
        public Mono<Landing> newMessage(Message m, NotifyAudience audience) {
            return Mono.just(Landing.NONE);
        }

        @Override
        public Mono<Landing> requestAdded(Message m, CareRequest request) {
            return Mono.just(Landing.NONE);
        }

        @Override
        public Mono<Landing> acknowledgerAdded(Message m, String userId) {
            return Mono.just(Landing.NONE);
        }
    };

    /** What to do once the write landed: hand what was enqueued to this node's sender. */
    @FunctionalInterface
    interface Landing {
        Landing NONE = stored -> { };

        /** Returns at once and never throws. */
        void landed(Message stored);
    }

    /** Ahead of inserting a new message; {@code audience} null when nobody is to hear of it (seeded history). */
    Mono<Landing> newMessage(Message m, NotifyAudience audience);

    /** Ahead of adding a request to an existing message. */
    Mono<Landing> requestAdded(Message m, CareRequest request);

    /** Ahead of the escalation step that adds {@code userId} to those who must acknowledge. */
    Mono<Landing> acknowledgerAdded(Message m, String userId);

    /**
     * After the person's read position in the room moved to {@code upToSeq}: their other devices close what they
     * show of it. Best-effort; returns at once and never throws.
     */
    default void read(String userId, String roomId, long upToSeq) {
    }
}
