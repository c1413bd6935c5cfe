package jp.tsunagu.ops.bench;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Recorder;

/**
 * Counters and latency recorders shared by all connections and the poster. Latencies are in microseconds.
 *
 * <p>Post→delivery latency is taken from the post's <em>scheduled</em> time, so a poster or server that
 * falls behind the schedule shows up in the figures (no coordinated omission); the latency from the actual
 * send is recorded apart for comparison.
 */
final class Tally {

    /** One hour in microseconds: anything slower is a failure anyway. */
    private static final long HIGHEST = 3_600_000_000L;

    final Recorder fromScheduled = new Recorder(HIGHEST, 3);
    final Recorder fromSent = new Recorder(HIGHEST, 3);
    final Recorder interval = new Recorder(HIGHEST, 3);
    final Recorder postResponse = new Recorder(HIGHEST, 3);
    final Recorder dispatchLag = new Recorder(HIGHEST, 3);
    /** With two nodes: deliveries to a recipient on the other node than the post's, and on the same node. */
    final Recorder crossNode = new Recorder(HIGHEST, 3);
    final Recorder sameNode = new Recorder(HIGHEST, 3);

    final LongAdder deliveries = new LongAdder();
    final LongAdder measuredDeliveries = new LongAdder();
    final LongAdder duplicated = new LongAdder();
    final LongAdder reordered = new LongAdder();
    final LongAdder misrouted = new LongAdder();
    final LongAdder malformed = new LongAdder();
    final LongAdder resyncs = new LongAdder();
    final LongAdder errorFrames = new LongAdder();
    final LongAdder otherFrames = new LongAdder();
    final LongAdder closedEarly = new LongAdder();

    private final List<String> notes = new CopyOnWriteArrayList<>();
    private final AtomicInteger noteCount = new AtomicInteger();

    /** The measured window in System.nanoTime; deliveries and posts outside it are checked but not timed. */
    volatile long windowStart = Long.MAX_VALUE;
    volatile long windowEnd = Long.MAX_VALUE;

    void delivered(Recipient.Marker marker, long receivedAt, boolean acrossNodes) {
        deliveries.increment();
        if (receivedAt >= windowStart && receivedAt < windowEnd) {
            measuredDeliveries.increment();
        }
        if (marker.scheduledAt() >= windowStart && marker.scheduledAt() < windowEnd) {
            fromScheduled.recordValue(micros(receivedAt - marker.scheduledAt()));
            (acrossNodes ? crossNode : sameNode).recordValue(micros(receivedAt - marker.scheduledAt()));
            fromSent.recordValue(micros(receivedAt - marker.sentAt()));
        }
        interval.recordValue(micros(receivedAt - marker.scheduledAt()));
    }

    static long micros(long nanos) {
        return Math.min(HIGHEST, Math.max(0, nanos / 1_000));
    }

    /** Keeps the first few problems to print; counts the rest. */
    void note(String problem) {
        if (noteCount.incrementAndGet() <= 10) {
            notes.add(problem);
        }
    }

    List<String> notes() {
        return notes;
    }

    int noteCount() {
        return noteCount.get();
    }
}
