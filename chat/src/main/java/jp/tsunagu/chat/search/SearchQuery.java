package jp.tsunagu.chat.search;

import java.time.Instant;
import java.util.Collection;
import java.util.Set;

/**
 * A search as the index runs it: every part of {@code text} must be found, in one of {@code roomIds} (the rooms the
 * person may search: permission is part of the query), with the other filters when not null.
 *
 * @param after the position after which to continue (newest first), or null for the first page
 */
public record SearchQuery(String text, Collection<String> roomIds, String authorId, String profession,
                          String facilityId, Instant from, Instant to, Set<String> has, Boolean urgent,
                          Position after) {

    /** Where a page ended: the last hit's creation time and id. */
    public record Position(Instant createdAt, String messageId) {
    }
}
