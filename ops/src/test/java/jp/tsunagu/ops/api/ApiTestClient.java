package jp.tsunagu.ops.api;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.FluxExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Raw HTTP calls for the API tests: every call returns a {@link Response} whatever its status, so a test
 * can assert the status, headers and body of refusals and successes alike.
 */
@SuppressWarnings("unchecked")
final class ApiTestClient {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final Duration TIMEOUT = Duration.ofSeconds(15);

    private ApiTestClient() {
    }

    /** What came back: status, headers and the whole body (or the first event of a stream). */
    record Response(int status, HttpHeaders headers, byte[] body) {

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        Object json() {
            return JSON.readValue(body, Object.class);
        }

        Map<String, Object> map() {
            return (Map<String, Object>) json();
        }

        List<Object> list() {
            return (List<Object>) json();
        }

        @Override
        public String toString() {
            return status + " " + headers.getContentType() + " " + (body.length > 2_000 ? text().substring(0, 2_000) + "…" : text());
        }
    }

    /**
     * What a room's owner sees of it (room, members, messages) and how many documents each collection holds:
     * equal snapshots before and after a refused call prove the call stored nothing.
     */
    record Snapshot(Map<String, Object> room, Map<String, Object> messages, Map<String, Long> counts) {

        static Snapshot of(WebTestClient owner, String roomId, ReactiveMongoTemplate mongo) {
            Response room = get(owner, "/api/v1/rooms/{r}", roomId);
            Response messages = get(owner, "/api/v1/rooms/{r}/messages?limit=200", roomId);
            assertThat(room.status()).as("snapshot %s", room).isEqualTo(200);
            assertThat(messages.status()).as("snapshot %s", messages).isEqualTo(200);
            Map<String, Long> counts = new LinkedHashMap<>();
            for (String collection : List.of("rooms", "memberships", "messages", "reads", "attachments", "files.files",
                    "notify_profiles")) {
                counts.put(collection.equals("files.files") ? "files" : collection,
                        mongo.count(new Query(), collection).block(TIMEOUT));
            }
            return new Snapshot(room.map(), messages.map(), counts);
        }
    }

    static Response get(WebTestClient client, String uri, Object... vars) {
        return of(client.get().uri(uri, vars).exchange().expectBody(byte[].class).returnResult());
    }

    static Response delete(WebTestClient client, String uri, Object... vars) {
        return of(client.delete().uri(uri, vars).exchange().expectBody(byte[].class).returnResult());
    }

    /** A request with a JSON body; {@code body} may be a String (sent verbatim) or an object. */
    static Response send(WebTestClient client, HttpMethod method, String uri, Object body, Object... vars) {
        return send(client, method, uri, body, HttpHeaders.EMPTY, vars);
    }

    static Response send(WebTestClient client, HttpMethod method, String uri, Object body, HttpHeaders headers,
                         Object... vars) {
        WebTestClient.RequestBodySpec spec = client.method(method).uri(uri, vars).headers(h -> h.addAll(headers));
        WebTestClient.RequestHeadersSpec<?> request = body == null ? spec
                : spec.contentType(MediaType.APPLICATION_JSON).bodyValue(
                        body instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : body);
        return of(request.exchange().expectBody(byte[].class).returnResult());
    }

    /** A multipart upload; {@code partName} null sends a form without any file part. */
    static Response upload(WebTestClient client, String roomId, String partName, byte[] content, String filename,
                           MediaType type) {
        MultipartBodyBuilder form = new MultipartBodyBuilder();
        if (partName == null) {
            form.part("note", "no file here");
        } else {
            form.part(partName, content).filename(filename).contentType(type);
        }
        return of(client.post().uri("/api/v1/rooms/{r}/attachments", roomId)
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(form.build()))
                .exchange().expectBody(byte[].class).returnResult());
    }

    /**
     * An SSE request. A 200 stream never ends, so only its first event's data is read (then the connection
     * is cancelled); any other answer is read whole.
     */
    static Response events(WebTestClient client, String uri, Object... vars) {
        FluxExchangeResult<String> result = client.get().uri(uri, vars).accept(MediaType.TEXT_EVENT_STREAM)
                .exchange().returnResult(String.class);
        String body = result.getStatus().value() == 200
                ? result.getResponseBody().next().block(TIMEOUT)
                : String.join("\n", result.getResponseBody().collectList().block(TIMEOUT));
        return new Response(result.getStatus().value(), result.getResponseHeaders(),
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8));
    }

    static Response exchange(WebTestClient.RequestHeadersSpec<?> request) {
        return of(request.exchange().expectBody(byte[].class).returnResult());
    }

    private static Response of(EntityExchangeResult<byte[]> result) {
        byte[] body = result.getResponseBody();
        return new Response(result.getStatus().value(), result.getResponseHeaders(), body == null ? new byte[0] : body);
    }

    /** Asserts an RFC 9457 problem with the given status, and returns its body. */
    static Map<String, Object> assertProblem(Response response, int status) {
        assertThat(response.status()).as("status of %s", response).isEqualTo(status);
        assertThat(response.headers().getContentType()).as("content type of %s", response).isNotNull();
        assertThat(response.headers().getContentType().isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .as("problem+json content type of %s", response).isTrue();
        Map<String, Object> problem = response.map();
        assertThat(problem).as("problem of %s", response).containsKeys("type", "title", "status", "detail", "instance");
        assertThat(problem.get("status")).as("status field of %s", response).isEqualTo(status);
        if (status == 401) {
            assertThat(response.headers().getFirst(HttpHeaders.WWW_AUTHENTICATE)).as("challenge of %s", response)
                    .startsWith("Bearer");
        }
        return problem;
    }

    /** Asserts a problem with the status that names {@code field} in {@code errors[].field}. */
    static Map<String, Object> assertFieldProblem(Response response, int status, String field) {
        Map<String, Object> problem = assertProblem(response, status);
        assertThat((List<Object>) problem.get("errors")).as("errors of %s", response).isNotNull()
                .extracting(e -> ((Map<String, Object>) e).get("field")).contains(field);
        return problem;
    }

    /** A small PNG photo (no metadata, so the server keeps it byte for byte and makes a thumbnail). */
    static byte[] png() {
        BufferedImage image = new BufferedImage(48, 32, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.PINK);
        g.fillRect(0, 0, 48, 32);
        g.setColor(Color.BLUE);
        g.fillOval(8, 4, 24, 24);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
