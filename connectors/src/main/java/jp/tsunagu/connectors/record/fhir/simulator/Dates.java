package jp.tsunagu.connectors.record.fhir.simulator;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** FHIR date, dateTime and instant values as the span of time they stand for; zone-less days are Japan days. */
final class Dates {

    private static final ZoneId JAPAN = ZoneId.of("Asia/Tokyo");

    /** [start, end) of a value: a year, a month, a day, or a time to the second. */
    record Range(Instant start, Instant end) {
    }

    private Dates() {
    }

    /** @throws IllegalArgumentException for anything that is not a FHIR date or time */
    static Range range(String value) {
        try {
            switch (value.length()) {
                case 4 -> {
                    Year y = Year.parse(value);
                    return days(y.atDay(1), y.plusYears(1).atDay(1));
                }
                case 7 -> {
                    YearMonth m = YearMonth.parse(value);
                    return days(m.atDay(1), m.plusMonths(1).atDay(1));
                }
                case 10 -> {
                    LocalDate d = LocalDate.parse(value);
                    return days(d, d.plusDays(1));
                }
                default -> {
                    Instant t = OffsetDateTime.parse(value).toInstant().truncatedTo(ChronoUnit.SECONDS);
                    return new Range(t, t.plusSeconds(1));
                }
            }
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a FHIR date or time: " + value, e);
        }
    }

    private static Range days(LocalDate from, LocalDate until) {
        return new Range(from.atStartOfDay(JAPAN).toInstant(), until.atStartOfDay(JAPAN).toInstant());
    }
}
