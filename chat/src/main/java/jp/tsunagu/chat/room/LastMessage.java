package jp.tsunagu.chat.room;

import java.time.Instant;

/** A short preview of a room's latest message for the room list. */
public record LastMessage(String id, long seq, String excerpt, String authorName, boolean urgent, Instant createdAt) {

    /** Room lists show one line; 80 characters fit a phone screen in Japanese at the app's font size. */
    public static final int EXCERPT_LENGTH = 80;

    public static String excerptOf(String text) {
        if (text == null) {
            return "";
        }
        String flat = text.replaceAll("\\s+", " ").strip();
        return flat.codePointCount(0, flat.length()) <= EXCERPT_LENGTH ? flat
                : flat.substring(0, flat.offsetByCodePoints(0, EXCERPT_LENGTH)) + "…";
    }
}
