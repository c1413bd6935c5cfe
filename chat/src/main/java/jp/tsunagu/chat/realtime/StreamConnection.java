package jp.tsunagu.chat.realtime;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * One client connection (a WebSocket or an SSE stream) with a bounded send queue.
 *
 * <p>Frames carry JSON serialised once per event and shared by every connection. When the queue is
 * full the client is not keeping up: rather than buffer without limit, the connection ends with a
 * {@code resync} frame, and the client reconnects with the last sequence number it saw (Mattermost drops
 * slow consumers the same way).
 */
public final class StreamConnection {

    /** Mattermost's per-connection send queue holds 256 events; a burst that size is normal, more is a stall. */
    public static final int DEFAULT_QUEUE_CAPACITY = 256;

    private final String userId;
    private final int capacity;
    /**
     * Frames offered and not yet taken by the writer. The sink's queue itself is unbounded; this count is what
     * bounds it. A bounded Reactor queue does not do: it rounds its size up to a power of two (at least 8), and
     * when full before the writer subscribes (an SSE replay) it answers FAIL_ZERO_SUBSCRIBER, not FAIL_OVERFLOW,
     * which left the stream open with no resync frame and no further events.
     */
    private final AtomicInteger queued = new AtomicInteger();
    /** Room a replay takes on top of the capacity, handed back a frame at a time as the writer takes frames. */
    private final AtomicInteger replayRoom = new AtomicInteger();
    private final Sinks.Many<Frame> sink;
    private final Set<String> rooms = ConcurrentHashMap.newKeySet();
    private final boolean singleRoom;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Frame resyncFrame;

    /**
     * @param singleRoom true for an SSE stream, which follows one room and ends when the user loses access to
     *                   it; a WebSocket only drops that room
     */
    public StreamConnection(String userId, int queueCapacity, boolean singleRoom) {
        this.userId = userId;
        this.capacity = queueCapacity;
        // Many threads offer (the room hubs, a replay on a room's turn, answers to the connection's own commands):
        // the unicast sink over a multi-producer queue takes them without a lock, and one of them at a time writes.
        // A monitor here made a hub wait whenever another thread was writing to the same connection: 28 ms on
        // average, 274 ms at worst, holding up every room of that hub (JFR at 300 posts/s, docs/BENCHMARKS.md).
        this.sink = Sinks.unsafe().many().unicast().onBackpressureBuffer(Queues.<Frame>unboundedMultiproducer().get());
        this.singleRoom = singleRoom;
    }

    public String userId() {
        return userId;
    }

    /**
     * Queues a frame. Returns false, and ends the connection with a resync frame, when the queue is full.
     * Safe from any thread without a lock; frames offered by one thread keep their order (a room's frames all
     * come from its hub).
     */
    public boolean offer(Frame frame) {
        if (closed.get()) {
            return false;
        }
        if (queued.get() >= capacity + replayRoom.get()) {
            overflowed();
            return false;
        }
        queued.incrementAndGet();
        if (sink.tryEmitNext(frame).isSuccess()) {
            return true;
        }
        // The writer went away (cancelled) or the stream already ended.
        queued.decrementAndGet();
        closed.set(true);
        return false;
    }

    /**
     * Queues the replay of a (re)subscription at once. A replay is a burst bounded by
     * {@link StreamHandler#REPLAY_LIMIT}, not a sign of a slow client, so it may exceed the capacity by its own
     * size; counted against the capacity alone, any replay longer than the queue ended in a slow_consumer
     * resync, and a client more than 255 changes behind could never catch up by stream. Live frames still get
     * no more than the capacity: the writer gives back replay room for every frame it takes, replayed or not.
     */
    public boolean offerReplay(List<Frame> frames) {
        if (closed.get()) {
            return false;
        }
        replayRoom.addAndGet(frames.size());
        for (Frame frame : frames) {
            if (!offer(frame)) {
                return false;
            }
        }
        return true;
    }

    private void overflowed() {
        resyncFrame = Frame.control("{\"type\":\"resync\",\"reason\":\"slow_consumer\"}");
        closed.set(true);
        sink.tryEmitComplete();
    }

    /**
     * Ends the stream after what is queued, optionally with a final frame. Closed first, so that offers from now
     * on are refused; one already past its check may still land after the final frame, as it could have landed
     * just before it.
     */
    public void close(Frame finalFrame) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (finalFrame != null) {
            sink.tryEmitNext(finalFrame);
        }
        sink.tryEmitComplete();
    }

    public boolean isClosed() {
        return closed.get();
    }

    /**
     * The frames to write. A slow consumer's queued frames are skipped: it must resync anyway, and
     * writing them would only delay the hint.
     */
    public Flux<Frame> frames() {
        return sink.asFlux()
                // Room before count, so that an offer racing with the writer errs on the side of a full queue.
                .doOnNext(f -> {
                    replayRoom.getAndUpdate(room -> room > 0 ? room - 1 : 0);
                    queued.decrementAndGet();
                })
                .takeWhile(f -> resyncFrame == null)
                .concatWith(Flux.defer(() -> resyncFrame == null ? Flux.empty() : Flux.just(resyncFrame)));
    }

    /** {@link #frames()} interleaved with a shared heartbeat, ending when the frames end. */
    public Flux<Frame> frames(Flux<Frame> heartbeat) {
        Sinks.Empty<Void> done = Sinks.empty();
        // The heartbeat is one shared ticker: a connection whose writer stalls must drop its ticks, or the shared
        // publisher waits for it, the interval overflows, and every connection's stream fails with its error.
        return Flux.merge(frames().doFinally(signal -> done.tryEmitEmpty()),
                heartbeat.onBackpressureDrop().takeUntilOther(done.asMono()));
    }

    /**
     * One serialised event. {@code seq} is the room sequence number, or -1 for control frames
     * (subscribed, resync, heartbeat) that are not part of a room's history.
     */
    public record Frame(String roomId, long seq, String json) {

        public static Frame control(String json) {
            return new Frame(null, -1, json);
        }
    }

    Set<String> rooms() {
        return rooms;
    }

    void roomClosed(String roomId) {
        rooms.remove(roomId);
        if (singleRoom) {
            close(null);
        }
    }
}
