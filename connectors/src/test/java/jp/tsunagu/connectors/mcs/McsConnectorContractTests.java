package jp.tsunagu.connectors.mcs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;

import jp.tsunagu.connectors.sns.ConnectorException;
import jp.tsunagu.connectors.sns.ConnectorHealth;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.ExternalStamp;
import jp.tsunagu.connectors.sns.OutboundMessage;
import jp.tsunagu.connectors.support.WireMockJournal;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** The MCS-style connector against a WireMock SNS that follows (and breaks) the profile. */
class McsConnectorContractTests {

    private static final String API = "/api/v2t";
    private static final String TOKEN = "{\"access_token\":\"t-%s\",\"token_type\":\"Bearer\",\"expires_in\":3600}";

    private WireMockServer sns;
    private McsConnector connector;

    @BeforeEach
    void start() {
        sns = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        sns.start();
        sns.stubFor(post(urlEqualTo("/oauth/token")).inScenario("token").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson(TOKEN.formatted("1"))).willSetStateTo("issued-1"));
        sns.stubFor(post(urlEqualTo("/oauth/token")).inScenario("token").whenScenarioStateIs("issued-1")
                .willReturn(okJson(TOKEN.formatted("2"))).willSetStateTo("issued-2"));
        String base = "http://127.0.0.1:" + sns.port();
        connector = new McsConnectorFactory(JsonMapper.builder().build(), Clock.systemUTC()).create(
                new McsConnectorProperties("test", base, base + "/oauth/token", "tsunagu", "secret",
                        // Timeouts generous enough for a loaded 2-core CI machine; the timeout test delays beyond them.
                        Duration.ofSeconds(2), Duration.ofSeconds(2), 100, 3, 4));
    }

    private void journaled(int count, com.github.tomakehurst.wiremock.matching.RequestPatternBuilder pattern) {
        WireMockJournal.journaled(sns, count, pattern);
    }

    @AfterEach
    void stop() {
        sns.stop();
    }

    private static String message(String id, String body, String updatedAt) {
        return """
                {"id":"%s","project_id":"p1","body":"%s","created_at":"2026-11-23T09:00:00+09:00",
                 "updated_at":"%s","user":{"id":"u9","last_name":"佐藤","first_name":"由美",
                 "station":{"id":"st1","name":"ひかり訪問看護"},"specialist_categories":[{"name":"看護師"}]},
                 "attachments":[],"reactions":[{"type":"viewed","count":2,"self_reacted":false}],
                 "mentions":[{"type":"station","id":"st2"}]}""".formatted(id, body, updatedAt);
    }

    @Test
    void pollsChangesAfterTheCursorAndMapsTheProfile() {
        // The cursor travels percent-encoded: a raw '+' in a query would arrive as a space.
        sns.stubFor(get(urlPathEqualTo(API + "/projects/p1/messages/latest"))
                .withQueryParam("after", equalTo("2026-11-23T09:00:00+09:00"))
                .withHeader("Authorization", equalTo("Bearer t-1"))
                .willReturn(okJson("[" + message("m2", "二通目", "2026-11-23T09:05:00+09:00") + ","
                        + message("m1", "一通目<br>改行", "2026-11-23T09:01:00+09:00") + "]")));

        StepVerifier.create(connector.changes("p1", "2026-11-23T09:00:00+09:00"))
                .assertNext(page -> {
                    assertThat(page.messages()).extracting(ExternalMessage::id).containsExactly("m1", "m2");
                    assertThat(page.next()).isEqualTo("2026-11-23T09:05:00+09:00");
                    ExternalMessage first = page.messages().get(0);
                    assertThat(first.author().displayName()).isEqualTo("佐藤 由美");
                    assertThat(first.author().professions()).containsExactly("看護師");
                    assertThat(first.author().station().name()).isEqualTo("ひかり訪問看護");
                    assertThat(first.reactions()).containsExactly(new ExternalMessage.Reaction(ExternalStamp.VIEWED, 2, false));
                    assertThat(first.mentions().stationIds()).containsExactly("st2");
                    assertThat(first.html()).isEqualTo("一通目<br>改行");
                })
                .verifyComplete();
        journaled(1, postRequestedFor(urlEqualTo("/oauth/token")));
    }

    @Test
    void hostileHtmlFromOutsideIsSanitised() {
        sns.stubFor(get(urlPathEqualTo(API + "/projects/p1/messages/latest")).willReturn(okJson("[" + message("m1",
                "<p onclick=\\\"steal()\\\">血圧 <b>132/78</b><script>alert(1)</script><img src=x onerror=alert(1)></p>",
                "2026-11-23T09:05:00+09:00") + "]")));
        StepVerifier.create(connector.changes("p1", "2026-11-23T09:00:00+09:00"))
                .assertNext(page -> assertThat(page.messages().get(0).html()).isEqualTo("<p>血圧 <b>132/78</b></p>"))
                .verifyComplete();
    }

    @Test
    void aMalformedItemIsRejectedWithoutLosingTheOthers() {
        sns.stubFor(get(urlPathEqualTo(API + "/projects/p1/messages/latest")).willReturn(okJson("[{\"id\":\"bad\"},"
                + message("m1", "ok", "2026-11-23T09:05:00+09:00") + "]")));
        StepVerifier.create(connector.changes("p1", "2026-11-23T09:00:00+09:00"))
                .assertNext(page -> {
                    assertThat(page.messages()).extracting(ExternalMessage::id).containsExactly("m1");
                    assertThat(page.rejected()).singleElement()
                            .satisfies(r -> assertThat(r.reason()).startsWith("missing"));
                })
                .verifyComplete();
    }

    @Test
    void aResponseThatIsNotJsonIsMalformed() {
        sns.stubFor(get(urlPathEqualTo(API + "/projects/p1/members")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"users\": [ oops")));
        StepVerifier.create(connector.members("p1")).expectError(ConnectorException.Malformed.class).verify();
    }

    @Test
    void outboundTextIsEscapedIntoTheProfilesHtmlAndRepliesGoUnderTheParent() {
        sns.stubFor(post(urlEqualTo(API + "/projects/p1/messages/m1/messages"))
                .withRequestBody(matchingJsonPath("$.body", equalTo("a &lt;b&gt; &amp; c<br>次の行")))
                .withRequestBody(matchingJsonPath("$.mentions[0].type", equalTo("user")))
                .willReturn(okJson(message("m5", "a &lt;b&gt; &amp; c<br>次の行", "2026-11-23T09:06:00+09:00"))));
        StepVerifier.create(connector.post("p1", new OutboundMessage("a <b> & c\n次の行", null, "m1", List.of(),
                        new ExternalMessage.Mentions(List.of("u9"), List.of(), false))))
                .assertNext(m -> assertThat(m.id()).isEqualTo("m5"))
                .verifyComplete();
    }

    @Test
    void editDeleteAndStampsArePosts() {
        sns.stubFor(post(urlEqualTo(API + "/messages/m1/update")).withRequestBody(equalToJson("{\"body\":\"訂正\"}"))
                .willReturn(okJson(message("m1", "訂正", "2026-11-23T09:07:00+09:00"))));
        sns.stubFor(post(urlEqualTo(API + "/messages/m1/delete")).willReturn(okJson("{}")));
        sns.stubFor(post(urlEqualTo(API + "/messages/m1/reactions")).withRequestBody(equalToJson("{\"type\":\"accepted\"}"))
                .willReturn(okJson("{}")));
        sns.stubFor(post(urlEqualTo(API + "/messages/m1/reactions/delete")).withRequestBody(equalToJson("{\"type\":\"viewed\"}"))
                .willReturn(okJson("{}")));
        StepVerifier.create(connector.edit("m1", new OutboundMessage("訂正", null, null, List.of(), null)))
                .assertNext(m -> assertThat(m.html()).isEqualTo("訂正")).verifyComplete();
        StepVerifier.create(connector.react("m1", ExternalStamp.ACCEPTED, true)).verifyComplete();
        StepVerifier.create(connector.react("m1", ExternalStamp.VIEWED, false)).verifyComplete();
        StepVerifier.create(connector.delete("m1")).verifyComplete();
    }

    @Test
    void attachmentsUploadAndDownload() {
        sns.stubFor(post(urlEqualTo(API + "/attachments")).willReturn(okJson("{\"id\":\"a1\",\"url\":\"/files/a1\"}")));
        sns.stubFor(get(urlEqualTo("/files/a1")).willReturn(aResponse().withStatus(200).withBody("写真".getBytes(StandardCharsets.UTF_8))));
        var uploaded = connector.upload("wound.jpg", "image/jpeg", 3,
                Flux.just(ByteBuffer.wrap(new byte[] {1, 2, 3}))).block(Duration.ofSeconds(5));
        assertThat(uploaded.id()).isEqualTo("a1");
        byte[] bytes = connector.download(uploaded).reduce(new java.io.ByteArrayOutputStream(), (out, b) -> {
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            out.writeBytes(chunk);
            return out;
        }).block(Duration.ofSeconds(5)).toByteArray();
        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("写真");
        sns.verify(postRequestedFor(urlEqualTo(API + "/attachments"))
                .withHeader("Content-Type", com.github.tomakehurst.wiremock.client.WireMock.containing("multipart/form-data")));
    }

    @Test
    void aRejectedTokenIsRefreshedOnceAndTheCallRetried() {
        sns.stubFor(get(urlEqualTo(API + "/projects/p1/members")).withHeader("Authorization", equalTo("Bearer t-1"))
                .willReturn(aResponse().withStatus(401)));
        sns.stubFor(get(urlEqualTo(API + "/projects/p1/members")).withHeader("Authorization", equalTo("Bearer t-2"))
                .willReturn(okJson("{\"users\":[{\"id\":\"u1\",\"last_name\":\"田中\",\"first_name\":\"一郎\"}]}")));
        StepVerifier.create(connector.members("p1")).assertNext(m -> assertThat(m.id()).isEqualTo("u1")).verifyComplete();
        journaled(2, postRequestedFor(urlEqualTo("/oauth/token")));
    }

    @Test
    void aSecond401IsAnAuthFailureAndShowsInHealth() {
        sns.stubFor(get(urlPathEqualTo(API + "/projects/p1/members")).willReturn(aResponse().withStatus(401)));
        StepVerifier.create(connector.members("p1")).expectError(ConnectorException.AuthFailed.class).verify();
        journaled(2, postRequestedFor(urlEqualTo("/oauth/token")));
        StepVerifier.create(connector.health())
                .assertNext(h -> assertThat(h.state()).isEqualTo(ConnectorHealth.State.AUTH_FAILED)).verifyComplete();
    }

    @Test
    void tooManyRequestsWithAShortRetryAfterIsRetriedAfterTheWait() {
        sns.stubFor(get(urlPathEqualTo(API + "/projects/p1/members")).inScenario("429")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1")).willSetStateTo("ok"));
        sns.stubFor(get(urlPathEqualTo(API + "/projects/p1/members")).inScenario("429").whenScenarioStateIs("ok")
                .willReturn(okJson("{\"users\":[]}")));
        long started = System.nanoTime();
        StepVerifier.create(connector.members("p1")).verifyComplete();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(950));
        journaled(2, getRequestedFor(urlPathEqualTo(API + "/projects/p1/members")));
    }

    @Test
    void aLongRetryAfterIsLeftToTheCaller() {
        sns.stubFor(get(urlPathEqualTo(API + "/projects/p1/members"))
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "120")));
        StepVerifier.create(connector.members("p1"))
                .expectErrorSatisfies(e -> assertThat(((ConnectorException.RateLimited) e).retryAfter()).isEqualTo(Duration.ofSeconds(120)))
                .verify();
        journaled(1, getRequestedFor(urlPathEqualTo(API + "/projects/p1/members")));
    }

    @Test
    void serverErrorsAreRetriedInLineForReadsOnly() {
        sns.stubFor(get(urlPathEqualTo(API + "/projects/p1/members")).willReturn(aResponse().withStatus(502)));
        StepVerifier.create(connector.members("p1")).expectError(ConnectorException.Retryable.class).verify();
        journaled(3, getRequestedFor(urlPathEqualTo(API + "/projects/p1/members")));

        // A create may have been processed before the 500: repeating it could post the note twice.
        sns.stubFor(post(urlEqualTo(API + "/projects/p1/messages")).willReturn(aResponse().withStatus(500)));
        StepVerifier.create(connector.post("p1", new OutboundMessage("x", null, null, List.of(), null)))
                .expectError(ConnectorException.Retryable.class).verify();
        journaled(1, postRequestedFor(urlEqualTo(API + "/projects/p1/messages")));
    }

    @Test
    void timeoutsAndConnectionResetsAreRetryable() {
        sns.stubFor(get(urlPathEqualTo(API + "/projects/p1/members")).willReturn(okJson("{\"users\":[]}").withFixedDelay(6_000)));
        StepVerifier.create(connector.members("p1")).expectError(ConnectorException.Retryable.class).verify(Duration.ofSeconds(40));

        sns.stubFor(get(urlPathEqualTo(API + "/projects/p2/members")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        StepVerifier.create(connector.members("p2")).expectError(ConnectorException.Retryable.class).verify(Duration.ofSeconds(20));
        StepVerifier.create(connector.health())
                .assertNext(h -> assertThat(h.state()).isEqualTo(ConnectorHealth.State.DEGRADED)).verifyComplete();
    }

    @Test
    void clientErrorsAreRejectedWithoutRetry() {
        sns.stubFor(post(urlEqualTo(API + "/messages/gone/update")).willReturn(aResponse().withStatus(404)
                .withBody("{\"error\":\"not found\"}")));
        StepVerifier.create(connector.edit("gone", new OutboundMessage("x", null, null, List.of(), null)))
                .expectErrorSatisfies(e -> assertThat(((ConnectorException.Rejected) e).status()).isEqualTo(404))
                .verify();
        journaled(1, postRequestedFor(urlEqualTo(API + "/messages/gone/update")));
    }

    @Test
    void roomsArePagedPerType() {
        StringBuilder full = new StringBuilder("[");
        for (int i = 0; i < 100; i++) {
            full.append(i == 0 ? "" : ",").append("{\"id\":\"p").append(i).append("\",\"type\":\"patient\",\"name\":\"r\"}");
        }
        sns.stubFor(get(urlEqualTo(API + "/projects?type=patient&page=1&per_page=100")).willReturn(okJson(full + "]")));
        sns.stubFor(get(urlEqualTo(API + "/projects?type=patient&page=2&per_page=100"))
                .willReturn(okJson("[{\"id\":\"p100\",\"type\":\"patient\",\"name\":\"r\",\"patient_id\":\"TONE-1\"}]")));
        sns.stubFor(get(urlEqualTo(API + "/projects?type=group&page=1&per_page=100"))
                .willReturn(okJson("{\"projects\":[{\"id\":\"g1\",\"type\":\"group\",\"name\":\"多職種\"}]}")));
        StepVerifier.create(connector.rooms().collectList())
                .assertNext(rooms -> {
                    assertThat(rooms).hasSize(102);
                    assertThat(rooms.get(100).externalResidentId()).isEqualTo("TONE-1");
                })
                .verifyComplete();
    }
}
