package jp.tsunagu.chat.notify;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.room.NotifyAudience;
import jp.tsunagu.chat.room.NotifyLevel;

/**
 * Who hears of a write, and why: a pure function of the message and the room's levels, so the store can enqueue
 * the notifications ahead of the write it is about, with no read of its own.
 *
 * <p>One notification per person and message, for the strongest reason: asked to acknowledge an urgent message,
 * asked a request, mentioned, or in a room where they chose every message. Never the author. A person who chose
 * {@link NotifyLevel#NONE} for the room hears only of urgent messages that ask them to acknowledge. Each assignee
 * of a request due more than {@code 2 × dueReminderBefore} ahead is also reminded {@code dueReminderBefore} before
 * it is due (a request due sooner was just notified).
 */
public final class NotificationPlanner {

    /**
     * How long a notification waits before the sender's rounds may take it: the write it is about lands in
     * milliseconds, and the node that wrote it sends at once ({@code landed}); a round that came first would find no
     * message yet and put it off.
     */
    public static final Duration LANDING_GRACE = Duration.ofSeconds(2);

    private final int shards;
    private final Duration dueReminderBefore;

    public NotificationPlanner(int shards, Duration dueReminderBefore) {
        this.shards = shards;
        this.dueReminderBefore = dueReminderBefore;
    }

    public int shards() {
        return shards;
    }

    /** For a new message, with the room's levels as read when its number was taken. */
    public List<Notification> forNewMessage(Message m, NotifyAudience audience, Instant now) {
        if (m.isDeleted() || audience == null) {
            return List.of();
        }
        Map<String, Notification.Reason> reasons = new LinkedHashMap<>();
        if (m.acknowledgement() != null) {
            m.acknowledgement().pending().forEach(u -> reasons.putIfAbsent(u, Notification.Reason.URGENT));
        }
        CareRequest r = m.request();
        if (r != null && r.state().isActive()) {
            r.assigneeIds().forEach(u -> reasons.putIfAbsent(u, Notification.Reason.REQUEST));
        }
        if (m.mentionedUserIds() != null) {
            m.mentionedUserIds().forEach(u -> reasons.putIfAbsent(u, Notification.Reason.MENTION));
        }
        audience.everyMessage().forEach(u -> reasons.putIfAbsent(u, Notification.Reason.MESSAGE));
        reasons.remove(m.author().userId());

        List<Notification> out = new ArrayList<>();
        reasons.forEach((u, reason) -> {
            NotifyLevel level = audience.level(u);
            if (level != NotifyLevel.NONE || reason == Notification.Reason.URGENT) {
                out.add(notification(m, u, reason, level, m.createdAt(), now.plus(LANDING_GRACE)));
            }
        });
        if (r != null && r.state().isActive()) {
            r.assigneeIds().stream().filter(u -> !u.equals(m.author().userId()))
                    .filter(u -> audience.level(u) != NotifyLevel.NONE)
                    .forEach(u -> reminder(m, r, u, audience.level(u), now, out));
        }
        return out;
    }

    /** For a request added to an existing message by its author; the levels are read when sending. */
    public List<Notification> forRequestAdded(Message m, CareRequest r, Instant now) {
        List<Notification> out = new ArrayList<>();
        for (String u : r.assigneeIds()) {
            if (!u.equals(r.requesterId())) {
                // Its own id: the person may have been notified of the message itself before.
                out.add(Notification.queued("request", u, m.roomId(), m.id(), m.seq(), Notification.Reason.REQUEST,
                        m.priority() == Priority.URGENT, null, shards, now, now.plus(LANDING_GRACE)));
                reminder(m, r, u, null, now, out);
            }
        }
        return out;
    }

    /** For the person an escalation adds to those who must acknowledge (the room's on-call contact). */
    public Notification forAddedAcknowledger(Message m, String userId, Instant now) {
        // Its own id: the person may have been notified of the message before (mentioned, every message).
        return Notification.queued("added", userId, m.roomId(), m.id(), m.seq(), Notification.Reason.URGENT,
                m.priority() == Priority.URGENT, null, shards, now, now.plus(LANDING_GRACE));
    }

    /** For the person's other devices once they read the room up to {@code seq}. */
    public Notification forRead(String userId, String roomId, long seq, Instant now) {
        return Notification.queued("clear", userId, roomId, null, seq, Notification.Reason.CLEAR, false, null, shards,
                now, now);
    }

    private void reminder(Message m, CareRequest r, String userId, NotifyLevel level, Instant now, List<Notification> out) {
        Instant remindAt = r.dueAt().minus(dueReminderBefore);
        if (remindAt.isAfter(now.plus(dueReminderBefore))) {
            out.add(Notification.queued("due", userId, m.roomId(), m.id(), m.seq(), Notification.Reason.DUE,
                    m.priority() == Priority.URGENT, level, shards, remindAt, remindAt));
        }
    }

    /** @param createdAt when what it is about happened: the post, the request added, the escalation step */
    private Notification notification(Message m, String userId, Notification.Reason reason, NotifyLevel level,
                                      Instant createdAt, Instant dueAt) {
        return Notification.queued("", userId, m.roomId(), m.id(), m.seq(), reason, m.priority() == Priority.URGENT,
                level, shards, createdAt, dueAt);
    }
}
