package jp.tsunagu.chat.notify;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Quiet hours are Japan time, weekly, and a window past midnight belongs to the day it starts. */
class QuietHoursTests {

    private static Instant japan(String localDateTime) {
        return LocalDateTime.parse(localDateTime).atZone(QuietHours.JAPAN).toInstant();
    }

    @Test
    void aWindowWithinADayCoversItsHoursOnItsDaysOnly() {
        QuietHours lunch = new QuietHours(List.of(DayOfWeek.MONDAY, DayOfWeek.WEDNESDAY), LocalTime.of(12, 0), LocalTime.of(13, 0));
        // 2026-12-09 is a Wednesday.
        assertThat(lunch.covers(japan("2026-12-09T12:00"))).isTrue();
        assertThat(lunch.covers(japan("2026-12-09T12:59"))).isTrue();
        assertThat(lunch.covers(japan("2026-12-09T13:00"))).isFalse();
        assertThat(lunch.covers(japan("2026-12-09T11:59"))).isFalse();
        assertThat(lunch.covers(japan("2026-12-10T12:30"))).as("Thursday").isFalse();
    }

    @Test
    void aWindowPastMidnightBelongsToTheDayItStarts() {
        QuietHours fridayNight = new QuietHours(List.of(DayOfWeek.FRIDAY), LocalTime.of(22, 0), LocalTime.of(7, 0));
        // 2026-12-11 is a Friday.
        assertThat(fridayNight.covers(japan("2026-12-11T21:59"))).isFalse();
        assertThat(fridayNight.covers(japan("2026-12-11T22:00"))).isTrue();
        assertThat(fridayNight.covers(japan("2026-12-12T03:00"))).as("small hours of Saturday").isTrue();
        assertThat(fridayNight.covers(japan("2026-12-12T07:00"))).isFalse();
        assertThat(fridayNight.covers(japan("2026-12-12T23:00"))).as("Saturday night is not Friday's").isFalse();
        assertThat(fridayNight.covers(japan("2026-12-11T03:00"))).as("Friday's small hours belong to Thursday").isFalse();
    }

    @Test
    void theWindowIsJapanTimeWhateverTheServersZone() {
        QuietHours nights = new QuietHours(List.of(DayOfWeek.values()), LocalTime.of(22, 0), LocalTime.of(7, 0));
        // 23:30 in Japan is 14:30 UTC.
        assertThat(nights.covers(Instant.parse("2026-12-09T14:30:00Z"))).isTrue();
        assertThat(nights.covers(Instant.parse("2026-12-09T03:00:00Z"))).as("12:00 in Japan").isFalse();
    }
}
