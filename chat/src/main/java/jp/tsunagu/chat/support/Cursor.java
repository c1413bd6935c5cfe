package jp.tsunagu.chat.support;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * Opaque position in a list ordered by time then id, newest first: the time and id of the last item the
 * client was given. Clients pass it back verbatim as {@code cursor}.
 */
public record Cursor(Instant at, String id) {

    public String encode() {
        String raw = at.toEpochMilli() + "|" + id;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** Decodes a client's cursor; null or blank means the start. Garbage is a 400 naming {@code cursor}. */
    public static Cursor decode(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            int bar = raw.indexOf('|');
            return new Cursor(Instant.ofEpochMilli(Long.parseLong(raw.substring(0, bar))), raw.substring(bar + 1));
        } catch (RuntimeException e) {
            throw ApiException.invalid("cursor", "is not a cursor this server issued");
        }
    }
}
