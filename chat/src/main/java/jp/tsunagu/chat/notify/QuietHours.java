package jp.tsunagu.chat.notify;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Set;

/**
 * A weekly quiet window in Japan time, e.g. 22:00-07:00 on every day; {@code from} and {@code to} differ (a whole
 * day off is do-not-disturb). A window that crosses midnight belongs to
 * the day it starts: Friday 22:00-07:00 covers Friday night and the small hours of Saturday.
 *
 * @param days the days the window starts on
 */
public record QuietHours(List<DayOfWeek> days, LocalTime from, LocalTime to) {

    /** The people are in Japan and think of their evenings in Japan time, wherever the server runs. */
    public static final ZoneId JAPAN = ZoneId.of("Asia/Tokyo");

    public QuietHours {
        days = days == null ? List.of() : days.stream().distinct().sorted().toList();
    }

    /** Whether {@code at} falls in the window. */
    public boolean covers(Instant at) {
        ZonedDateTime local = at.atZone(JAPAN);
        LocalTime time = local.toLocalTime();
        Set<DayOfWeek> on = Set.copyOf(days);
        DayOfWeek today = local.getDayOfWeek();
        if (from.isBefore(to)) {
            return on.contains(today) && !time.isBefore(from) && time.isBefore(to);
        }
        // Crosses midnight: tonight's part, or the part of the window that started yesterday.
        return (on.contains(today) && !time.isBefore(from)) || (on.contains(today.minus(1)) && time.isBefore(to));
    }
}
