package jp.tsunagu.bridge.outbound;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * When to try a failing outbound change again. The steps follow issue #3 (5 s, 30 s, 2 min, 10 min, 30 min, then
 * hourly) and give up 24 h after the first failure: long enough to ride out an overnight outage of the SNS, short
 * enough that a care team learns the same day that a note did not reach the other side.
 *
 * @param steps the waits after the 1st, 2nd, … failure; the last one repeats
 * @param giveUpAfter counted from the first failure; a change still failing then is dead-lettered
 */
public record RetrySchedule(List<Duration> steps, Duration giveUpAfter) {

    public static final RetrySchedule DEFAULT = new RetrySchedule(List.of(Duration.ofSeconds(5), Duration.ofSeconds(30),
            Duration.ofMinutes(2), Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(1)),
            Duration.ofHours(24));

    public RetrySchedule {
        if (steps == null || steps.isEmpty()) {
            throw new IllegalArgumentException("at least one retry step");
        }
        steps = List.copyOf(steps);
    }

    /**
     * The time of the next attempt after {@code failures} failed attempts (1 for the first), at least
     * {@code retryAfter} from now when the SNS asked for it; empty when the change is to be given up.
     */
    public Optional<Instant> next(int failures, Instant firstFailedAt, Instant now, Duration retryAfter) {
        Instant deadline = firstFailedAt.plus(giveUpAfter);
        if (!now.isBefore(deadline)) {
            return Optional.empty();
        }
        Duration wait = steps.get(Math.min(Math.max(failures, 1), steps.size()) - 1);
        if (retryAfter != null && retryAfter.compareTo(wait) > 0) {
            wait = retryAfter;
        }
        Instant at = now.plus(wait);
        // One last attempt at the deadline rather than none: a wait that would cross it is shortened.
        return Optional.of(at.isAfter(deadline) ? deadline : at);
    }
}
