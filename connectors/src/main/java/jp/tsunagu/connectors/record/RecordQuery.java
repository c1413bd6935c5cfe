package jp.tsunagu.connectors.record;

import java.time.LocalDate;
import java.util.Objects;

/**
 * One category of one resident's record, optionally limited to the dates of the data (both inclusive, in
 * Japan time; null = open). Sources apply the dates at their end where they can; callers filter again, so a
 * source that ignores them never widens what is shown.
 *
 * @param residentId the id the regional network knows the resident by (the room's external resident id)
 */
public record RecordQuery(String residentId, RecordCategory category, LocalDate from, LocalDate to) {

    public RecordQuery {
        Objects.requireNonNull(residentId, "residentId");
        Objects.requireNonNull(category, "category");
        if (from != null && to != null && to.isBefore(from)) {
            throw new IllegalArgumentException("to before from");
        }
    }
}
