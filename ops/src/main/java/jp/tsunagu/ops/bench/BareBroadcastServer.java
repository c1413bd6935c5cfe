package jp.tsunagu.ops.bench;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.util.concurrent.Queues;

/**
 * The limit the comparison is measured against (docs/BENCHMARKS.md, issue #17): a WebSocket broadcast with nothing
 * else, on the same Reactor Netty as the server. A connection's first frame {@code join <room>} puts it in a room;
 * every later frame is sent as it is to every connection of that room, the sender too. No authentication, no
 * storage, no ordering beyond one connection's; each frame is encoded once and shared by its recipients, and each
 * connection has a bounded queue (a full one drops the frame, which the load tool counts as lost).
 *
 * <p>{@code java -cp tsunagu-ops.jar -Dloader.main=jp.tsunagu.ops.bench.BareBroadcastServer
 * org.springframework.boot.loader.launch.PropertiesLauncher <port>}; prints {@code listening <port>}.
 */
public final class BareBroadcastServer {

    /** Frames waiting per connection: a second of a busy room's traffic at the rates measured. */
    private static final int QUEUE = 4_096;

    private final Map<String, Set<Sinks.Many<WebSocketFrame>>> rooms = new ConcurrentHashMap<>();

    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        DisposableServer server = new BareBroadcastServer().start(port);
        System.out.println("listening " + server.port());
        System.out.flush();
        server.onDispose().block();
    }

    DisposableServer start(int port) {
        return HttpServer.create().host("127.0.0.1").port(port)
                .route(routes -> routes.ws("/ws", (in, out) -> {
                    Sinks.Many<WebSocketFrame> outbound = Sinks.many().unicast()
                            .onBackpressureBuffer(Queues.<WebSocketFrame>get(QUEUE).get());
                    String[] room = new String[1];
                    Mono<Void> inbound = in.aggregateFrames().receive().asString(StandardCharsets.UTF_8)
                            .doOnNext(text -> {
                                if (room[0] == null) {
                                    room[0] = text.startsWith("join ") ? text.substring(5) : "";
                                    rooms.computeIfAbsent(room[0], r -> ConcurrentHashMap.newKeySet()).add(outbound);
                                    emit(outbound, new TextWebSocketFrame("joined " + room[0]));
                                } else {
                                    broadcast(room[0], text);
                                }
                            })
                            .doFinally(s -> {
                                if (room[0] != null) {
                                    rooms.getOrDefault(room[0], Set.of()).remove(outbound);
                                }
                                outbound.tryEmitComplete();
                            })
                            .then();
                    return Mono.when(inbound, out.sendObject(outbound.asFlux()).then());
                }))
                .bindNow();
    }

    private void broadcast(String room, String text) {
        ByteBuf encoded = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        try {
            for (Sinks.Many<WebSocketFrame> recipient : rooms.getOrDefault(room, Set.of())) {
                emit(recipient, new TextWebSocketFrame(encoded.retainedDuplicate()));
            }
        } finally {
            encoded.release();
        }
    }

    private static void emit(Sinks.Many<WebSocketFrame> recipient, WebSocketFrame frame) {
        // Senders on different event loops may reach one recipient at once: the sink takes one at a time.
        synchronized (recipient) {
            if (recipient.tryEmitNext(frame).isFailure()) {
                frame.release();
            }
        }
    }
}
