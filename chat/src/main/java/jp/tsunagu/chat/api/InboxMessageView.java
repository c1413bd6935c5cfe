package jp.tsunagu.chat.api;

import java.time.Instant;

import jp.tsunagu.chat.message.Message;

/**
 * A message as a line of "my actions" shows it: who, when, the start of the text, and the request or
 * acknowledgement to act on. The rest (formatting, photos, stamps, thread) is one tap away, in the room. Kept
 * short because the inbox is reloaded on every change hint, often on a phone on a weak network, and because
 * reading fewer fields is most of what makes the inbox fast (docs/BENCHMARKS.md, inbox).
 *
 * @param text the text, cut after {@link #TEXT_LIMIT} characters with "…"
 */
public record InboxMessageView(String id, String roomId, long seq, MessageView.AuthorView author, String text,
                               String priority, Instant createdAt, MessageView.RequestView request,
                               MessageView.AcknowledgementView acknowledgement) {

    /** A line shows about 80 characters on a 360 px phone; 200 leave room for a wide screen. */
    public static final int TEXT_LIMIT = 200;

    /** Works on a message read in brief ({@code MessageStore.briefs}). */
    public static InboxMessageView of(Message m) {
        return new InboxMessageView(m.id(), m.roomId(), m.seq(), MessageView.authorOf(m), cut(m.text()),
                MessageView.priorityOf(m), m.createdAt(), MessageView.requestOf(m), MessageView.acknowledgementOf(m));
    }

    private static String cut(String text) {
        if (text == null || text.codePointCount(0, text.length()) <= TEXT_LIMIT) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, TEXT_LIMIT)) + "…";
    }
}
