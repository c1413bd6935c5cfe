package jp.tsunagu.chat.message;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a message puts in people's "my actions" inboxes, as entries of the per-user {@link Inbox} projection: a
 * request in its assignees' {@code asked} and, while active, its requester's {@code made} (once declined, their
 * {@code declined}), an urgent message in the {@code acknowledge} of everyone who still has to acknowledge it, a
 * mention in the {@code mentions} of everyone it reached.
 *
 * <p>The projection exists because the embedded server answers only {@code _id} lookups from an index: reading an
 * inbox is one {@code _id $in} read of the person's {@link RoomInbox} documents, where the four queries it
 * replaces each scanned every message
 * (docs/BENCHMARKS.md, inbox). It is kept a <em>superset</em> of the truth: entries a write adds are filed
 * before that write, so a crash can leave an extra entry but never lose one; entries a write removes are taken
 * out after it. Whoever reads it checks each entry against its message before showing it.
 */
public final class InboxEntries {

    private InboxEntries() {
    }

    /** The inbox's sections; {@code field} names the map of entries in the {@link Inbox} document. */
    public enum Section {
        ASKED("asked"), ACKNOWLEDGE("acknowledge"), MENTIONS("mentions"), MADE("made"), DECLINED("declined");

        private final String field;

        Section(String field) {
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /**
     * One message in one person's section (of the room it is in), with what sorting and pre-filtering need so
     * the inbox fetches only the messages it shows.
     *
     * @param at when the message was created; for {@code declined}, when it was declined
     * @param dueAt the request's due time; null outside {@code asked}, {@code made} and {@code declined}
     * @param seq the message's number in its room (a mention is unread while the read position is below it)
     * @param filedAt when the entry was written; a reader removes a stale entry only once it is older than a
     *                write in flight could be
     */
    public record Entry(Instant at, Instant dueAt, long seq, Instant filedAt) {
    }

    /** One entry to write into, or ({@code entry} null) take out of, a person's section in a room. */
    public record Filing(String userId, String roomId, Section section, String messageId, Entry entry) {

        public boolean removes() {
            return entry == null;
        }
    }

    /** Every entry the message's present state implies; none for a deleted message. */
    public static List<Filing> of(Message m, Instant filedAt) {
        List<Filing> out = new ArrayList<>();
        if (m.isDeleted()) {
            return out;
        }
        if (m.request() != null) {
            out.addAll(ofRequest(m, m.request(), filedAt));
        }
        if (m.acknowledgement() != null) {
            m.acknowledgement().pending().forEach(u -> out.add(acknowledger(m, u, filedAt)));
        }
        if (m.mentionedUserIds() != null) {
            m.mentionedUserIds().stream().filter(u -> !u.equals(m.author().userId())).distinct()
                    .forEach(u -> out.add(new Filing(u, m.roomId(), Section.MENTIONS, m.id(),
                            new Entry(m.createdAt(), null, m.seq(), filedAt))));
        }
        return out;
    }

    /** The entries of the message carrying {@code request} (which may be the state a write is about to give it). */
    public static List<Filing> ofRequest(Message m, CareRequest request, Instant filedAt) {
        List<Filing> out = new ArrayList<>();
        if (request.state().isActive()) {
            Entry entry = new Entry(m.createdAt(), request.dueAt(), m.seq(), filedAt);
            request.assigneeIds().forEach(u -> out.add(new Filing(u, m.roomId(), Section.ASKED, m.id(), entry)));
            out.add(new Filing(request.requesterId(), m.roomId(), Section.MADE, m.id(), entry));
        } else if (request.state() == CareRequest.State.DECLINED) {
            out.add(new Filing(request.requesterId(), m.roomId(), Section.DECLINED, m.id(),
                    new Entry(lastMove(request), request.dueAt(), m.seq(), filedAt)));
        }
        return out;
    }

    /** The entry of someone who has to acknowledge the urgent message (who an escalation is about to add). */
    public static Filing acknowledger(Message m, String userId, Instant filedAt) {
        return new Filing(userId, m.roomId(), Section.ACKNOWLEDGE, m.id(), new Entry(m.createdAt(), null, m.seq(), filedAt));
    }

    /**
     * The entries the message's state has taken out for good: a deleted message from everyone, a finished,
     * declined or cancelled request from its assignees' {@code asked} and its requester's {@code made}, an
     * acknowledged message from its acknowledger's {@code acknowledge}. Only facts no later write undoes, so
     * removals filed late (behind a newer write on another node) never take out an entry the newer state needs.
     */
    public static List<Filing> settled(Message m) {
        List<Filing> out = new ArrayList<>();
        if (m.isDeleted()) {
            for (String u : concerned(m)) {
                for (Section s : Section.values()) {
                    out.add(new Filing(u, m.roomId(), s, m.id(), null));
                }
            }
            return out;
        }
        CareRequest r = m.request();
        if (r != null && !r.state().isActive()) {
            r.assigneeIds().forEach(u -> out.add(new Filing(u, m.roomId(), Section.ASKED, m.id(), null)));
            out.add(new Filing(r.requesterId(), m.roomId(), Section.MADE, m.id(), null));
        }
        if (m.acknowledgement() != null) {
            m.acknowledgement().acks().forEach(a -> out.add(new Filing(a.userId(), m.roomId(), Section.ACKNOWLEDGE, m.id(), null)));
        }
        return out;
    }

    /** Whether the message's state has taken that person's entry out for good ({@link #settled}). */
    public static boolean isSettled(Message m, String userId, Section section) {
        return listed(settled(m), userId, section);
    }

    /** Whether the message, as it stands, belongs in that person's section. */
    public static boolean holds(Message m, String userId, Section section) {
        return listed(of(m, Instant.EPOCH), userId, section);
    }

    private static boolean listed(List<Filing> filings, String userId, Section section) {
        return filings.stream().anyMatch(f -> f.section() == section && f.userId().equals(userId));
    }

    /** Everyone who may hold an entry of the message, whatever its state now. */
    static Set<String> concerned(Message m) {
        Set<String> out = new LinkedHashSet<>();
        if (m.request() != null) {
            out.addAll(m.request().assigneeIds());
            out.add(m.request().requesterId());
        }
        if (m.acknowledgement() != null) {
            out.addAll(m.acknowledgement().required());
        }
        if (m.mentionedUserIds() != null) {
            out.addAll(m.mentionedUserIds());
        }
        return out;
    }

    /** When the request last changed state (its creation when it never did). */
    public static Instant lastMove(CareRequest r) {
        return r.history().isEmpty() ? Instant.EPOCH : r.history().get(r.history().size() - 1).at();
    }
}
