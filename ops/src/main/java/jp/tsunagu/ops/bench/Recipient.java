package jp.tsunagu.ops.bench;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * One WebSocket of one member following one room, and what it received: which of the room's posts (by the
 * per-room counter in the text), the message ids (duplicates), the last sequence number (order); changed
 * excerpt cards go to an {@link ExcerptListener}.
 *
 * <p>Frames arrive on the connection's event loop; the state is guarded by {@code this} (never contended
 * while the run goes on) so the main thread can read it at the end. No timers per connection.
 */
final class Recipient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    final int room;
    final int node;
    private final int nodes;
    final String roomId;
    final String userId;
    private final String token;
    private final Tally tally;
    final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    private volatile Disposable connection;
    private volatile boolean closing;
    volatile boolean closedEarly;

    /** Told of each {@code message.excerpt} event (the excerpt benchmark); null elsewhere. */
    volatile ExcerptListener excerpts;

    /** Frames after the subscription: posts over the socket ({@code --post-over websocket}). */
    private final Sinks.Many<String> outbound = Sinks.many().unicast().onBackpressureBuffer();
    /** Posts sent over this socket and not answered yet, by idempotency key. */
    private final Map<String, MonoSink<BenchApi.Response>> pending = new ConcurrentHashMap<>();

    private BitSet received;
    private Set<String> ids;
    private long lastSeq = -1;

    Recipient(int room, String roomId, String userId, String token, Tally tally) {
        this(room, roomId, userId, token, tally, 0, 1);
    }

    /** @param node the node (of {@code nodes}) this recipient listens on; posts to room counter n go to node n % nodes */
    Recipient(int room, String roomId, String userId, String token, Tally tally, int node, int nodes) {
        this.node = node;
        this.nodes = nodes;
        this.room = room;
        this.roomId = roomId;
        this.userId = userId;
        this.token = token;
        this.tally = tally;
    }

    /** Connects and subscribes; {@link #subscribed} completes on the server's {@code subscribed} frame. */
    void open(HttpClient.WebsocketSender websockets, String wsUrl) {
        String subscribe = "{\"type\":\"subscribe\",\"roomId\":\"" + roomId + "\"}";
        connection = websockets.uri(wsUrl + "?access_token=" + token)
                .handle((in, out) -> Mono.when(
                        out.sendString(Flux.concat(Mono.just(subscribe), outbound.asFlux())).then(),
                        in.aggregateFrames(1 << 20).receiveFrames()
                                .doOnNext(frame -> {
                                    if (frame instanceof TextWebSocketFrame text) {
                                        long at = System.nanoTime();
                                        ByteBuf content = text.content();
                                        byte[] bytes = new byte[content.readableBytes()];
                                        content.getBytes(content.readerIndex(), bytes);
                                        onFrame(bytes, at);
                                    }
                                })
                                .then()))
                .subscribe(null, error -> ended(error), () -> ended(null));
    }

    private void ended(Throwable error) {
        if (!closing) {
            closedEarly = true;
            tally.closedEarly.increment();
            if (error != null) {
                tally.note("websocket of " + userId + " failed: " + error);
            }
        }
        subscribed.completeExceptionally(error != null ? error : new IllegalStateException("closed by the server"));
    }

    /**
     * Posts over this socket: the {@code post} command with the key, answered by {@code posted} (201, or 200 for a
     * replay) or an {@code error} frame (its status). Only the ticker thread posts, so the sink has one producer.
     */
    Mono<BenchApi.Response> post(String key, String messageJson) {
        return Mono.create(sink -> {
            pending.put(key, sink);
            String frame = "{\"type\":\"post\",\"roomId\":\"" + roomId + "\",\"idempotencyKey\":\"" + key
                    + "\",\"message\":" + messageJson + "}";
            if (outbound.tryEmitNext(frame).isFailure()) {
                pending.remove(key);
                sink.error(new IllegalStateException("the socket of " + userId + " is closed"));
            }
        });
    }

    void close() {
        closing = true;
        outbound.tryEmitComplete();
        pending.values().forEach(s -> s.error(new IllegalStateException("closed")));
        Disposable c = connection;
        if (c != null) {
            c.dispose();
        }
    }

    /**
     * One text frame, as UTF-8 bytes. The tool shares the machine's cores with the server, so it reads only
     * what it checks: {@code type}, {@code roomId}, {@code seq}, and the message's {@code id} and {@code text}
     * (which come first in a message), and stops there; the rest of the frame is never decoded.
     */
    void onFrame(byte[] frame, long receivedAt) {
        String type = null;
        String frameRoomId = null;
        long seq = -1;
        String id = null;
        String text = null;
        String key = null;
        int status = -1;
        try (JsonParser p = JSON.createParser(frame)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                tally.malformed.increment();
                return;
            }
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "type" -> type = p.getString();
                    case "roomId" -> frameRoomId = p.getString();
                    case "seq" -> seq = p.getLongValue();
                    case "idempotencyKey" -> key = p.getString();
                    case "status" -> status = value.isNumeric() ? p.getIntValue() : -1;
                    case "message" -> {
                        if (value != JsonToken.START_OBJECT) {
                            p.skipChildren();
                            break;
                        }
                        while (p.nextToken() == JsonToken.PROPERTY_NAME && (id == null || text == null)) {
                            String field = p.currentName();
                            p.nextToken();
                            switch (field) {
                                case "id" -> id = p.getString();
                                case "text" -> text = p.getString();
                                default -> p.skipChildren();
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
                boolean excerpt = "message.excerpt".equals(type);
                // An answer to a post names its key before its message (and an error its status before both).
                boolean answer = "posted".equals(type) || "error".equals(type);
                if (answer && key != null) {
                    break;
                }
                if (type != null && !type.equals("message.created") && !excerpt && !answer) {
                    break;
                }
                if (type != null && frameRoomId != null && seq >= 0 && id != null && (text != null || excerpt)) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            tally.malformed.increment();
            return;
        }
        switch (type == null ? "" : type) {
            case "message.created" -> onMessage(frameRoomId, seq, id, text, receivedAt);
            case "message.excerpt" -> {
                ExcerptListener listener = excerpts;
                if (listener != null) {
                    listener.changed(this, frameRoomId, id, receivedAt);
                } else {
                    tally.otherFrames.increment();
                }
            }
            case "subscribed" -> subscribed.complete(null);
            case "posted" -> answered(key, new BenchApi.Response(201, ""));
            case "heartbeat", "pong" -> { }
            case "resync" -> {
                tally.resyncs.increment();
                tally.note("resync for " + userId + ": " + new String(frame, StandardCharsets.UTF_8));
            }
            case "error" -> {
                String json = new String(frame, StandardCharsets.UTF_8);
                if (key != null) {
                    answered(key, new BenchApi.Response(status, json));
                    return;
                }
                tally.errorFrames.increment();
                tally.note("error frame for " + userId + ": " + json);
                subscribed.completeExceptionally(new IllegalStateException(json));
            }
            default -> tally.otherFrames.increment();
        }
    }

    private void onMessage(String frameRoomId, long seq, String id, String text, long receivedAt) {
        Marker marker = text == null ? null : Marker.parse(text);
        if (marker == null || id == null || !roomId.equals(frameRoomId) || marker.room() != room) {
            tally.misrouted.increment();
            return;
        }
        synchronized (this) {
            if (ids == null) {
                ids = new HashSet<>();
                received = new BitSet();
            }
            if (!ids.add(id)) {
                tally.duplicated.increment();
                return;
            }
            if (seq <= lastSeq) {
                tally.reordered.increment();
            } else {
                lastSeq = seq;
            }
            received.set(marker.counter());
        }
        tally.delivered(marker, receivedAt, nodes > 1 && marker.counter() % nodes != node);
    }

    private void answered(String key, BenchApi.Response response) {
        MonoSink<BenchApi.Response> sink = key == null ? null : pending.remove(key);
        if (sink == null) {
            tally.otherFrames.increment();
        } else {
            sink.success(response);
        }
    }

    /** Who hears of changed excerpt cards: the card's room and message id, and when the frame arrived. */
    interface ExcerptListener {
        void changed(Recipient recipient, String roomId, String messageId, long receivedAt);
    }

    /** The room's counters this connection received (a copy). */
    synchronized BitSet received() {
        return received == null ? new BitSet() : (BitSet) received.clone();
    }

    /**
     * What a post carries in its text so every recipient can time it: room index, per-room counter, the
     * scheduled and the actual send time (System.nanoTime of the load tool).
     */
    record Marker(int room, int counter, long scheduledAt, long sentAt) {

        static String text(int room, int counter, long scheduledAt, long sentAt) {
            return "bench r=" + room + " n=" + counter + " t=" + scheduledAt + " s=" + sentAt
                    + " 14:00 訪問。血圧 132/84、SpO2 97%、体温 36.5℃。昼食は半量、水分 800ml。夕方にもう一度様子を見ます。";
        }

        static Marker parse(String text) {
            if (!text.startsWith("bench r=")) {
                return null;
            }
            try {
                return new Marker((int) field(text, " r="), (int) field(text, " n="), field(text, " t="), field(text, " s="));
            } catch (RuntimeException e) {
                return null;
            }
        }

        private static long field(String text, String name) {
            int start = text.indexOf(name);
            if (start < 0) {
                throw new IllegalArgumentException(name);
            }
            start += name.length();
            int end = text.indexOf(' ', start);
            return Long.parseLong(text, start, end < 0 ? text.length() : end, 10);
        }
    }
}
