package jp.tsunagu.ops.realtime;

import java.net.URI;

import org.reactivestreams.Subscription;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;

import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A test client of {@code /api/v1/ws}: frames it sends go through {@link #send}, frames it receives land in
 * {@link #inbox()}. A client created not {@code reading} takes one frame (besides heartbeats) and then stops
 * reading, like a phone whose app froze: Reactor Netty then stops reading the socket, so the server's writes
 * back up.
 */
final class WebSocketClientConnection implements AutoCloseable {

    private final EventInbox inbox = new EventInbox();
    private final Sinks.Many<String> outgoing = Sinks.many().unicast().onBackpressureBuffer();
    private final Disposable connection;
    private volatile Subscription inbound;
    private volatile boolean pausedOnce;

    WebSocketClientConnection(URI uri, HttpHeaders headers, boolean reading) {
        connection = new ReactorNettyWebSocketClient().execute(uri, headers, session -> {
            Mono<Void> send = session.send(outgoing.asFlux().map(session::textMessage));
            Sinks.Empty<Void> received = Sinks.empty();
            session.receive().map(WebSocketMessage::getPayloadAsText).subscribe(new BaseSubscriber<>() {
                @Override
                protected void hookOnSubscribe(Subscription subscription) {
                    inbound = subscription;
                    subscription.request(reading ? Long.MAX_VALUE : 1);
                }

                @Override
                protected void hookOnNext(String text) {
                    inbox.received(text, null);
                    if (!reading && !pausedOnce && text.contains("\"type\":\"heartbeat\"")) {
                        request(1);
                    } else {
                        pausedOnce = true;
                    }
                }

                @Override
                protected void hookOnComplete() {
                    inbox.ended();
                    received.tryEmitEmpty();
                }

                @Override
                protected void hookOnError(Throwable error) {
                    inbox.failed(error);
                    received.tryEmitEmpty();
                }
            });
            return Mono.firstWithSignal(send, received.asMono());
        }).subscribe(null, inbox::failed);
    }

    EventInbox inbox() {
        return inbox;
    }

    void send(String json) {
        outgoing.emitNext(json, Sinks.EmitFailureHandler.FAIL_FAST);
    }

    /** Lets a client created not reading catch up on everything. */
    void startReading() {
        inbound.request(Long.MAX_VALUE);
    }

    @Override
    public void close() {
        connection.dispose();
    }
}
