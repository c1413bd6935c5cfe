package jp.tsunagu.chat.room;

import java.time.Instant;

/**
 * A short preview of a room's latest message for the room list.
 *
 * @param seq the message's number; 0 in a preview written with the number it takes (readers take it from the message)
 */
public record LastMessage(String id, long seq, String excerpt, String authorName, boolean urgent, Instant createdAt) {

    /** Runs of white space, which a one-line excerpt folds into one space (compiled once: once per post). */
    private static final java.util.regex.Pattern SPACES = java.util.regex.Pattern.compile("\\s+");

    /** The preview of a message about to take its number. */
    public static LastMessage ahead(String messageId, String text, String authorName, boolean urgent, Instant createdAt) {
        return new LastMessage(messageId, 0, excerptOf(text), authorName, urgent, createdAt);
    }

    /** This preview with its message's number, as readers show it. */
    public LastMessage withSeq(long messageSeq) {
        return new LastMessage(id, messageSeq, excerpt, authorName, urgent, createdAt);
    }

    /** Room lists show one line; 80 characters fit a phone screen in Japanese at the app's font size. */
    public static final int EXCERPT_LENGTH = 80;

    public static String excerptOf(String text) {
        if (text == null) {
            return "";
        }
        String flat = SPACES.matcher(text).replaceAll(" ").strip();
        return flat.codePointCount(0, flat.length()) <= EXCERPT_LENGTH ? flat
                : flat.substring(0, flat.offsetByCodePoints(0, EXCERPT_LENGTH)) + "…";
    }
}
