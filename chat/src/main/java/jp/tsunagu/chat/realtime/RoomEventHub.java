package jp.tsunagu.chat.realtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fans room events out to open connections through a fixed number of hubs (Mattermost's design).
 *
 * <p>A room always maps to the same hub, and a hub is one thread that owns its rooms' subscriber sets, so
 * events of a room reach every connection in the order they were delivered, without locks on the hot path.
 * Each event is serialised once, then offered to every subscriber's bounded queue.
 *
 * <p>Each hub remembers, per room, the last sequence number it delivered. A number at or below it is a
 * duplicate (a change stream resumed a little early) and is dropped. With a {@code contiguous} source (the
 * {@code room_events} log of several nodes, where every number of a room is present or marked skipped) a
 * number beyond the next is a gap: the room's connections get {@code resync}, as they do when the log says an
 * event came too late ({@link #late}).
 */
public final class RoomEventHub implements RoomEventPublisher, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RoomEventHub.class);
    /**
     * Rooms without connections are forgotten after an hour without events; a room's state is a few fields,
     * so this only keeps a long-running node from remembering every room it ever saw.
     */
    private static final long IDLE_ROOM_NANOS = TimeUnit.HOURS.toNanos(1);
    private static final int SWEEP_EVERY = 4_096;

    private final Hub[] hubs;
    private final JsonMapper json;
    private final boolean contiguous;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong resyncs = new AtomicLong();
    private final List<Consumer<LoggedEvent>> listeners = new CopyOnWriteArrayList<>();

    /** One node: events come straight from the handlers and numbers may be skipped silently. */
    public RoomEventHub(int hubCount, JsonMapper json) {
        this(hubCount, json, false);
    }

    /**
     * @param hubCount   number of fan-out threads; Mattermost sizes hubs by CPU count, and fan-out is cheap
     *                   work, so 2 × cores keeps cores busy without contending
     * @param contiguous true when events come from the room event log, in which no number of a room is missing
     */
    public RoomEventHub(int hubCount, JsonMapper json, boolean contiguous) {
        this.json = json;
        this.contiguous = contiguous;
        this.hubs = new Hub[hubCount];
        for (int i = 0; i < hubCount; i++) {
            hubs[i] = new Hub(i);
        }
    }

    /** Serialises an event the one time it is serialised. */
    public String serialise(RoomEvent event) {
        return json.writeValueAsString(event);
    }

    /**
     * Also hands every delivered event to {@code listener}, in room order, on the delivering thread (the bridge
     * wakes its outbound delivery this way). The listener must return at once and must not throw.
     */
    public void addListener(Consumer<LoggedEvent> listener) {
        listeners.add(listener);
    }

    /** One node: a handler's change goes straight to the hubs. Called on the room's turn, so in room order. */
    @Override
    public void publish(RoomEvent event) {
        deliver(LoggedEvent.of(event, serialise(event)));
    }

    /** Delivers an event to the room's connections; callers deliver a room's events in sequence order. */
    public void deliver(LoggedEvent event) {
        if (!event.skipped()) {
            for (Consumer<LoggedEvent> listener : listeners) {
                listener.accept(event);
            }
            published.incrementAndGet();
        }
        Hub hub = hubFor(event.roomId());
        hub.executor.execute(() -> hub.accept(event));
    }

    /** The event numbered {@code seq} reached the log after its number had been given up: the room resyncs. */
    public void late(String roomId, long seq) {
        log.info("room {}: event {} reached the log after its number was given up; the room's connections resync",
                roomId, seq);
        Hub hub = hubFor(roomId);
        hub.executor.execute(() -> hub.resync(roomId, "late_event"));
    }

    /** The log lost events this node had not read (its resume point left the oplog): every connection resyncs. */
    public void resyncAll(String reason) {
        for (Hub hub : hubs) {
            hub.executor.execute(() -> {
                for (String roomId : List.copyOf(hub.rooms.keySet())) {
                    hub.resync(roomId, reason);
                }
                hub.rooms.clear();
            });
        }
    }

    /**
     * First half of attaching a connection: from now on the room's events are kept for it. Emits the number up
     * to which the caller must replay from the database: the last one this hub delivered for the room, or
     * {@code known} when the hub has not seen the room, which the caller read such that every change up to it
     * is stored. Finish with {@link #joined} or {@link #leave}.
     */
    public Mono<Long> join(String roomId, StreamConnection connection, long known) {
        connection.rooms().add(roomId);
        Hub hub = hubFor(roomId);
        Sinks.One<Long> bound = Sinks.one();
        hub.executor.execute(() -> bound.tryEmitValue(hub.join(roomId, connection, known)));
        return bound.asMono();
    }

    /**
     * Second half: queues {@code first} (the replay and the {@code subscribed} frame), then the events kept since
     * {@link #join}, and makes the connection a live subscriber.
     *
     * @param seenUpTo the last number the client has; events up to it are not sent again. It can exceed what this
     *                 hub has delivered when the client comes from a node further ahead (this one is catching up)
     */
    public Mono<Void> joined(String roomId, StreamConnection connection, List<StreamConnection.Frame> first, long seenUpTo) {
        Hub hub = hubFor(roomId);
        Sinks.Empty<Void> done = Sinks.empty();
        hub.executor.execute(() -> {
            hub.joined(roomId, connection, first, seenUpTo);
            done.tryEmitEmpty();
        });
        // Completes once the frames are queued, so a command the client sent after this subscribe is answered after them.
        return done.asMono();
    }

    /** Forgets the connection in the room, joined or joining. */
    public void leave(String roomId, StreamConnection connection) {
        connection.rooms().remove(roomId);
        Hub hub = hubFor(roomId);
        hub.executor.execute(() -> hub.remove(roomId, connection));
    }

    /** Removes the connection from every room it follows; call when it ends. */
    public void disconnect(StreamConnection connection) {
        for (String roomId : Set.copyOf(connection.rooms())) {
            leave(roomId, connection);
        }
    }

    /** Counts a connection opened; pair with {@link #connectionClosed()}. */
    public void connectionOpened() {
        connections.incrementAndGet();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public long openConnections() {
        return connections.get();
    }

    public long publishedCount() {
        return published.get();
    }

    public long deliveredCount() {
        return delivered.get();
    }

    public long droppedConnections() {
        return dropped.get();
    }

    /** Room resyncs sent because of a gap, a late event or lost history; for metrics. */
    public long resyncCount() {
        return resyncs.get();
    }

    private Hub hubFor(String roomId) {
        return hubs[Math.floorMod(roomId.hashCode(), hubs.length)];
    }

    @Override
    public void close() {
        for (Hub hub : hubs) {
            hub.executor.shutdown();
        }
        for (Hub hub : hubs) {
            try {
                hub.executor.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What a hub knows of one room. Owned by the hub's thread. */
    private static final class RoomState {
        long last;
        long touchedAt = System.nanoTime();
        final Set<StreamConnection> subscribers = new LinkedHashSet<>();
        /** Connections between join and joined, with the frames delivered meanwhile. */
        final Map<StreamConnection, List<StreamConnection.Frame>> joining = new LinkedHashMap<>();
        /** Subscribers that have seen further than this hub has delivered, with the number they have seen. */
        final Map<StreamConnection, Long> ahead = new HashMap<>();

        RoomState(long last) {
            this.last = last;
        }

        boolean idle() {
            return subscribers.isEmpty() && joining.isEmpty();
        }
    }

    private final class Hub {
        final ExecutorService executor;
        /** Owned by this hub's thread only. */
        final Map<String, RoomState> rooms = new HashMap<>();
        int sinceSweep;

        Hub(int index) {
            this.executor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "room-hub-" + index);
                t.setDaemon(true);
                return t;
            });
        }

        void accept(LoggedEvent event) {
            if (++sinceSweep >= SWEEP_EVERY) {
                sweep();
            }
            RoomState room = rooms.computeIfAbsent(event.roomId(), r -> new RoomState(event.seq() - 1));
            room.touchedAt = System.nanoTime();
            if (event.seq() <= room.last) {
                return;
            }
            if (contiguous && event.seq() > room.last + 1) {
                log.warn("room {}: events {}..{} missing from the log; its connections resync", event.roomId(),
                        room.last + 1, event.seq() - 1);
                resync(event.roomId(), "gap");
                room = rooms.computeIfAbsent(event.roomId(), r -> new RoomState(event.seq() - 1));
            }
            room.last = event.seq();
            if (event.skipped()) {
                return;
            }
            fanOut(event.roomId(), room, new StreamConnection.Frame(event.roomId(), event.seq(), event.json()),
                    event.removedUserId());
        }

        void fanOut(String roomId, RoomState room, StreamConnection.Frame frame, String removedUserId) {
            for (Iterator<Map.Entry<StreamConnection, List<StreamConnection.Frame>>> it = room.joining.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<StreamConnection, List<StreamConnection.Frame>> joiner = it.next();
                if (joiner.getKey().userId().equals(removedUserId)) {
                    it.remove();
                    joiner.getKey().roomClosed(roomId);
                } else {
                    joiner.getValue().add(frame);
                }
            }
            for (StreamConnection c : room.subscribers.toArray(StreamConnection[]::new)) {
                if (!room.ahead.isEmpty() && aheadOf(room, c, frame.seq())) {
                    continue;
                }
                if (c.offer(frame)) {
                    delivered.incrementAndGet();
                } else if (c.isClosed()) {
                    dropped.incrementAndGet();
                    log.debug("dropping connection of {} from room {}: closed or too slow", c.userId(), roomId);
                    room.subscribers.remove(c);
                    room.ahead.remove(c);
                }
                if (c.userId().equals(removedUserId)) {
                    room.subscribers.remove(c);
                    c.roomClosed(roomId);
                }
            }
        }

        long join(String roomId, StreamConnection connection, long known) {
            RoomState room = rooms.computeIfAbsent(roomId, r -> new RoomState(known));
            // An attach finishes even when its client has left meanwhile (RoomLinearizer); a connection closed by
            // now must not be kept until the room's next event.
            if (!connection.isClosed()) {
                room.joining.put(connection, new ArrayList<>());
            }
            return room.last;
        }

        void joined(String roomId, StreamConnection connection, List<StreamConnection.Frame> first, long seenUpTo) {
            RoomState room = rooms.get(roomId);
            List<StreamConnection.Frame> kept = room == null ? null : room.joining.remove(connection);
            if (kept == null || !connection.offerReplay(first)) {
                return;
            }
            for (StreamConnection.Frame frame : kept) {
                if (frame.seq() > seenUpTo && !connection.offer(frame)) {
                    return;
                }
            }
            room.subscribers.add(connection);
            if (seenUpTo > room.last) {
                room.ahead.put(connection, seenUpTo);
            }
        }

        /** True while the connection has already seen {@code seq}; forgets it once the hub has caught up. */
        private boolean aheadOf(RoomState room, StreamConnection c, long seq) {
            Long seen = room.ahead.get(c);
            if (seen == null) {
                return false;
            }
            if (seq <= seen) {
                return true;
            }
            room.ahead.remove(c);
            return false;
        }

        /** Sends the room's connections {@code resync} for the room and forgets what the hub knew of it. */
        void resync(String roomId, String reason) {
            RoomState room = rooms.remove(roomId);
            if (room == null) {
                return;
            }
            StreamConnection.Frame frame = StreamConnection.Frame.control(
                    "{\"type\":\"resync\",\"reason\":\"" + reason + "\",\"roomId\":\"" + roomId + "\"}");
            Set<StreamConnection> all = new LinkedHashSet<>(room.subscribers);
            all.addAll(room.joining.keySet());
            for (StreamConnection c : all) {
                resyncs.incrementAndGet();
                c.offer(frame);
                c.roomClosed(roomId);
            }
        }

        void remove(String roomId, StreamConnection connection) {
            RoomState room = rooms.get(roomId);
            if (room != null) {
                room.subscribers.remove(connection);
                room.joining.remove(connection);
                room.ahead.remove(connection);
            }
        }

        private void sweep() {
            sinceSweep = 0;
            long now = System.nanoTime();
            rooms.values().removeIf(r -> r.idle() && now - r.touchedAt > IDLE_ROOM_NANOS);
        }
    }
}
