package jp.tsunagu.chat.config;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import jp.tsunagu.chat.realtime.RoomEventHub;
import jp.tsunagu.chat.support.RoomLinearizer;

/** Real-time delivery as operators watch it: connections, events, deliveries, slow consumers dropped. */
public final class RealtimeMetrics implements MeterBinder {

    private final RoomEventHub hub;
    private final RoomLinearizer linearizer;

    public RealtimeMetrics(RoomEventHub hub, RoomLinearizer linearizer) {
        this.hub = hub;
        this.linearizer = linearizer;
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
    }
}
