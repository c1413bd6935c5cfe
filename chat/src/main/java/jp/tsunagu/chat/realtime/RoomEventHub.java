package jp.tsunagu.chat.realtime;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import tools.jackson.databind.json.JsonMapper;

/**
 * Fans room events out to open connections through a fixed number of hubs (Mattermost's design).
 *
 * <p>A room always maps to the same hub, and a hub is one thread that owns its rooms' subscriber sets, so
 * events of a room reach every connection in the order they were published, without locks on the hot
 * path. Each event is serialised once, then offered to every subscriber's bounded queue.
 */
public final class RoomEventHub implements RoomEventPublisher, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RoomEventHub.class);

    private final Hub[] hubs;
    private final JsonMapper json;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final java.util.List<java.util.function.Consumer<RoomEvent>> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * @param hubCount number of fan-out threads; Mattermost sizes hubs by CPU count, and fan-out is cheap
     *                 work, so 2 × cores keeps cores busy without contending
     */
    public RoomEventHub(int hubCount, JsonMapper json) {
        this.json = json;
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
     * Also hands every published event to {@code listener}, on the publishing thread and in room order (the bridge
     * wakes its outbound delivery this way). The listener must return at once and must not throw.
     */
    public void addListener(java.util.function.Consumer<RoomEvent> listener) {
        listeners.add(listener);
    }

    @Override
    public void publish(RoomEvent event) {
        for (java.util.function.Consumer<RoomEvent> listener : listeners) {
            listener.accept(event);
        }
        StreamConnection.Frame frame = new StreamConnection.Frame(event.roomId(), event.seq(), serialise(event));
        String removed = event.removedUserId();
        published.incrementAndGet();
        hubFor(event.roomId()).executor.execute(() -> hubFor(event.roomId()).fanOut(event.roomId(), frame, removed));
    }

    /**
     * Adds the connection to the room's subscribers. Queued behind every event already published, so a
     * caller that replayed history on the room's turn and then subscribes misses nothing and sees nothing
     * twice.
     */
    public void subscribe(String roomId, StreamConnection connection) {
        connection.rooms().add(roomId);
        Hub hub = hubFor(roomId);
        hub.executor.execute(() -> {
            // An attach finishes even when its client has left meanwhile (RoomLinearizer); the connection was
            // closed before being detached, so one closed by now must not be kept until the room's next event.
            if (!connection.isClosed()) {
                hub.rooms.computeIfAbsent(roomId, r -> new LinkedHashSet<>()).add(connection);
            }
        });
    }

    public void unsubscribe(String roomId, StreamConnection connection) {
        connection.rooms().remove(roomId);
        Hub hub = hubFor(roomId);
        hub.executor.execute(() -> hub.remove(roomId, connection));
    }

    /** Removes the connection from every room it follows; call when it ends. */
    public void disconnect(StreamConnection connection) {
        for (String roomId : Set.copyOf(connection.rooms())) {
            unsubscribe(roomId, connection);
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

    private final class Hub {
        final ExecutorService executor;
        /** Owned by this hub's thread only. */
        final Map<String, Set<StreamConnection>> rooms = new HashMap<>();

        Hub(int index) {
            this.executor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "room-hub-" + index);
                t.setDaemon(true);
                return t;
            });
        }

        void fanOut(String roomId, StreamConnection.Frame frame, String removedUserId) {
            Set<StreamConnection> subscribers = rooms.get(roomId);
            if (subscribers == null) {
                return;
            }
            for (StreamConnection c : subscribers.toArray(StreamConnection[]::new)) {
                if (c.offer(frame)) {
                    delivered.incrementAndGet();
                } else if (c.isClosed()) {
                    dropped.incrementAndGet();
                    log.debug("dropping connection of {} from room {}: closed or too slow", c.userId(), roomId);
                    remove(roomId, c);
                }
                if (c.userId().equals(removedUserId)) {
                    remove(roomId, c);
                    c.roomClosed(roomId);
                }
            }
        }

        void remove(String roomId, StreamConnection connection) {
            Set<StreamConnection> subscribers = rooms.get(roomId);
            if (subscribers != null && subscribers.remove(connection) && subscribers.isEmpty()) {
                rooms.remove(roomId);
            }
        }
    }
}
