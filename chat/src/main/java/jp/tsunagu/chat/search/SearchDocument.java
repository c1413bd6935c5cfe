package jp.tsunagu.chat.search;

import java.time.Instant;
import java.util.Set;

/**
 * What the index keeps of a message: its text (only its terms are kept, not the text) and what the filters ask.
 *
 * @param has which of {@code photo}, {@code file}, {@code request}, {@code excerpt} the message carries
 */
public record SearchDocument(String messageId, String roomId, long changeSeq, Instant createdAt, String text,
                             String authorId, String profession, String facilityId, Set<String> has, boolean urgent) {
}
