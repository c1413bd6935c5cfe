package jp.tsunagu.chat.realtime;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;

import jp.tsunagu.chat.handler.NotificationHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.CurrentUser;
import jp.tsunagu.chat.support.ApiException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The WebSocket endpoint {@code /api/v1/ws}: one connection per device, following any number of rooms.
 *
 * <p>Client frames: {@code {"type":"subscribe","roomId":"…","after":123}}, {@code {"type":"unsubscribe",
 * "roomId":"…"}}, {@code {"type":"ping"}}, {@code {"type":"subscribe_inbox"}} (the user-level "my actions" hints, {@link InboxFeed}),
 * {@code {"type":"viewing","device":"…","roomId":"…"}} (this device shows that room now, {@code roomId} null: none;
 * said again about every minute while it holds, so no notification of the room is pushed to the device).
 * Server frames: the room events of {@link RoomEvent}, plus
 * {@code subscribed}, {@code resync}, {@code heartbeat}, {@code pong} and {@code error} (with the room id and
 * an HTTP-like status, e.g. 404 for a room the user is not in).
 */
public final class RoomWebSocketHandler implements WebSocketHandler {

    private static final Logger log = LoggerFactory.getLogger(RoomWebSocketHandler.class);
    /** Client frames are tiny commands; anything bigger is not ours. */
    private static final int MAX_CLIENT_FRAME = 4_096;

    private final CurrentUser currentUser;
    private final StreamHandler streams;
    private final InboxFeed inbox;
    private final NotificationHandler notifications;
    private final JsonMapper json;
    private final Flux<StreamConnection.Frame> heartbeat;
    private final int queueCapacity;

    public RoomWebSocketHandler(CurrentUser currentUser, StreamHandler streams, InboxFeed inbox,
                                NotificationHandler notifications, JsonMapper json, Duration heartbeatEvery,
                                int queueCapacity) {
        this.inbox = inbox;
        this.notifications = notifications;
        this.currentUser = currentUser;
        this.streams = streams;
        this.json = json;
        this.queueCapacity = queueCapacity;
        // One shared ticker for all connections instead of a timer each: idle connections stay cheap.
        this.heartbeat = Flux.interval(heartbeatEvery, heartbeatEvery)
                .map(i -> StreamConnection.Frame.control("{\"type\":\"heartbeat\"}"))
                .share();
    }

    @Override
    public Mono<Void> handle(WebSocketSession session) {
        return session.getHandshakeInfo().getPrincipal()
                .flatMap(currentUser::of)
                .flatMap(user -> run(session, user))
                .switchIfEmpty(Mono.defer(session::close));
    }

    private Mono<Void> run(WebSocketSession session, CareUser user) {
        StreamConnection connection = new StreamConnection(user.id(), queueCapacity, false);
        // The device this connection said it is, so its "viewing" ends with the connection.
        AtomicReference<String> device = new AtomicReference<>();
        streams.opened();
        Mono<Void> inbound = session.receive()
                .concatMap(message -> command(user, connection, device, message))
                .then();
        Mono<Void> outbound = session.send(connection.frames(heartbeat).map(frame -> session.textMessage(frame.json())));
        return Mono.firstWithSignal(inbound, outbound)
                .doFinally(signal -> {
                    // Close first: a subscription still on its way to the hub then finds it closed (RoomEventHub).
                    connection.close(null);
                    inbox.unsubscribe(connection);
                    streams.detach(connection);
                    String shown = device.get();
                    if (shown != null) {
                        notifications.viewing(user, shown, null).subscribe(ok -> { },
                                e -> log.debug("viewing of device {} not cleared: {}", shown, e.toString()));
                    }
                })
                .then(Mono.defer(session::close));
    }

    private Mono<Void> command(CareUser user, StreamConnection connection, AtomicReference<String> device,
                               WebSocketMessage message) {
        String text = message.getPayloadAsText();
        if (text.length() > MAX_CLIENT_FRAME) {
            return error(connection, null, 413, "frame too large");
        }
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (RuntimeException e) {
            return error(connection, null, 400, "frame is not JSON");
        }
        String type = node.path("type").asString("");
        String roomId = node.path("roomId").isString() ? node.path("roomId").asString() : null;
        return switch (type) {
            case "subscribe" -> {
                Long after = node.path("after").isIntegralNumber() ? node.path("after").asLong() : null;
                // Deferred: attach checks the room id as it is called, and an exception thrown here rather than
                // signalled would end the whole connection instead of answering with an error frame.
                yield Mono.defer(() -> streams.attach(user, roomId, after, connection))
                        .then()
                        .onErrorResume(ApiException.class, e -> error(connection, roomId, e.status().value(), e.getMessage()));
            }
            case "unsubscribe" -> {
                if (roomId != null) {
                    streams.unsubscribe(roomId, connection);
                }
                yield Mono.empty();
            }
            case "subscribe_inbox" -> {
                inbox.subscribe(user, connection);
                yield Mono.empty();
            }
            case "viewing" -> {
                String deviceId = node.path("device").isString() ? node.path("device").asString() : null;
                yield Mono.defer(() -> notifications.viewing(user, deviceId, roomId))
                        .doOnNext(mine -> {
                            if (mine) {
                                device.set(deviceId);
                            }
                        })
                        .then()
                        .onErrorResume(ApiException.class, e -> error(connection, roomId, e.status().value(), e.getMessage()));
            }
            case "ping" -> {
                connection.offer(StreamConnection.Frame.control("{\"type\":\"pong\"}"));
                yield Mono.empty();
            }
            default -> error(connection, roomId, 400, "unknown frame type");
        };
    }

    private Mono<Void> error(StreamConnection connection, String roomId, int status, String detail) {
        var frame = json.createObjectNode().put("type", "error").put("status", status).put("detail", detail);
        if (roomId != null) {
            frame.put("roomId", roomId);
        }
        log.debug("websocket error for {}: {} {}", connection.userId(), status, detail);
        connection.offer(StreamConnection.Frame.control(json.writeValueAsString(frame)));
        return Mono.empty();
    }
}
