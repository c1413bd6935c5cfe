package jp.tsunagu.chat.realtime;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;

import jp.tsunagu.chat.api.Requests;
import jp.tsunagu.chat.handler.MessageHandler;
import jp.tsunagu.chat.handler.NotificationHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.CurrentUser;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.ProblemWebExceptionHandler;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The WebSocket endpoint {@code /api/v1/ws}: one connection per device, following any number of rooms.
 *
 * <p>Client frames: {@code {"type":"subscribe","roomId":"…","after":123}}, {@code {"type":"unsubscribe",
 * "roomId":"…"}}, {@code {"type":"ping"}}, {@code {"type":"subscribe_inbox"}} (the user-level "my actions" hints, {@link InboxFeed}),
 * {@code {"type":"viewing","device":"…","roomId":"…"}} (this device shows that room now, {@code roomId} null: none;
 * said again about every minute while it holds, so no notification of the room is pushed to the device).
 * {@code {"type":"post","roomId":"…","idempotencyKey":"…","message":{…}}} posts a message: {@code message} is the
 * body of {@code POST /rooms/{roomId}/messages}, the key its {@code Idempotency-Key} (required here: it names the
 * answer), and the rules, checks and stored result are the REST call's ({@link MessageHandler#post}); a phone that
 * holds the socket saves a request, its headers and a token check per post. Answered by {@code posted} (with
 * {@code replayed} for a key already used for the same message) or by an {@code error} frame carrying the REST
 * answer's problem details; a connection's posts are taken one after another, so they keep their order.
 * Server frames: the room events of {@link RoomEvent}, plus
 * {@code subscribed}, {@code resync}, {@code heartbeat}, {@code pong}, {@code posted} and {@code error} (with the
 * room id and an HTTP-like status, e.g. 404 for a room the user is not in).
 */
public final class RoomWebSocketHandler implements WebSocketHandler {

    private static final Logger log = LoggerFactory.getLogger(RoomWebSocketHandler.class);
    /**
     * Commands are tiny; a post carries its message, up to the socket's frame limit (Reactor Netty's 64 KiB): a
     * longer one (the REST body allows 10,000 characters of text and 30,000 of HTML) is posted over REST.
     */
    private static final int MAX_CLIENT_FRAME = 65_536;

    private final CurrentUser currentUser;
    private final StreamHandler streams;
    private final InboxFeed inbox;
    private final NotificationHandler notifications;
    private final MessageHandler messages;
    private final jakarta.validation.Validator validator;
    private final java.time.Clock clock;
    private final JsonMapper json;
    private final Flux<StreamConnection.Frame> heartbeat;
    private final int queueCapacity;

    public RoomWebSocketHandler(CurrentUser currentUser, StreamHandler streams, InboxFeed inbox,
                                NotificationHandler notifications, MessageHandler messages,
                                jakarta.validation.Validator validator, java.time.Clock clock, JsonMapper json,
                                Duration heartbeatEvery, int queueCapacity) {
        this.clock = clock;
        this.messages = messages;
        this.validator = validator;
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
                .flatMap(principal -> currentUser.of(principal).flatMap(user -> run(session, user, expiry(principal))))
                .switchIfEmpty(Mono.defer(session::close));
    }

    /** When the token the connection was opened with expires; null: never (not a token). */
    private static java.time.Instant expiry(java.security.Principal principal) {
        return principal instanceof org.springframework.security.oauth2.server.resource.authentication.AbstractOAuth2TokenAuthenticationToken<?> t
                ? t.getToken().getExpiresAt() : null;
    }

    private Mono<Void> run(WebSocketSession session, CareUser user, java.time.Instant expiresAt) {
        StreamConnection connection = new StreamConnection(user.id(), queueCapacity, false);
        // The device this connection said it is, so its "viewing" ends with the connection.
        AtomicReference<String> device = new AtomicReference<>();
        streams.opened();
        Mono<Void> inbound = session.receive()
                .concatMap(message -> command(user, expiresAt, connection, device, message))
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

    private Mono<Void> command(CareUser user, java.time.Instant expiresAt, StreamConnection connection,
                               AtomicReference<String> device, WebSocketMessage message) {
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
            case "post" -> post(user, expiresAt, connection, roomId, node);
            case "ping" -> {
                connection.offer(StreamConnection.Frame.control("{\"type\":\"pong\"}"));
                yield Mono.empty();
            }
            default -> error(connection, roomId, 400, "unknown frame type");
        };
    }

    /**
     * The REST post's rules over the socket: the same handler, the same checks of the body (its binding and its
     * constraints), the same problem details in the error frame. A write of this user's that the token would no
     * longer allow over REST (it expired since the connection opened) is refused with 401: reconnect with a fresh one.
     */
    private Mono<Void> post(CareUser user, java.time.Instant expiresAt, StreamConnection connection, String roomId,
                            JsonNode node) {
        String key = node.path("idempotencyKey").isString() ? node.path("idempotencyKey").asString() : null;
        return Mono.defer(() -> {
                    if (key == null) {
                        throw ApiException.invalid("idempotencyKey", "is required on a post over the WebSocket");
                    }
                    if (roomId == null) {
                        throw ApiException.invalid("roomId", "is required");
                    }
                    requireUnexpired(expiresAt, clock.instant());
                    return messages.post(user, roomId, body(node.path("message")), key);
                })
                .doOnNext(posted -> connection.offer(StreamConnection.Frame.control(json.writeValueAsString(
                        new PostedFrame("posted", roomId, key, posted.replayed(), posted.message())))))
                .then()
                .onErrorResume(ApiException.class, e -> {
                    var frame = errorFrame(roomId, e.status().value(), e.getMessage());
                    if (key != null) {
                        frame.put("idempotencyKey", key);
                    }
                    if (e.retryAfter() != null) {
                        frame.put("retryAfter", ProblemWebExceptionHandler.retryAfterSeconds(e.retryAfter()));
                    }
                    frame.set("problem", json.valueToTree(ProblemWebExceptionHandler.body(e,
                            "/api/v1/rooms/" + roomId + "/messages")));
                    connection.offer(StreamConnection.Frame.control(json.writeValueAsString(frame)));
                    return Mono.empty();
                });
    }

    /** The answer to a post: the key before the message, so a reader can stop at the key. */
    private record PostedFrame(String type, String roomId, String idempotencyKey, boolean replayed,
                               jp.tsunagu.chat.api.MessageView message) {
    }

    /**
     * A write over a connection is allowed while the token it was opened with is: the handshake checked it once,
     * and a socket can outlive it by hours. 401: reconnect with a fresh token.
     */
    static void requireUnexpired(java.time.Instant expiresAt, java.time.Instant now) {
        if (expiresAt != null && !now.isBefore(expiresAt)) {
            throw new ApiException(org.springframework.http.HttpStatus.UNAUTHORIZED, "unauthorized",
                    "the token this connection was opened with has expired: reconnect with a fresh one", java.util.List.of());
        }
    }

    /** The message of a post frame, bound and checked as the REST body is (400 naming the field otherwise). */
    private Requests.PostMessage body(JsonNode message) {
        if (!message.isObject()) {
            throw ApiException.invalid("message", "is required: the body of a post");
        }
        Requests.PostMessage request;
        try {
            request = json.treeToValue(message, Requests.PostMessage.class);
        } catch (JacksonException e) {
            String field = ProblemWebExceptionHandler.fieldPath(e);
            throw ApiException.invalid(field.isEmpty() ? "message" : "message." + field, "has the wrong type or format");
        }
        var violations = validator.validate(request);
        if (!violations.isEmpty()) {
            java.util.List<ApiException.FieldError> errors = violations.stream()
                    .map(v -> new ApiException.FieldError(v.getPropertyPath().toString(), v.getMessage()))
                    .sorted(java.util.Comparator.comparing(ApiException.FieldError::field)).toList();
            throw new ApiException(org.springframework.http.HttpStatus.BAD_REQUEST, "invalid-request",
                    errors.stream().map(f -> f.field() + ": " + f.message()).collect(java.util.stream.Collectors.joining("; ")),
                    errors);
        }
        return request;
    }

    private tools.jackson.databind.node.ObjectNode errorFrame(String roomId, int status, String detail) {
        var frame = json.createObjectNode().put("type", "error").put("status", status).put("detail", detail);
        if (roomId != null) {
            frame.put("roomId", roomId);
        }
        return frame;
    }

    private Mono<Void> error(StreamConnection connection, String roomId, int status, String detail) {
        var frame = errorFrame(roomId, status, detail);
        log.debug("websocket error for {}: {} {}", connection.userId(), status, detail);
        connection.offer(StreamConnection.Frame.control(json.writeValueAsString(frame)));
        return Mono.empty();
    }
}
