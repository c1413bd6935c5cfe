package jp.tsunagu.connectors.mcs;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import jp.tsunagu.connectors.sns.Capability;
import jp.tsunagu.connectors.sns.ChangePage;
import jp.tsunagu.connectors.sns.ChangeProbe;
import jp.tsunagu.connectors.sns.ConnectorDescriptor;
import jp.tsunagu.connectors.sns.ConnectorException;
import jp.tsunagu.connectors.sns.ConnectorHealth;
import jp.tsunagu.connectors.sns.ExternalAttachment;
import jp.tsunagu.connectors.sns.ExternalMember;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.ExternalRoom;
import jp.tsunagu.connectors.sns.ExternalStamp;
import jp.tsunagu.connectors.sns.OutboundMessage;
import jp.tsunagu.connectors.sns.SnsConnector;
import jp.tsunagu.connectors.support.ResilienceChain;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * The MCS-style SNS (see shared MCS-STYLE-API.md): REST under {@code /api/v2t}, every write a POST, no push,
 * OAuth2 client credentials. Built by {@link McsConnectorFactory}.
 *
 * <p>Cursors are the profile's {@code updated_at} timestamps: {@link #changes} asks
 * {@code messages/latest?after=} and hands back the latest {@code updated_at} it saw. Every call goes through
 * the instance's {@link ResilienceChain}.
 */
public final class McsConnector implements SnsConnector {

    static final String API = "/api/v2t";
    /** The profile's page size ceiling is unknown; 100 keeps one response small on a regional link. */
    private static final int PAGE = 100;
    /** Bounds listing so a misbehaving SNS that always says "more" cannot loop us forever. */
    private static final int MAX_PAGES = 100;
    /** Largest file relayed; matches the chat server's default upload limit. */
    static final long MAX_FILE = 20L * 1024 * 1024;

    private final McsConnectorProperties properties;
    private final WebClient web;
    private final ResilienceChain chain;
    private final McsMapping mapping;
    private final Clock clock;
    private final AtomicReference<ConnectorHealth> health;

    McsConnector(McsConnectorProperties properties, WebClient web, ResilienceChain chain, McsMapping mapping, Clock clock) {
        this.properties = properties;
        this.web = web;
        this.chain = chain;
        this.mapping = mapping;
        this.clock = clock;
        this.health = new AtomicReference<>(new ConnectorHealth(ConnectorHealth.State.CONNECTED, "not called yet", clock.instant()));
    }

    @Override
    public ConnectorDescriptor descriptor() {
        return new ConnectorDescriptor(properties.instanceId(), "mcs", EnumSet.of(Capability.POLLING, Capability.THREADS,
                Capability.EDITS, Capability.DELETES, Capability.STAMPS, Capability.ATTACHMENTS, Capability.MENTIONS));
    }

    @Override
    public Flux<ExternalRoom> rooms() {
        return Flux.just("patient", "group").concatMap(type -> Flux.range(1, MAX_PAGES)
                .concatMap(page -> read(API + "/projects?type={type}&page={page}&per_page={size}", type, page, PAGE)
                        .map(node -> mapping.items(node, "projects")))
                .takeUntil(items -> items.size() < PAGE)
                .flatMapIterable(items -> items)
                .map(mapping::room));
    }

    @Override
    public Flux<ExternalMember> members(String roomId) {
        return read(API + "/projects/{room}/members", roomId)
                .flatMapIterable(node -> mapping.items(node, "users"))
                .map(mapping::member);
    }

    @Override
    public Mono<ChangeProbe> probe(String since) {
        return read(API + "/projects/status?after={after}", since == null ? "" : since).map(node -> new ChangeProbe(
                since == null || node.path("updated").asBoolean(true),
                node.path("timestamp").asString(since == null ? now() : since)));
    }

    @Override
    public Mono<ChangePage> changes(String roomId, String cursor) {
        if (cursor == null) {
            // Start from the SNS's own clock, not ours, so a skewed local clock cannot skip messages.
            return probe(null).map(p -> new ChangePage(List.of(), p.next(), List.of()));
        }
        return read(API + "/projects/{room}/messages/latest?after={after}", roomId, cursor).map(node -> {
            List<ExternalMessage> messages = new ArrayList<>();
            List<ChangePage.Rejected> rejected = new ArrayList<>();
            String next = cursor;
            Instant nextAt = parseOrNull(cursor);
            for (JsonNode item : mapping.items(node, "messages")) {
                try {
                    ExternalMessage m = mapping.message(item);
                    messages.add(m);
                    if (nextAt == null || m.updatedAt().isAfter(nextAt)) {
                        nextAt = m.updatedAt();
                        next = item.path("updated_at").asString(item.path("created_at").asString());
                    }
                } catch (ConnectorException.Malformed e) {
                    rejected.add(new ChangePage.Rejected(roomId, item.toString(), e.getMessage()));
                }
            }
            messages.sort(java.util.Comparator.comparing(ExternalMessage::updatedAt));
            return new ChangePage(messages, next, rejected);
        });
    }

    @Override
    public Flux<ExternalMessage> history(String roomId, int limit) {
        return read(API + "/projects/{room}/messages?page=1&per_page={n}", roomId, Math.max(1, Math.min(limit, PAGE)))
                .flatMapIterable(node -> mapping.items(node, "messages"))
                .concatMap(item -> {
                    try {
                        return Mono.just(mapping.message(item));
                    } catch (ConnectorException.Malformed e) {
                        return Mono.empty();
                    }
                })
                .take(limit);
    }

    @Override
    public Mono<ExternalMessage> post(String roomId, OutboundMessage message) {
        var request = message.parentId() == null ? web.post().uri(API + "/projects/{room}/messages", roomId)
                : web.post().uri(API + "/projects/{room}/messages/{parent}/messages", roomId, message.parentId());
        return chain.decorateCreate(call(request.contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(mapping.outbound(message).toString())))
                .map(this::messageOf);
    }

    @Override
    public Mono<ExternalMessage> edit(String messageId, OutboundMessage message) {
        var body = mapping.json().createObjectNode().put("body", mapping.outbound(message).get("body").asString());
        return chain.decorate(call(web.post().uri(API + "/messages/{id}/update", messageId)
                        .contentType(MediaType.APPLICATION_JSON).bodyValue(body.toString())))
                .map(this::messageOf);
    }

    @Override
    public Mono<Void> delete(String messageId) {
        return chain.decorate(call(web.post().uri(API + "/messages/{id}/delete", messageId)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}"))).then();
    }

    @Override
    public Mono<Void> react(String messageId, ExternalStamp stamp, boolean add) {
        String path = API + "/messages/{id}" + (add ? "/reactions" : "/reactions/delete");
        String body = mapping.json().createObjectNode().put("type", McsMapping.stampType(stamp)).toString();
        return chain.decorate(call(web.post().uri(path, messageId).contentType(MediaType.APPLICATION_JSON).bodyValue(body))).then();
    }

    @Override
    public Mono<ExternalAttachment> upload(String fileName, String contentType, long size, Flux<ByteBuffer> content) {
        if (size > MAX_FILE) {
            return Mono.error(new ConnectorException.Rejected(413, "file larger than " + MAX_FILE + " bytes"));
        }
        // Buffered (bounded above) so that an in-line retry can send the same bytes again.
        return content.reduce(new java.io.ByteArrayOutputStream(), (out, buffer) -> {
                    byte[] chunk = new byte[buffer.remaining()];
                    buffer.get(chunk);
                    out.writeBytes(chunk);
                    if (out.size() > MAX_FILE) {
                        throw new ConnectorException.Rejected(413, "file larger than " + MAX_FILE + " bytes");
                    }
                    return out;
                })
                .flatMap(out -> {
                    MultipartBodyBuilder parts = new MultipartBodyBuilder();
                    parts.part("file", new ByteArrayResource(out.toByteArray()) {
                        @Override
                        public String getFilename() {
                            return fileName;
                        }
                    }).contentType(MediaType.parseMediaType(contentType));
                    return chain.decorateCreate(call(web.post().uri(API + "/attachments")
                            .contentType(MediaType.MULTIPART_FORM_DATA)
                            .body(BodyInserters.fromMultipartData(parts.build()))));
                })
                .map(node -> new ExternalAttachment(node.path("id").asString(), fileName, contentType, size,
                        node.path("url").asString(null)));
    }

    @Override
    public Flux<ByteBuffer> download(ExternalAttachment attachment) {
        if (attachment.url() == null) {
            return Flux.error(new ConnectorException.Rejected(404, "attachment has no url"));
        }
        return chain.decorate(web.get().uri(attachment.url()).exchangeToMono(response -> {
                    if (!response.statusCode().is2xxSuccessful()) {
                        return failure(response);
                    }
                    return response.bodyToMono(byte[].class).defaultIfEmpty(new byte[0]);
                }).onErrorMap(e -> !(e instanceof ConnectorException), McsConnector::transportFailure))
                .doOnSuccess(ok -> healthy())
                .doOnError(this::unhealthy)
                .flatMapMany(bytes -> Flux.just(ByteBuffer.wrap(bytes)));
    }

    @Override
    public void shareRateLimit(int nodes) {
        chain.shareRate(nodes);
    }

    @Override
    public Mono<ConnectorHealth> health() {
        ConnectorHealth current = health.get();
        if (chain.circuitState() == CircuitBreaker.State.OPEN && current.state() != ConnectorHealth.State.AUTH_FAILED) {
            return Mono.just(new ConnectorHealth(ConnectorHealth.State.DISCONNECTED, "circuit open: calls paused", current.since()));
        }
        return Mono.just(current);
    }

    private ExternalMessage messageOf(JsonNode node) {
        JsonNode message = node.has("message") && node.get("message").isObject() ? node.get("message") : node;
        return mapping.message(message);
    }

    /** A GET; {@code variables} fill the template's {@code {placeholders}} fully encoded ('+' in times!). */
    private Mono<JsonNode> read(String template, Object... variables) {
        return chain.decorate(call(web.get().uri(template, variables)));
    }

    /** One HTTP exchange, mapped to JSON or to a {@link ConnectorException}; updates health. */
    private Mono<JsonNode> call(WebClient.RequestHeadersSpec<?> request) {
        return request.exchangeToMono(response -> response.statusCode().is2xxSuccessful()
                        ? response.bodyToMono(String.class).defaultIfEmpty("{}").map(mapping::parse)
                        : failure(response))
                .onErrorMap(e -> !(e instanceof ConnectorException), McsConnector::transportFailure)
                .doOnSuccess(ok -> healthy())
                .doOnError(this::unhealthy);
    }

    private static <T> Mono<T> failure(ClientResponse response) {
        int status = response.statusCode().value();
        return response.bodyToMono(String.class).defaultIfEmpty("").flatMap(body -> {
            String detail = "HTTP " + status + (body.isBlank() ? "" : ": " + abbreviate(body));
            if (status == 401) {
                return Mono.error(new ConnectorException.AuthFailed("the SNS refused a fresh token: " + detail, null));
            }
            if (status == 429) {
                return Mono.error(new ConnectorException.RateLimited(detail, retryAfter(response.headers().asHttpHeaders())));
            }
            if (status >= 500) {
                return Mono.error(status == 503 ? ConnectorException.Retryable.notSent(detail, null)
                        : new ConnectorException.Retryable(detail, null));
            }
            return Mono.error(new ConnectorException.Rejected(status, detail));
        });
    }

    private static Throwable transportFailure(Throwable e) {
        if (e instanceof WebClientRequestException request && request.getCause() instanceof java.net.ConnectException) {
            return ConnectorException.Retryable.notSent("cannot connect to the SNS: " + request.getMessage(), e);
        }
        return new ConnectorException.Retryable("the SNS did not answer properly: " + e.getMessage(), e);
    }

    /** Retry-After in seconds or as an HTTP date; 1 s when absent or unreadable. */
    static Duration retryAfter(HttpHeaders headers) {
        String value = headers.getFirst(HttpHeaders.RETRY_AFTER);
        if (value == null || value.isBlank()) {
            return Duration.ofSeconds(1);
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = java.time.ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration wait = Duration.between(Instant.now(), at);
                return wait.isNegative() ? Duration.ZERO : wait;
            } catch (DateTimeParseException e) {
                return Duration.ofSeconds(1);
            }
        }
    }

    private void healthy() {
        ConnectorHealth current = health.get();
        if (current.state() != ConnectorHealth.State.CONNECTED) {
            health.set(new ConnectorHealth(ConnectorHealth.State.CONNECTED, "calls succeed", clock.instant()));
        }
    }

    private void unhealthy(Throwable e) {
        ConnectorHealth.State state;
        if (e instanceof ConnectorException.AuthFailed) {
            state = ConnectorHealth.State.AUTH_FAILED;
        } else if (e instanceof ConnectorException.Retryable r && r.notSent()) {
            state = ConnectorHealth.State.DISCONNECTED;
        } else if (e instanceof ConnectorException.Rejected) {
            state = null; // the SNS works; it refused this one request
        } else {
            state = ConnectorHealth.State.DEGRADED;
        }
        if (state != null && health.get().state() != state) {
            health.set(new ConnectorHealth(state, e.getMessage(), clock.instant()));
        }
    }

    private String now() {
        return java.time.OffsetDateTime.now(clock.withZone(java.time.ZoneOffset.ofHours(9))).toString();
    }

    private static Instant parseOrNull(String cursor) {
        try {
            return java.time.OffsetDateTime.parse(cursor).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
