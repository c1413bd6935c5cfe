package jp.tsunagu.chat.config;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import jp.tsunagu.chat.realtime.MongoRoomEventLog;
import jp.tsunagu.chat.realtime.RoomEventFeed;
import jp.tsunagu.chat.realtime.RoomEventHub;
import jp.tsunagu.chat.support.RoomLinearizer;

/** Real-time delivery as operators watch it: connections, events, deliveries, slow consumers dropped. */
public final class RealtimeMetrics implements MeterBinder {

    private final RoomEventHub hub;
    private final RoomLinearizer linearizer;
    private final MongoRoomEventLog eventLog;
    private final RoomEventFeed feed;

    public RealtimeMetrics(RoomEventHub hub, RoomLinearizer linearizer) {
        this(hub, linearizer, null, null);
    }

    /** With the room event log of several nodes (both null on one node). */
    public RealtimeMetrics(RoomEventHub hub, RoomLinearizer linearizer, MongoRoomEventLog eventLog, RoomEventFeed feed) {
        this.hub = hub;
        this.linearizer = linearizer;
        this.eventLog = eventLog;
        this.feed = feed;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("tsunagu.realtime.connections", hub, RoomEventHub::openConnections)
                .description("open WebSocket and SSE connections on this node").register(registry);
        FunctionCounter.builder("tsunagu.realtime.events", hub, RoomEventHub::publishedCount)
                .description("room events published").register(registry);
        FunctionCounter.builder("tsunagu.realtime.deliveries", hub, RoomEventHub::deliveredCount)
                .description("events queued to connections").register(registry);
        FunctionCounter.builder("tsunagu.realtime.dropped", hub, RoomEventHub::droppedConnections)
                .description("connections dropped as slow consumers or closed").register(registry);
        Gauge.builder("tsunagu.rooms.busy", linearizer, RoomLinearizer::busyRooms)
                .description("rooms with a change queued or running").register(registry);
        FunctionCounter.builder("tsunagu.realtime.resyncs", hub, RoomEventHub::resyncCount)
                .description("room subscriptions told to resync: a gap or a late event in the log, lost history").register(registry);
        if (eventLog != null) {
            FunctionCounter.builder("tsunagu.events.logged", eventLog, MongoRoomEventLog::loggedCount)
                    .description("entries this node wrote to the room event log").register(registry);
            FunctionCounter.builder("tsunagu.events.filled", eventLog, MongoRoomEventLog::filledCount)
                    .description("numbers marked skipped after the hole timeout (a node died mid-change)").register(registry);
            FunctionCounter.builder("tsunagu.events.late", eventLog, MongoRoomEventLog::lateCount)
                    .description("events that reached the log after their number was marked skipped").register(registry);
            FunctionCounter.builder("tsunagu.events.lost", eventLog, MongoRoomEventLog::lostCount)
                    .description("events not logged because the database stayed unreachable").register(registry);
        }
        if (feed != null) {
            FunctionCounter.builder("tsunagu.events.read", feed, RoomEventFeed::readCount)
                    .description("room event log entries this node read").register(registry);
            FunctionCounter.builder("tsunagu.events.history_lost", feed, RoomEventFeed::historyLostCount)
                    .description("times the feed could not resume from its position and every connection resynced")
                    .register(registry);
            Timer lag = Timer.builder("tsunagu.events.lag")
                    .description("from an event's logging on any node to its reading on this node")
                    .publishPercentiles(0.5, 0.99).register(registry);
            feed.onLag(ms -> lag.record(ms, TimeUnit.MILLISECONDS));
        }
    }
}
