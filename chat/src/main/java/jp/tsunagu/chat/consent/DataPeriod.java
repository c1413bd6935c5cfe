package jp.tsunagu.chat.consent;

import java.time.LocalDate;

/**
 * Which dates of data a grant covers (both inclusive, Japan time); a null end is open. Items without a date
 * are inside only an unbounded period.
 */
public record DataPeriod(LocalDate from, LocalDate to) {

    public static final DataPeriod ALL = new DataPeriod(null, null);

    public boolean bounded() {
        return from != null || to != null;
    }

    public boolean contains(LocalDate day) {
        if (day == null) {
            return !bounded();
        }
        return (from == null || !day.isBefore(from)) && (to == null || !day.isAfter(to));
    }

    /** The overlap with another period. */
    public DataPeriod intersect(DataPeriod other) {
        LocalDate f = from == null ? other.from : other.from == null || from.isAfter(other.from) ? from : other.from;
        LocalDate t = to == null ? other.to : other.to == null || to.isBefore(other.to) ? to : other.to;
        return new DataPeriod(f, t);
    }
}
