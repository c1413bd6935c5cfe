package jp.tsunagu.connectors.webhook;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.OURS;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.THEIRS;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.THEIRS_OLD;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import jp.tsunagu.connectors.sns.ConnectorException;
import jp.tsunagu.connectors.sns.ConnectorHealth;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.ExternalStamp;
import jp.tsunagu.connectors.sns.OutboundMessage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;

class WebhookConnectorOutboundTests {

    @RegisterExtension
    static WireMockExtension sns = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

    private static final String PATH = "/hooks/tsunagu";
    private static final String STORED = """
            {"id":"m-900","room_id":"p-1024","author":{"id":"bot","display_name":"つなぐ"},
             "html":"承知しました","created_at":"2026-11-24T09:31:00+09:00"}""";
    private static final OutboundMessage NOTE = new OutboundMessage("血圧 132/84\n<夕方> & 再訪", null, "m-70",
            List.of(), new ExternalMessage.Mentions(List.of("u-1"), List.of(), true));

    private WebhookConnector connector;

    @BeforeEach
    void setUp() {
        connector = connector(URI.create(sns.baseUrl() + PATH));
    }

    /** With the default timeouts, so that the first request of a cold JVM on a busy machine does not time out. */
    private static WebhookConnector connector(URI endpoint) {
        return connector(endpoint, WebhookConnectorConfig.DEFAULT_RESPONSE_TIMEOUT);
    }

    private static WebhookConnector connector(URI endpoint, Duration responseTimeout) {
        // The SNS rotates its secret: we sign with its newest one.
        return new WebhookConnector(WebhookConnectorConfig.of("care-sns-test", endpoint, WebhookKeys.of(OURS),
                new WebhookKeys(THEIRS, THEIRS_OLD)).withTimeouts(Duration.ofSeconds(2), responseTimeout));
    }

    // ---- signed deliveries ----

    @Test
    void postDeliversASignedMessageCreateAndReturnsTheStoredMessage() {
        stub(aResponse().withStatus(201).withHeader("Content-Type", "application/json").withBody(STORED));

        StepVerifier.create(connector.post("p-1024", NOTE))
                .assertNext(m -> {
                    assertThat(m.id()).isEqualTo("m-900");
                    assertThat(m.roomId()).isEqualTo("p-1024");
                    assertThat(m.author().displayName()).isEqualTo("つなぐ");
                })
                .verifyComplete();

        JsonNode delivery = verifiedDelivery();
        assertThat(delivery.get("type").stringValue()).isEqualTo("message.create");
        assertThat(delivery.get("room_id").stringValue()).isEqualTo("p-1024");
        JsonNode message = delivery.get("message");
        assertThat(message.get("text").stringValue()).isEqualTo("血圧 132/84\n<夕方> & 再訪");
        assertThat(message.get("html").stringValue()).isEqualTo("血圧 132/84<br>&lt;夕方&gt; &amp; 再訪");
        assertThat(message.get("parent_id").stringValue()).isEqualTo("m-70");
        assertThat(message.get("mentions").get("user_ids").get(0).stringValue()).isEqualTo("u-1");
        assertThat(message.get("mentions").get("all").booleanValue()).isTrue();
        assertThat(Instant.parse(delivery.get("timestamp").stringValue())).isBeforeOrEqualTo(Instant.now());
    }

    @Test
    void deliveriesAreSignedWithTheSnsNewestSecretOnly() {
        stub(aResponse().withStatus(204));

        StepVerifier.create(connector.delete("m-1")).verifyComplete();

        LoggedRequest request = onlyRequest();
        WebhookVerifier oldOnly = new WebhookVerifier(WebhookKeys.of(THEIRS_OLD));
        assertThat(oldOnly.verify(headers(request), request.getBody()))
                .isInstanceOfSatisfying(WebhookVerifier.Refused.class,
                        r -> assertThat(r.reason()).isEqualTo(WebhookVerifier.Reason.FORGED));
        assertThat(request.getHeader("webhook-signature")).startsWith("v1,").doesNotContain(" ");
        assertThat(request.getHeader("Content-Type")).startsWith("application/json");
    }

    @Test
    void editDeleteAndReactDeliverTheirOwnSignedTypes() {
        stub(aResponse().withStatus(200).withBody(STORED));

        StepVerifier.create(connector.edit("m-900", new OutboundMessage("承知しました", "<b>承知</b>しました", null,
                List.of(), null))).expectNextCount(1).verifyComplete();
        StepVerifier.create(connector.delete("m-900")).verifyComplete();
        StepVerifier.create(connector.react("m-900", ExternalStamp.ACCEPTED, true)).verifyComplete();
        StepVerifier.create(connector.react("m-900", ExternalStamp.VIEWED, false)).verifyComplete();

        List<LoggedRequest> requests = sns.findAll(postRequestedFor(urlEqualTo(PATH)));
        assertThat(requests).hasSize(4);
        WebhookVerifier theirs = new WebhookVerifier(WebhookKeys.of(THEIRS));
        List<JsonNode> deliveries = requests.stream().map(r -> {
            assertThat(theirs.verify(headers(r), r.getBody()).accepted()).isTrue();
            return WebhookEvents.MAPPER.readTree(r.getBody());
        }).toList();
        assertThat(deliveries).extracting(d -> d.get("type").stringValue())
                .containsExactly("message.update", "message.delete", "reaction.add", "reaction.remove");
        assertThat(deliveries).allSatisfy(d -> assertThat(d.get("message_id").stringValue()).isEqualTo("m-900"));
        assertThat(deliveries.get(0).get("message").get("html").stringValue()).isEqualTo("<b>承知</b>しました");
        assertThat(deliveries.get(2).get("stamp").stringValue()).isEqualTo("accepted");
        assertThat(deliveries.get(3).get("stamp").stringValue()).isEqualTo("viewed");
        // Every attempt has its own id.
        assertThat(requests.stream().map(r -> r.getHeader("webhook-id")).distinct()).hasSize(4);
    }

    // ---- failures ----

    @Test
    void serverErrorsAreRetryable() {
        for (int status : new int[] {500, 502, 503}) {
            stub(aResponse().withStatus(status).withBody("{\"error\":\"down\"}"));
            StepVerifier.create(connector.delete("m-1"))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConnectorException.Retryable.class))
                    .verify();
        }
        assertHealth(ConnectorHealth.State.DEGRADED);
    }

    @Test
    void tooManyRequestsIsRateLimitedWithRetryAfter() {
        stub(aResponse().withStatus(429).withHeader("Retry-After", "7"));
        expectRateLimited(Duration.ofSeconds(7));

        stub(aResponse().withStatus(429));
        expectRateLimited(WebhookConnector.DEFAULT_RETRY_AFTER);

        String inAMinute = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                Instant.now().plusSeconds(60).atOffset(ZoneOffset.UTC));
        stub(aResponse().withStatus(429).withHeader("Retry-After", inAMinute));
        StepVerifier.create(connector.react("m-1", ExternalStamp.GOOD, true))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(
                        ConnectorException.RateLimited.class, r -> assertThat(r.retryAfter())
                                .isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60))))
                .verify();
        assertHealth(ConnectorHealth.State.DEGRADED);
    }

    @Test
    void unauthorizedIsAuthFailed() {
        stub(aResponse().withStatus(401));

        StepVerifier.create(connector.post("p-1024", NOTE))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConnectorException.AuthFailed.class))
                .verify();
        assertHealth(ConnectorHealth.State.AUTH_FAILED);

        stub(aResponse().withStatus(204));
        StepVerifier.create(connector.delete("m-1")).verifyComplete();
        assertHealth(ConnectorHealth.State.CONNECTED);
    }

    @Test
    void otherClientErrorsAreRejectedWithTheirStatus() {
        for (int status : new int[] {400, 403, 404, 410, 422}) {
            stub(aResponse().withStatus(status).withBody("{\"error\":\"no\"}"));
            StepVerifier.create(connector.post("p-1024", NOTE))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ConnectorException.Rejected.class,
                            r -> assertThat(r.status()).isEqualTo(status)))
                    .verify();
        }
    }

    @Test
    void aSlowResponseTimesOutAsRetryable() {
        stub(aResponse().withStatus(200).withBody(STORED).withFixedDelay(6_000));
        // The response timeout runs from when the request is sent, so a cold start cannot trip it early.
        connector = connector(URI.create(sns.baseUrl() + PATH), Duration.ofSeconds(1));

        StepVerifier.create(connector.post("p-1024", NOTE))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConnectorException.Retryable.class)
                        .hasMessageContaining("no response within"))
                .verify(Duration.ofSeconds(5));
        assertHealth(ConnectorHealth.State.DISCONNECTED);
    }

    @Test
    void aConnectionResetIsRetryable() {
        stub(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));

        StepVerifier.create(connector.post("p-1024", NOTE))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConnectorException.Retryable.class))
                .verify(Duration.ofSeconds(5));
        assertHealth(ConnectorHealth.State.DISCONNECTED);
    }

    @Test
    void aRefusedConnectionIsRetryable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        WebhookConnector nowhere = connector(URI.create("http://127.0.0.1:" + closedPort + PATH));

        StepVerifier.create(nowhere.delete("m-1"))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConnectorException.Retryable.class))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void anAnswerThatIsNotTheDocumentedJsonIsMalformed() {
        for (String body : List.of("<html>oops</html>", "", "[]", "{\"id\":\"m-1\"}",
                STORED.replace("\"room_id\":\"p-1024\"", "\"room_id\":\"g-7\""))) {
            stub(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body));
            StepVerifier.create(connector.post("p-1024", NOTE))
                    .expectErrorSatisfies(e -> assertThat(e).as(body).isInstanceOf(ConnectorException.Malformed.class))
                    .verify();
        }
        stub(aResponse().withStatus(200).withBody(STORED.replace("\"room_id\":\"p-1024\",", "")));
        StepVerifier.create(connector.edit("m-900", NOTE))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConnectorException.Malformed.class)
                        .hasMessageContaining("room_id"))
                .verify();
        stub(aResponse().withStatus(200).withBody(STORED));
        StepVerifier.create(connector.edit("m-901", NOTE))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConnectorException.Malformed.class))
                .verify();
        assertHealth(ConnectorHealth.State.DEGRADED);
    }

    @Test
    void aRetryIsSignedAfresh() {
        stub(aResponse().withStatus(503));

        StepVerifier.create(connector.delete("m-1").retry(1))
                .expectError(ConnectorException.Retryable.class).verify();

        List<LoggedRequest> attempts = sns.findAll(postRequestedFor(urlEqualTo(PATH)));
        assertThat(attempts).hasSize(2);
        assertThat(attempts.get(0).getHeader("webhook-id")).isNotEqualTo(attempts.get(1).getHeader("webhook-id"));
        WebhookVerifier theirs = new WebhookVerifier(WebhookKeys.of(THEIRS));
        assertThat(attempts).allSatisfy(r -> assertThat(theirs.verify(headers(r), r.getBody()).accepted()).isTrue());
    }

    // ---- helpers ----

    private static void stub(ResponseDefinitionBuilder response) {
        sns.stubFor(post(urlEqualTo(PATH)).willReturn(response));
    }

    private void expectRateLimited(Duration retryAfter) {
        StepVerifier.create(connector.delete("m-1"))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ConnectorException.RateLimited.class,
                        r -> assertThat(r.retryAfter()).isEqualTo(retryAfter)))
                .verify();
    }

    private void assertHealth(ConnectorHealth.State state) {
        StepVerifier.create(connector.health())
                .assertNext(h -> assertThat(h.state()).isEqualTo(state)).verifyComplete();
    }

    private static LoggedRequest onlyRequest() {
        List<LoggedRequest> requests = sns.findAll(postRequestedFor(urlEqualTo(PATH)));
        assertThat(requests).hasSize(1);
        return requests.get(0);
    }

    /** The one request's body, after checking its signature the way the SNS would. */
    private static JsonNode verifiedDelivery() {
        LoggedRequest request = onlyRequest();
        WebhookVerifier snsSide = new WebhookVerifier(WebhookKeys.of(THEIRS), Clock.systemUTC(),
                WebhookVerifier.DEFAULT_TOLERANCE, 10);
        assertThat(snsSide.verify(headers(request), request.getBody())).isInstanceOf(WebhookVerifier.Verified.class);
        return WebhookEvents.MAPPER.readTree(request.getBody());
    }

    private static Map<String, List<String>> headers(LoggedRequest request) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (HttpHeader header : request.getHeaders().all()) {
            headers.put(header.key(), header.values());
        }
        return headers;
    }
}
