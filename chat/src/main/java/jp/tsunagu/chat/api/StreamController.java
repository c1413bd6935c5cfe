package jp.tsunagu.chat.api;

import java.time.Duration;

import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.realtime.StreamConnection;
import jp.tsunagu.chat.realtime.StreamHandler;
import jp.tsunagu.chat.support.ApiException;
import reactor.core.publisher.Flux;

/** Server-sent events of one room, for clients that cannot hold a WebSocket. */
@RestController
@Tag(name = "events")
public class StreamController {

    private final StreamHandler streams;
    private final Flux<StreamConnection.Frame> heartbeat;
    private final int queueCapacity;

    public StreamController(StreamHandler streams, Duration heartbeatEvery, int queueCapacity) {
        this.streams = streams;
        this.queueCapacity = queueCapacity;
        this.heartbeat = Flux.interval(heartbeatEvery, heartbeatEvery)
                .map(i -> StreamConnection.Frame.control(null))
                .share();
    }

    @Operation(summary = "Room events as SSE", description = "Replays changes after `after` or the Last-Event-ID "
            + "header (the later of the two when both are sent, as an EventSource reconnecting does), then streams "
            + "live events. Same JSON as the WebSocket. Heartbeat comments keep proxies open; a `resync` event means "
            + "reload over REST and reconnect.")
    @GetMapping(path = "/api/v1/rooms/{roomId}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public Flux<ServerSentEvent<String>> events(CareUser user, @PathVariable String roomId,
                                                @RequestParam(required = false) Long after,
                                                @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        if (after != null && after < 0) {
            throw ApiException.invalid("after", "must not be negative");
        }
        Long lastSeen = parseLastEventId(lastEventId);
        // An EventSource reconnects to the URL it was opened with, `after` and all, adding Last-Event-ID: the id of the
        // last event it received, which is later. The client has seen up to the later of the two (taking `after` alone
        // replayed the events since it a second time: found with the eventsource package, ops e2e scenarios/streams).
        Long from = after;
        if (lastSeen != null && (after == null || lastSeen > after)) {
            from = lastSeen;
        }
        StreamConnection connection = new StreamConnection(user.id(), queueCapacity, true);
        return streams.attach(user, roomId, from, connection)
                .doOnSubscribe(subscription -> streams.opened())
                .flatMapMany(attached -> {
                    if (!attached) {
                        connection.close(null);
                    }
                    return connection.frames(heartbeat);
                })
                .map(StreamController::toEvent)
                .doFinally(signal -> {
                    // Close first: a subscription still on its way to the hub then finds it closed (RoomEventHub).
                    connection.close(null);
                    streams.detach(connection);
                });
    }

    private static ServerSentEvent<String> toEvent(StreamConnection.Frame frame) {
        if (frame.json() == null) {
            return ServerSentEvent.<String>builder().comment("heartbeat").build();
        }
        ServerSentEvent.Builder<String> event = ServerSentEvent.builder(frame.json());
        if (frame.seq() >= 0) {
            event.id(Long.toString(frame.seq()));
        }
        return event.build();
    }

    private static Long parseLastEventId(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        long seq;
        try {
            seq = Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            throw ApiException.invalid("Last-Event-ID", "must be a sequence number");
        }
        if (seq < 0) {
            throw ApiException.invalid("Last-Event-ID", "must not be negative");
        }
        return seq;
    }
}
