package jp.tsunagu.chat.message;

import java.time.Instant;
import java.util.List;

/**
 * Who must acknowledge an urgent message, who has, and how far it has escalated. Kept inside the message
 * document: an acknowledgement (and the stamp that is one) is one write, and an escalation step is taken by one
 * conditional write on {@code step}, so no step is ever taken twice, whichever node tries.
 *
 * <p>Reading is not acknowledging: only a 見ました/承知/完了 stamp by a required person, or their explicit call.
 *
 * @param required the members who must acknowledge (the named ones, else those mentioned, else the room's
 *                 doctors and nurses); the room's on-call contact is added at the second escalation
 * @param acks who acknowledged, when and how ({@code viewed}, {@code accepted}, {@code completed} or {@code call})
 * @param step escalation steps taken: 0 none yet, 1 after the first interval, 2 after the second (the last)
 * @param escalateAt when the next step is due; null once everyone acknowledged or the last step is taken
 * @param escalations the steps taken, oldest first
 */
public record Acknowledgement(List<String> required, List<Ack> acks, int step, Instant escalateAt,
                              List<Escalation> escalations) {

    /** The last step: after it, nothing more is automatic (the notification issue repeats pushes on its own). */
    public static final int LAST_STEP = 2;

    public Acknowledgement {
        required = required == null ? List.of() : List.copyOf(required);
        acks = acks == null ? List.of() : List.copyOf(acks);
        escalations = escalations == null ? List.of() : List.copyOf(escalations);
    }

    public record Ack(String userId, Instant at, String how) {
    }

    /**
     * @param pending who had not acknowledged when the step was taken
     * @param added who the step added to {@code required} (the room's on-call contact), or null
     * @param noticeId the room notice that named them
     */
    public record Escalation(int step, Instant at, List<String> pending, String added, String noticeId) {
    }

    public boolean isRequired(String userId) {
        return required.contains(userId);
    }

    public boolean isAcknowledgedBy(String userId) {
        return acks.stream().anyMatch(a -> a.userId().equals(userId));
    }

    /** The required members who have not acknowledged, in the order they were named. */
    public List<String> pending() {
        return required.stream().filter(u -> !isAcknowledgedBy(u)).toList();
    }
}
