package jp.tsunagu.connectors.webhook;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.timeout.ReadTimeoutException;
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
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A connector for an SNS that pushes its changes as Standard Webhooks and accepts ours the same way.
 *
 * <p><b>Inbound.</b> The HTTP layer hands each received webhook to {@link #receive} with the raw body bytes and
 * answers {@link InboundResult#httpStatus()}. Authentic events are queued per room in arrival order and served by
 * {@link #changes}, {@link #probe}, {@link #history}, {@link #members} and {@link #rooms} from memory. This
 * buffer is bounded per room and lost on restart: it is a hand-over to the bridge, which persists what it
 * imports. What was received while the bridge was not looking at a room (or before a restart) is not in it; the
 * SNS's retries cover deliveries made while this server was down. There is one buffer per room the SNS names;
 * only authentic webhooks create one, so the number of rooms is bounded by what the SNS sends.
 *
 * <p><b>Outbound.</b> {@link #post}, {@link #edit}, {@link #delete} and {@link #react} POST one signed JSON
 * delivery each to the configured endpoint with a fresh {@code webhook-id} and timestamp per attempt.
 *
 * <p><b>Attachments</b> are not carried: a webhook endpoint has no file store to upload to or download from, so
 * {@link #upload}, {@link #download} and a post with attachment ids fail with
 * {@link ConnectorException.Rejected} 501, and {@link Capability#ATTACHMENTS} is not offered. Attachment metadata
 * in received messages is passed through as the SNS sent it.
 *
 * <p>The envelope formats are in {@code package-info.java}. Thread-safe.
 */
public final class WebhookConnector implements SnsConnector {

    public static final String KIND = "webhook";

    /**
     * The largest body read: Spring's default in-memory codec limit (256 KiB), far above the Standard Webhooks
     * advice to keep payloads under 20 kB. Larger received payloads are quarantined, larger responses Malformed.
     */
    public static final int MAX_BODY_BYTES = 256 * 1024;

    /**
     * The wait assumed when a 429 has no usable {@code Retry-After}: 5 s, the first retry delay of the Standard
     * Webhooks spec's example schedule.
     */
    public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(5);

    /**
     * The start of a {@link ChangePage.Rejected#reason()} that marks a gap, not a payload: the room's buffer
     * overflowed and changes after the caller's cursor were dropped. Its payload is empty; re-read the room
     * (e.g. {@link #history}) to catch up.
     */
    public static final String GAP_REASON_PREFIX = "gap:";

    /** Quarantined payloads with no readable room kept for {@link #unroutable()}: enough to see a pattern. */
    static final int UNROUTABLE_CAPACITY = 100;

    private static final Log log = LogFactory.getLog(WebhookConnector.class);
    private static final byte[] NO_BODY = new byte[0];

    private final WebhookConnectorConfig config;
    private final ConnectorDescriptor descriptor;
    private final WebhookVerifier verifier;
    private final WebhookSigner signer;
    private final WebClient webClient;
    private final Clock clock;

    /** Marks cursors and probe tokens of this process: a cursor from before a restart is not compared by number. */
    private final String epoch = Long.toUnsignedString(new SecureRandom().nextLong(), 36);
    private final AtomicLong sequence = new AtomicLong();
    private final Map<String, RoomBuffer> buffers = new ConcurrentHashMap<>();
    private final Map<String, ExternalRoom> rooms = new ConcurrentHashMap<>();
    private final Deque<ChangePage.Rejected> unroutable = new ArrayDeque<>();
    private final AtomicReference<ConnectorHealth> health;

    /** A connector with its own Reactor Netty client, timeouts as configured. */
    public WebhookConnector(WebhookConnectorConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = config.clock();
        this.descriptor = new ConnectorDescriptor(config.instanceId(), KIND, EnumSet.of(Capability.WEBHOOKS,
                Capability.THREADS, Capability.EDITS, Capability.DELETES, Capability.STAMPS, Capability.MENTIONS));
        this.verifier = new WebhookVerifier(config.receiveKeys(), clock, config.tolerance(), config.replayCapacity());
        this.signer = new WebhookSigner(config.sendKeys());
        HttpClient http = HttpClient.create()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(config.connectTimeout().toMillis()))
                .responseTimeout(config.responseTimeout());
        this.webClient = WebClient.builder()
                .clientConnector(new ReactorClientHttpConnector(http))
                .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(MAX_BODY_BYTES))
                .build();
        this.health = new AtomicReference<>(
                new ConnectorHealth(ConnectorHealth.State.CONNECTED, "no delivery attempted yet", clock.instant()));
    }

    @Override
    public ConnectorDescriptor descriptor() {
        return descriptor;
    }

    // ---- inbound ----

    /**
     * Verifies and takes in one received webhook.
     *
     * @param headers the request headers (names in any case), e.g. Spring's {@code HttpHeaders.asMultiValueMap()}
     * @param body the raw body bytes as received: the signature is over these exact bytes
     * @return what became of it and the HTTP status to answer; never an error signal for bad input. Refusals are
     *         logged at WARN with the reason and the id, never with the body
     */
    public Mono<InboundResult> receive(Map<String, List<String>> headers, byte[] body) {
        return Mono.fromSupplier(() -> take(headers, body));
    }

    private InboundResult take(Map<String, List<String>> headers, byte[] body) {
        WebhookVerifier.Verification verification = verifier.verify(headers, body);
        if (verification instanceof WebhookVerifier.Refused refused) {
            log.warn("webhook connector " + config.instanceId() + ": refused a webhook (" + refused.reason()
                    + (refused.webhookId() == null ? "" : ", webhook-id " + refused.webhookId()) + "): "
                    + refused.detail());
            return new InboundResult.Refused(refused.reason(), refused.detail());
        }
        WebhookVerifier.Verified verified = (WebhookVerifier.Verified) verification;
        if (verified.withPreviousSecret() && log.isDebugEnabled()) {
            log.debug("webhook connector " + config.instanceId() + ": " + verified.webhookId()
                    + " was signed with the previous secret only");
        }
        if (body.length > MAX_BODY_BYTES) {
            return quarantine(verified.webhookId(), null, body,
                    "payload of " + body.length + " bytes is over the " + MAX_BODY_BYTES + "-byte limit");
        }
        WebhookEvents.Event event;
        try {
            event = WebhookEvents.parseEvent(body);
        } catch (WebhookEvents.Unreadable e) {
            return quarantine(verified.webhookId(), e.roomId, body, e.getMessage());
        }
        if (event.room() != null) {
            rooms.put(event.roomId(), event.room());
        } else {
            // Without a description the room's type is unknown; group is the one that promises nothing.
            rooms.putIfAbsent(event.roomId(), new ExternalRoom(event.roomId(), ExternalRoom.Type.GROUP,
                    event.roomId(), null));
        }
        buffer(event.roomId()).append(event.message(), null);
        return new InboundResult.Accepted(verified.webhookId(), event.roomId(), event.type(), event.message().id());
    }

    private InboundResult quarantine(String webhookId, String roomId, byte[] body, String reason) {
        String payload = new String(body, 0, Math.min(body.length, MAX_BODY_BYTES), StandardCharsets.UTF_8);
        log.warn("webhook connector " + config.instanceId() + ": quarantined webhook " + webhookId
                + (roomId == null ? "" : " for room " + roomId) + ": " + reason);
        ChangePage.Rejected rejected = new ChangePage.Rejected(roomId, payload, reason);
        if (roomId != null) {
            buffer(roomId).append(null, rejected);
        } else {
            synchronized (unroutable) {
                if (unroutable.size() >= UNROUTABLE_CAPACITY) {
                    unroutable.removeFirst();
                }
                unroutable.addLast(rejected);
            }
        }
        return new InboundResult.Quarantined(webhookId, roomId, reason);
    }

    /**
     * Authentic payloads whose room could not be read (not JSON, no {@code room_id}, too large), which therefore
     * appear in no room's {@link ChangePage#rejected()}: the latest {@value #UNROUTABLE_CAPACITY}, oldest first.
     */
    public List<ChangePage.Rejected> unroutable() {
        synchronized (unroutable) {
            return List.copyOf(unroutable);
        }
    }

    /** Rooms that webhooks have named so far, described as the latest envelope's {@code room} object did. */
    @Override
    public Flux<ExternalRoom> rooms() {
        return Flux.defer(() -> Flux.fromIterable(List.copyOf(rooms.values())));
    }

    /** Authors of the messages of the room still in its buffer, latest description of each; not a roster. */
    @Override
    public Flux<ExternalMember> members(String roomId) {
        return Flux.defer(() -> {
            RoomBuffer buffer = buffers.get(roomId);
            if (buffer == null) {
                return Flux.empty();
            }
            Map<String, ExternalMember> authors = new LinkedHashMap<>();
            for (ExternalMessage m : buffer.latestStates()) {
                if (m.author() != null) {
                    authors.put(m.author().id(), m.author());
                }
            }
            return Flux.fromIterable(authors.values());
        });
    }

    /**
     * Always {@code changed = true} for a null, foreign (previous process) or unreadable token; otherwise whether
     * any webhook was taken in, in any room, since the token was given.
     */
    @Override
    public Mono<ChangeProbe> probe(String since) {
        return Mono.fromSupplier(() -> {
            long now = sequence.get();
            Long seen = sequenceOf(since);
            return new ChangeProbe(seen == null || now > seen, token(now));
        });
    }

    /**
     * The room's changes received after {@code cursor}, in arrival order; quarantined payloads of the room in
     * {@link ChangePage#rejected()}, and a {@value #GAP_REASON_PREFIX} entry there if changes after the cursor
     * were dropped because the room's buffer overflowed. A null cursor means "from now": an empty page and a
     * cursor for later. A cursor of a previous process (this connector restarted) reads the whole buffer.
     *
     * @throws ConnectorException.Rejected (signalled, 400) for a cursor no webhook connector gave out
     */
    @Override
    public Mono<ChangePage> changes(String roomId, String cursor) {
        return Mono.defer(() -> {
            Objects.requireNonNull(roomId, "roomId");
            RoomBuffer buffer = buffer(roomId);
            if (cursor == null) {
                return Mono.just(buffer.now());
            }
            Long after = sequenceOf(cursor);
            if (after == null && !isCursor(cursor)) {
                return Mono.error(new ConnectorException.Rejected(400, "not a cursor of the webhook connector"));
            }
            return Mono.just(buffer.since(after == null ? 0 : after));
        });
    }

    /** What the buffer still holds of the room, each message in its latest state, newest first. */
    @Override
    public Flux<ExternalMessage> history(String roomId, int limit) {
        return Flux.defer(() -> {
            RoomBuffer buffer = buffers.get(roomId);
            if (buffer == null || limit <= 0) {
                return Flux.empty();
            }
            List<ExternalMessage> latest = new ArrayList<>(buffer.latestStates());
            latest.sort(Comparator.comparing(ExternalMessage::createdAt).reversed());
            return Flux.fromIterable(latest.subList(0, Math.min(limit, latest.size())));
        });
    }

    private RoomBuffer buffer(String roomId) {
        return buffers.computeIfAbsent(roomId, RoomBuffer::new);
    }

    private String token(long seq) {
        return epoch + ":" + seq;
    }

    /** The sequence number of one of this process's tokens, or null for null, foreign or unreadable ones. */
    private Long sequenceOf(String token) {
        if (token == null || !token.startsWith(epoch + ":")) {
            return null;
        }
        try {
            long seq = Long.parseLong(token.substring(epoch.length() + 1));
            return seq < 0 || seq > sequence.get() ? null : seq;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Whether the text has the shape of a token of some process of this connector: {@code <base36>:<digits>}. */
    private static boolean isCursor(String token) {
        return token.matches("[0-9a-z]{1,13}:[0-9]{1,19}");
    }

    /** One room's received changes in arrival order, bounded: the oldest is dropped (and the gap marked) when full. */
    private final class RoomBuffer {

        private record Entry(long seq, ExternalMessage message, ChangePage.Rejected rejected) {
        }

        private final String roomId;
        private final ArrayDeque<Entry> entries = new ArrayDeque<>();
        /** The highest sequence number dropped to make room; 0 if none. */
        private long droppedThrough;
        private long droppedCount;

        RoomBuffer(String roomId) {
            this.roomId = roomId;
        }

        synchronized void append(ExternalMessage message, ChangePage.Rejected rejected) {
            if (entries.size() >= config.roomBufferCapacity()) {
                droppedThrough = entries.removeFirst().seq;
                if (droppedCount++ % config.roomBufferCapacity() == 0) {
                    log.warn("webhook connector " + config.instanceId() + ": room " + roomId + "'s buffer of "
                            + config.roomBufferCapacity() + " changes is full and drops the oldest; is the bridge "
                            + "reading this room? (" + droppedCount + " dropped so far)");
                }
            }
            // Numbered under the room's lock, so a room's numbers grow in its arrival order.
            entries.addLast(new Entry(sequence.incrementAndGet(), message, rejected));
        }

        /** An empty page whose cursor is after everything this room holds or is being given right now. */
        synchronized ChangePage now() {
            return new ChangePage(List.of(), token(sequence.get()), List.of());
        }

        synchronized ChangePage since(long after) {
            List<ExternalMessage> messages = new ArrayList<>();
            List<ChangePage.Rejected> rejected = new ArrayList<>();
            if (after < droppedThrough) {
                rejected.add(new ChangePage.Rejected(roomId, "", GAP_REASON_PREFIX + " the room's buffer of "
                        + config.roomBufferCapacity() + " changes overflowed and changes after this cursor were "
                        + "dropped; re-read the room to catch up"));
            }
            long last = after;
            for (Entry entry : entries) {
                if (entry.seq > after) {
                    if (entry.message != null) {
                        messages.add(entry.message);
                    } else {
                        rejected.add(entry.rejected);
                    }
                    last = entry.seq;
                }
            }
            return new ChangePage(messages, token(last), rejected);
        }

        /** Each buffered message's latest state, in order of first arrival. */
        synchronized List<ExternalMessage> latestStates() {
            Map<String, ExternalMessage> latest = new LinkedHashMap<>();
            for (Entry entry : entries) {
                if (entry.message != null) {
                    latest.put(entry.message.id(), entry.message);
                }
            }
            return List.copyOf(latest.values());
        }
    }

    // ---- outbound ----

    /**
     * Delivers {@code message.create}; the SNS answers 2xx with the stored message.
     *
     * @throws ConnectorException.Rejected (signalled, 501) when the message has attachment ids
     */
    @Override
    public Mono<ExternalMessage> post(String roomId, OutboundMessage message) {
        Objects.requireNonNull(roomId, "roomId");
        Objects.requireNonNull(message, "message");
        if (!message.attachmentIds().isEmpty()) {
            return Mono.error(noAttachments());
        }
        return tracked(Mono.defer(() -> {
            ObjectNode delivery = WebhookEvents.delivery(WebhookEvents.CREATE, clock.instant());
            delivery.put("room_id", roomId);
            delivery.set("message", WebhookEvents.outboundMessage(message));
            return send(WebhookEvents.CREATE, delivery)
                    .map(body -> storedMessage(WebhookEvents.CREATE, body, roomId, null));
        }));
    }

    /**
     * Delivers {@code message.update}; the SNS answers 2xx with the stored message, which must name its
     * {@code room_id}.
     */
    @Override
    public Mono<ExternalMessage> edit(String messageId, OutboundMessage message) {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(message, "message");
        if (!message.attachmentIds().isEmpty()) {
            return Mono.error(noAttachments());
        }
        return tracked(Mono.defer(() -> {
            ObjectNode delivery = WebhookEvents.delivery(WebhookEvents.UPDATE, clock.instant());
            delivery.put("message_id", messageId);
            delivery.set("message", WebhookEvents.outboundMessage(message));
            return send(WebhookEvents.UPDATE, delivery)
                    .map(body -> storedMessage(WebhookEvents.UPDATE, body, null, messageId));
        }));
    }

    /** Delivers {@code message.delete}; any 2xx is success, its body is not read. */
    @Override
    public Mono<Void> delete(String messageId) {
        Objects.requireNonNull(messageId, "messageId");
        return tracked(Mono.defer(() -> {
            ObjectNode delivery = WebhookEvents.delivery(WebhookEvents.DELETE, clock.instant());
            delivery.put("message_id", messageId);
            return send(WebhookEvents.DELETE, delivery);
        })).then();
    }

    /** Delivers {@code reaction.add} or {@code reaction.remove}; any 2xx is success, its body is not read. */
    @Override
    public Mono<Void> react(String messageId, ExternalStamp stamp, boolean add) {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(stamp, "stamp");
        String type = add ? WebhookEvents.REACT_ADD : WebhookEvents.REACT_REMOVE;
        return tracked(Mono.defer(() -> {
            ObjectNode delivery = WebhookEvents.delivery(type, clock.instant());
            delivery.put("message_id", messageId);
            delivery.put("stamp", WebhookEvents.stampName(stamp));
            return send(type, delivery);
        })).then();
    }

    /** Not supported: signals {@link ConnectorException.Rejected} 501 (see the class comment). */
    @Override
    public Mono<ExternalAttachment> upload(String fileName, String contentType, long size, Flux<ByteBuffer> content) {
        return Mono.error(noAttachments());
    }

    /** Not supported: signals {@link ConnectorException.Rejected} 501 (see the class comment). */
    @Override
    public Flux<ByteBuffer> download(ExternalAttachment attachment) {
        return Flux.error(noAttachments());
    }

    /**
     * From the last delivery: connected after a 2xx (or a refusal of that one request), degraded after a 5xx,
     * 429 or malformed answer, disconnected after an I/O error or timeout, auth-failed after a 401. No live check.
     */
    @Override
    public Mono<ConnectorHealth> health() {
        return Mono.fromSupplier(health::get);
    }

    private static ConnectorException noAttachments() {
        return new ConnectorException.Rejected(501, "the webhook connector does not carry attachments");
    }

    /**
     * POSTs one signed delivery: the body is serialised once and those bytes are signed and sent. Subscribing
     * again (a retry) signs again with a new id and timestamp.
     *
     * @return the 2xx response body (empty if none)
     */
    private Mono<byte[]> send(String type, ObjectNode delivery) {
        return Mono.defer(() -> {
            byte[] body = WebhookEvents.bytes(delivery);
            // No full stop in the id (see WebhookSigner.VALID_ID): a UUID's hex and dashes.
            Map<String, String> signed = signer.headers("msg_" + UUID.randomUUID(), clock.instant(), body);
            return webClient.post()
                    .uri(config.endpoint())
                    .contentType(MediaType.APPLICATION_JSON)
                    .accept(MediaType.APPLICATION_JSON)
                    .headers(h -> signed.forEach(h::set))
                    .bodyValue(body)
                    .exchangeToMono(response -> {
                        int status = response.statusCode().value();
                        if (status >= 200 && status < 300) {
                            return response.bodyToMono(byte[].class).defaultIfEmpty(NO_BODY);
                        }
                        ConnectorException failure = failure(type, status, response.headers().asHttpHeaders());
                        return response.releaseBody().then(Mono.<byte[]>error(failure));
                    });
        }).onErrorMap(e -> !(e instanceof ConnectorException), e -> ioFailure(type, e));
    }

    private ConnectorException failure(String type, int status, HttpHeaders headers) {
        if (status == 429) {
            return new ConnectorException.RateLimited(type + ": the SNS asks to slow down (429)",
                    retryAfter(headers.getFirst(HttpHeaders.RETRY_AFTER)));
        }
        if (status == 401) {
            return new ConnectorException.AuthFailed(
                    type + ": the SNS refused the delivery's signature (401); check the outbound secret", null);
        }
        if (status >= 500) {
            return new ConnectorException.Retryable(type + ": the SNS failed (" + status + ")", null);
        }
        if (status >= 400) {
            return new ConnectorException.Rejected(status, type + ": the SNS refused the delivery (" + status + ")");
        }
        if (status >= 300) {
            // The Standard Webhooks spec treats redirects as failures: the configured URL is what must change.
            return new ConnectorException.Rejected(status,
                    type + ": the endpoint redirects (" + status + "); configure the URL it redirects to");
        }
        return new ConnectorException.Malformed(type + ": unexpected HTTP status " + status, null);
    }

    private ConnectorException ioFailure(String type, Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof DataBufferLimitException) {
            return new ConnectorException.Malformed(
                    type + ": the SNS's answer is over the " + MAX_BODY_BYTES + "-byte limit", e);
        }
        // Connection refused or reset, connect or response timeout, premature close: the next attempt may pass.
        String why;
        if (root instanceof ReadTimeoutException) {
            why = "no response within " + config.responseTimeout();
        } else if (root instanceof ConnectTimeoutException) {
            why = "no connection within " + config.connectTimeout();
        } else {
            why = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        }
        return new ConnectorException.Retryable(type + ": " + why, e);
    }

    /** {@code Retry-After} as delay-seconds or an HTTP date (RFC 9110 §10.2.3); the default when absent or garbled. */
    private Duration retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_RETRY_AFTER;
        }
        String v = value.strip();
        if (v.matches("[0-9]{1,9}")) {
            return Duration.ofSeconds(Long.parseLong(v));
        }
        try {
            Duration wait = Duration.between(clock.instant(),
                    ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            return wait.isNegative() ? Duration.ZERO : wait;
        } catch (DateTimeParseException e) {
            return DEFAULT_RETRY_AFTER;
        }
    }

    /** The SNS's answer to a create or update: one message object in the inbound envelope's message shape. */
    private ExternalMessage storedMessage(String type, byte[] body, String roomId, String expectedId) {
        JsonNode node;
        try {
            node = WebhookEvents.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw new ConnectorException.Malformed(type + ": the SNS's answer is not JSON", e);
        }
        if (node == null || !node.isObject()) {
            throw new ConnectorException.Malformed(type + ": the SNS's answer is not a JSON object", null);
        }
        ExternalMessage message;
        try {
            message = WebhookEvents.parseMessage(node, roomId, false);
        } catch (WebhookEvents.Unreadable e) {
            throw new ConnectorException.Malformed(type + ": the SNS's answer is not a message: " + e.getMessage(),
                    null);
        }
        if (expectedId != null && !expectedId.equals(message.id())) {
            throw new ConnectorException.Malformed(type + ": the SNS answered another message's id", null);
        }
        return message;
    }

    /** Keeps {@link #health()} up to date from the outcome of one call. */
    private <T> Mono<T> tracked(Mono<T> call) {
        return call
                .doOnSuccess(ignored -> setHealth(ConnectorHealth.State.CONNECTED, "the last delivery succeeded"))
                .doOnError(e -> {
                    if (e instanceof ConnectorException.AuthFailed) {
                        setHealth(ConnectorHealth.State.AUTH_FAILED, e.getMessage());
                    } else if (e instanceof ConnectorException.Retryable r && r.getCause() != null) {
                        // Only I/O failures carry a cause; a 5xx Retryable has none (see failure()).
                        setHealth(ConnectorHealth.State.DISCONNECTED, e.getMessage());
                    } else if (e instanceof ConnectorException.Rejected) {
                        // The SNS answered and authenticated us; it refused this one request.
                        setHealth(ConnectorHealth.State.CONNECTED, e.getMessage());
                    } else {
                        setHealth(ConnectorHealth.State.DEGRADED, e.getMessage());
                    }
                });
    }

    private void setHealth(ConnectorHealth.State state, String detail) {
        Instant now = clock.instant();
        health.updateAndGet(old -> new ConnectorHealth(state, detail, old.state() == state ? old.since() : now));
    }
}
