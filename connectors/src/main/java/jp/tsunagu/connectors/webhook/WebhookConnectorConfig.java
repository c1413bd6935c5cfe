package jp.tsunagu.connectors.webhook;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * One webhook connector instance's settings.
 *
 * @param instanceId the configured instance ("care-sns-kazo"): the key of ids and cursors
 * @param endpoint where the SNS accepts our signed deliveries (http or https)
 * @param receiveKeys our secret(s): webhooks the SNS sends us must be signed with one of them
 * @param sendKeys the SNS's secret(s): our deliveries are signed with {@link WebhookKeys#current()}
 * @param connectTimeout how long to wait for the TCP (and TLS) connection to the endpoint
 * @param responseTimeout how long to wait for the endpoint's response once the delivery is sent
 * @param tolerance how far a received {@code webhook-timestamp} may be from now, either way
 * @param replayCapacity how many received webhook ids are remembered at once (see {@link WebhookVerifier})
 * @param roomBufferCapacity how many received changes are kept per room for {@code changes} and {@code history}
 * @param clock the time for signing, verifying and health
 */
public record WebhookConnectorConfig(String instanceId, URI endpoint, WebhookKeys receiveKeys, WebhookKeys sendKeys,
                                     Duration connectTimeout, Duration responseTimeout, Duration tolerance,
                                     int replayCapacity, int roomBufferCapacity, Clock clock) {

    /**
     * 5 s to connect: an SNS on the internet answers a TCP/TLS handshake in well under a second, and the bridge
     * would rather retry later than hold a delivery for Reactor Netty's 30 s default.
     */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /** 15 s for the response: the low end of the 15-30 s the Standard Webhooks spec recommends ("Request timeouts"). */
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(15);

    /**
     * 1,000 changes per room: a busy care room sees tens of posts, edits and stamps a day, so this holds days of
     * changes for a bridge that stopped polling, while a room's buffer stays within a few megabytes (the spec
     * advises payloads under 20 kB).
     */
    public static final int DEFAULT_ROOM_BUFFER_CAPACITY = 1_000;

    /**
     * @throws IllegalArgumentException for a blank instance id, an endpoint that is not absolute http(s),
     *                                  non-positive durations or capacities below 1
     */
    public WebhookConnectorConfig {
        if (instanceId == null || instanceId.isBlank()) {
            throw new IllegalArgumentException("instanceId is required");
        }
        Objects.requireNonNull(endpoint, "endpoint");
        if (!endpoint.isAbsolute() || !("http".equalsIgnoreCase(endpoint.getScheme())
                || "https".equalsIgnoreCase(endpoint.getScheme())) || endpoint.getHost() == null) {
            throw new IllegalArgumentException("endpoint must be an absolute http or https URL");
        }
        Objects.requireNonNull(receiveKeys, "receiveKeys");
        Objects.requireNonNull(sendKeys, "sendKeys");
        Objects.requireNonNull(clock, "clock");
        for (Duration d : new Duration[] {connectTimeout, responseTimeout, tolerance}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeouts and the tolerance must be positive");
            }
        }
        if (replayCapacity < 1 || roomBufferCapacity < 1) {
            throw new IllegalArgumentException("capacities must be at least 1");
        }
    }

    /** Settings with the defaults: timeouts above, 5-minute tolerance, default cache and buffer sizes, UTC clock. */
    public static WebhookConnectorConfig of(String instanceId, URI endpoint, WebhookKeys receiveKeys,
                                            WebhookKeys sendKeys) {
        return new WebhookConnectorConfig(instanceId, endpoint, receiveKeys, sendKeys, DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_RESPONSE_TIMEOUT, WebhookVerifier.DEFAULT_TOLERANCE, WebhookVerifier.DEFAULT_REPLAY_CAPACITY,
                DEFAULT_ROOM_BUFFER_CAPACITY, Clock.systemUTC());
    }

    public WebhookConnectorConfig withTimeouts(Duration connect, Duration response) {
        return new WebhookConnectorConfig(instanceId, endpoint, receiveKeys, sendKeys, connect, response, tolerance,
                replayCapacity, roomBufferCapacity, clock);
    }

    public WebhookConnectorConfig withClock(Clock newClock) {
        return new WebhookConnectorConfig(instanceId, endpoint, receiveKeys, sendKeys, connectTimeout,
                responseTimeout, tolerance, replayCapacity, roomBufferCapacity, newClock);
    }

    public WebhookConnectorConfig withRoomBufferCapacity(int capacity) {
        return new WebhookConnectorConfig(instanceId, endpoint, receiveKeys, sendKeys, connectTimeout,
                responseTimeout, tolerance, replayCapacity, capacity, clock);
    }

    @Override
    public String toString() {
        // WebhookSecret.toString() shows no key, but keep secrets out of the picture altogether.
        return "WebhookConnectorConfig[" + instanceId + " -> " + endpoint + "]";
    }
}
