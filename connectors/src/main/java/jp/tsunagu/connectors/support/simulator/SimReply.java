package jp.tsunagu.connectors.support.simulator;

import java.util.LinkedHashMap;
import java.util.Map;

import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A whole HTTP answer of a simulator, built before it is sent. */
public record SimReply(int status, String contentType, byte[] body, Map<String, String> headers) {

    public static final String JSON = "application/json; charset=utf-8";

    public static SimReply json(JsonMapper mapper, int status, JsonNode body) {
        return new SimReply(status, JSON, mapper.writeValueAsBytes(body), Map.of());
    }

    public SimReply header(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new SimReply(status, contentType, body, h);
    }

    public Mono<Void> send(HttpServerResponse res) {
        res.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, contentType)
                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length));
        headers.forEach(res::header);
        return res.sendByteArray(Mono.just(body)).then();
    }

    /** Closes the request's connection (RST where the OS allows) without an answer. */
    public static Mono<Void> resetConnection(HttpServerRequest req) {
        req.withConnection(c -> {
            try {
                c.channel().config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException ignored) {
                // a plain close is the next best thing
            }
            c.channel().close();
        });
        return Mono.empty();
    }
}
