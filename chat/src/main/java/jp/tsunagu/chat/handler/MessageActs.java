package jp.tsunagu.chat.handler;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

import jp.tsunagu.chat.message.Acknowledgement;
import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.Stamp;

/**
 * What one person's stamp or call does to a message, as one {@link MessageStore.Act}: the stamp, the move of the
 * request it carries, and the acknowledgement of an urgent message, so that the three never disagree.
 */
final class MessageActs {

    /** The stamps that acknowledge an urgent message (見ました, 承知, 完了); 感謝 and いいね do not say "I am on it". */
    static final Set<Stamp> ACKNOWLEDGING = EnumSet.of(Stamp.VIEWED, Stamp.ACCEPTED, Stamp.COMPLETED);

    private MessageActs() {
    }

    /**
     * @param stamp the stamp given, or null for a call without one
     * @param nextRequest the request after the act, or null when the act does not move it
     * @param acknowledging true when the act acknowledges (an acknowledging stamp, or the explicit call)
     * @return the act, or null when it changes nothing
     */
    static MessageStore.Act of(Message m, String userId, Stamp stamp, CareRequest nextRequest, boolean acknowledging,
                               Instant now, long changeSeq) {
        Acknowledgement ack = m.acknowledgement();
        boolean acknowledges = acknowledging && ack != null && ack.isRequired(userId) && !ack.isAcknowledgedBy(userId);
        boolean stamps = stamp != null && !stampedBy(m, stamp, userId);
        if (!stamps && nextRequest == null && !acknowledges) {
            return null;
        }
        boolean last = acknowledges && ack.pending().size() == 1;
        Message.Change change = nextRequest != null ? Message.Change.REQUEST
                : acknowledges ? Message.Change.ACKNOWLEDGED : Message.Change.STAMPED;
        return new MessageStore.Act(m, userId, stamps ? stamp : null,
                nextRequest == null ? null : m.request() == null ? null : m.request().state(), nextRequest,
                acknowledges ? new Acknowledgement.Ack(userId, now, stamp == null ? "call" : stamp.code()) : null,
                last, changeSeq, change);
    }

    /** Whether an act would change anything (checked before a sequence number is taken). */
    static boolean changes(Message m, String userId, Stamp stamp, CareRequest nextRequest, boolean acknowledging) {
        return of(m, userId, stamp, nextRequest, acknowledging, Instant.EPOCH, 0) != null;
    }

    static boolean stampedBy(Message m, Stamp stamp, String userId) {
        return m.stamps() != null && m.stamps().getOrDefault(stamp.code(), java.util.List.of()).contains(userId);
    }
}
