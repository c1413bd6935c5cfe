package jp.tsunagu.ops.bench;

import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One WebSocket of one member following one room, and what it received: which of the room's posts (by the
 * per-room counter in the text), the message ids (duplicates), the last sequence number (order).
 *
 * <p>Frames arrive on the connection's event loop; the state is guarded by {@code this} (never contended
 * while the run goes on) so the main thread can read it at the end. No timers per connection.
 */
final class Recipient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    final int room;
    final String roomId;
    final String userId;
    private final String token;
    private final Tally tally;
    final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    private volatile Disposable connection;
    private volatile boolean closing;
    volatile boolean closedEarly;

    private BitSet received;
    private Set<String> ids;
    private long lastSeq = -1;

    Recipient(int room, String roomId, String userId, String token, Tally tally) {
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
                        out.sendString(Mono.just(subscribe)).then(),
                        in.aggregateFrames(1 << 20).receiveFrames()
                                .doOnNext(frame -> {
                                    if (frame instanceof TextWebSocketFrame text) {
                                        onText(text.text(), System.nanoTime());
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

    void close() {
        closing = true;
        Disposable c = connection;
        if (c != null) {
            c.dispose();
        }
    }

    void onText(String frame, long receivedAt) {
        JsonNode node;
        try {
            node = JSON.readTree(frame);
        } catch (RuntimeException e) {
            tally.malformed.increment();
            return;
        }
        switch (node.path("type").asString("")) {
            case "message.created" -> onMessage(node, receivedAt);
            case "subscribed" -> subscribed.complete(null);
            case "heartbeat", "pong" -> { }
            case "resync" -> {
                tally.resyncs.increment();
                tally.note("resync for " + userId + ": " + frame);
            }
            case "error" -> {
                tally.errorFrames.increment();
                tally.note("error frame for " + userId + ": " + frame);
                subscribed.completeExceptionally(new IllegalStateException(frame));
            }
            default -> tally.otherFrames.increment();
        }
    }

    private void onMessage(JsonNode node, long receivedAt) {
        long seq = node.path("seq").asLong(-1);
        JsonNode message = node.path("message");
        String id = message.path("id").asString("");
        Marker marker = Marker.parse(message.path("text").asString(""));
        if (marker == null || !roomId.equals(node.path("roomId").asString("")) || marker.room() != room) {
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
        tally.delivered(marker, receivedAt);
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
