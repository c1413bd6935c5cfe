package jp.tsunagu.ops.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The load tool's REST client on Reactor Netty (the server's own HTTP stack). The pool has no cap on waiting
 * requests: the posting schedule is open-loop, so a slow server shows up as latency and time-outs, never as
 * posts the tool quietly did not send.
 */
final class BenchApi implements AutoCloseable {

    record Response(int status, String body) {
    }

    private final ConnectionProvider pool;
    private final HttpClient http;

    BenchApi(String baseUrl, int maxConnections) {
        this.pool = ConnectionProvider.builder("bench-api")
                .maxConnections(maxConnections)
                .pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(Duration.ofMinutes(2))
                .build();
        this.http = HttpClient.create(pool).baseUrl(baseUrl).responseTimeout(Duration.ofSeconds(60));
    }

    Mono<Response> get(String path, String token) {
        HttpClient client = token == null ? http : http.headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token));
        return client.get().uri(path)
                .responseSingle((r, body) -> body.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .map(b -> new Response(r.status().code(), b)));
    }

    Mono<Response> post(String path, String token, String json) {
        return send(path, token, json)
                .responseSingle((r, body) -> body.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .map(b -> new Response(r.status().code(), b)));
    }

    /**
     * As {@link #post}, but a {@code 201 Created} body is drained unread (the measured posts need only the
     * status; the tool shares the cores with the server). Other statuses keep their body for the report.
     */
    Mono<Response> postExpectingCreated(String path, String token, String json) {
        return send(path, token, json)
                .responseConnection((r, connection) -> r.status().code() == 201
                        ? connection.inbound().receive().then(Mono.just(new Response(201, "")))
                        : connection.inbound().receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                                .map(b -> new Response(r.status().code(), b)))
                .next();
    }

    Mono<Response> put(String path, String token, String json) {
        return send(http.put(), path, token, json, null)
                .responseSingle((r, body) -> body.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .map(b -> new Response(r.status().code(), b)));
    }

    /** A post with an {@code Idempotency-Key}, its body drained unread. */
    Mono<Response> postWithKey(String path, String token, String json, String key) {
        return send(http.post(), path, token, json, key)
                .responseConnection((r, connection) -> connection.inbound().receive().then(Mono.just(new Response(r.status().code(), ""))))
                .next();
    }

    private HttpClient.ResponseReceiver<?> send(String path, String token, String json) {
        return send(http.post(), path, token, json, null);
    }

    private HttpClient.ResponseReceiver<?> send(HttpClient.RequestSender method, String path, String token, String json,
                                                String idempotencyKey) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return method.uri(path)
                .send((request, out) -> {
                    request.header(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
                            .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                            .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(bytes.length));
                    if (idempotencyKey != null) {
                        request.header("Idempotency-Key", idempotencyKey);
                    }
                    return out.send(Mono.just(Unpooled.wrappedBuffer(bytes)));
                });
    }

    @Override
    public void close() {
        pool.disposeLater().block(Duration.ofSeconds(10));
    }
}
