package jp.tsunagu.chat.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import jp.tsunagu.chat.consent.Actor;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * One view or embed of a resident's health record: who, whose record, what, where, why, on what basis, with
 * what outcome, when. Entries form one hash chain: each {@code hash} covers the entry's fields and the previous
 * entry's hash, so changing, removing or reordering any entry breaks every later link.
 *
 * @param seq position in the chain, from 1, gap-free; the {@code _id}, so two writers cannot take one place
 * @param action {@code view} (a reader opened an excerpt), {@code embed} (a member posted a card),
 *               {@code emergency-view} (break-glass)
 * @param basis {@code grant:<grantId>:<version>}, {@code break-glass:<id>}, or null when nothing allowed it
 * @param outcome {@code shown}, {@code not-shared}, {@code revoked}, {@code expired}, {@code not-yet-valid},
 *                {@code source-unavailable}
 */
@Document("access_log")
public record AccessLogEntry(@Id long seq, Instant at, String action, Actor viewer, String residentId, String roomId,
                            String messageId, List<String> categories, List<String> items, String purpose,
                            String basis, String outcome, String prevHash, String hash) {

    /** The hash before the first entry. */
    public static final String GENESIS = "0".repeat(64);

    public AccessLogEntry {
        categories = categories == null ? List.of() : List.copyOf(categories);
        items = items == null ? List.of() : List.copyOf(items);
    }

    /** This entry placed at {@code seq} after an entry whose hash is {@code prevHash}, with its own hash. */
    public AccessLogEntry chained(long seq, String prevHash) {
        // MongoDB keeps dates to the millisecond: hash what will be read back, not the clock's nanoseconds.
        Instant at = this.at.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        AccessLogEntry placed = new AccessLogEntry(seq, at, action, viewer, residentId, roomId, messageId, categories,
                items, purpose, basis, outcome, prevHash, null);
        return new AccessLogEntry(seq, at, action, viewer, residentId, roomId, messageId, categories, items, purpose,
                basis, outcome, prevHash, placed.computeHash());
    }

    /**
     * SHA-256 over every field but {@code hash}, each written as its length and its text so that no choice of
     * values can make two different entries read the same.
     */
    public String computeHash() {
        StringBuilder in = new StringBuilder();
        field(in, Long.toString(seq));
        field(in, at == null ? null : at.toString());
        field(in, action);
        if (viewer == null) {
            field(in, null);
        } else {
            field(in, viewer.userId());
            field(in, viewer.displayName());
            field(in, viewer.profession() == null ? null : viewer.profession().code());
            field(in, viewer.facilityId());
            field(in, viewer.facilityName());
            field(in, viewer.relationship());
        }
        field(in, residentId);
        field(in, roomId);
        field(in, messageId);
        field(in, String.join(",", categories));
        field(in, Integer.toString(items.size()));
        items.forEach(i -> field(in, i));
        field(in, purpose);
        field(in, basis);
        field(in, outcome);
        field(in, prevHash);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(in.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static void field(StringBuilder out, String value) {
        if (value == null) {
            out.append("-;");
        } else {
            out.append(value.length()).append(':').append(value).append(';');
        }
    }
}
