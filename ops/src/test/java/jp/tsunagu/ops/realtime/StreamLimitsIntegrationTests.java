package jp.tsunagu.ops.realtime;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.realtime.RoomEventHub;
import jp.tsunagu.ops.realtime.EventInbox.Event;
import jp.tsunagu.ops.support.IntegrationTestSupport;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streams with a send queue of 8 frames (instead of 256) and a heartbeat every 300 ms (instead of 25 s), so
 * slow consumers and heartbeats show within a short test. This class starts a context of its own.
 */
@TestPropertySource(properties = {"tsunagu.chat.send-queue=8", "tsunagu.chat.heartbeat=300ms"})
class StreamLimitsIntegrationTests extends IntegrationTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(15);
    /** Big posts fill the socket buffers between server and client with few requests. */
    private static final String LONG_TEXT = "訪問記録。".repeat(1_600);
    /** Far more than socket buffers (a few MB on loopback) plus the send queue hold. */
    private static final int MAX_POSTS = 600;

    @Autowired
    private RoomEventHub hub;

    private URI ws(String query) {
        return URI.create("ws://localhost:" + port + "/api/v1/ws" + query);
    }

    @Test
    void aWebSocketClientThatStopsReadingGetsAResyncFrameAndIsDisconnected() {
        Team t = team();
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(token(t.nurse()));
        try (WebSocketClientConnection frozen = new WebSocketClientConnection(ws(""), headers, false);
             WebSocketClientConnection reader = new WebSocketClientConnection(
                     ws("?access_token=" + token(t.doctor())), new HttpHeaders(), true)) {
            frozen.send("{\"type\":\"subscribe\",\"roomId\":\"" + t.roomId() + "\"}");
            reader.send("{\"type\":\"subscribe\",\"roomId\":\"" + t.roomId() + "\"}");
            // The frozen client reads this frame and nothing more.
            frozen.inbox().next("subscribed");
            reader.inbox().next("subscribed");

            long droppedBefore = hub.droppedConnections();
            int posts = 0;
            while (hub.droppedConnections() == droppedBefore && posts < MAX_POSTS) {
                post(t.careManager(), t.roomId(), LONG_TEXT);
                posts++;
            }
            assertThat(hub.droppedConnections()).as("connections dropped after %d posts", posts).isGreaterThan(droppedBefore);
            post(t.careManager(), t.roomId(), "one more after the drop");

            // The reading client got every post, in order, and stays connected.
            List<Event> all = reader.inbox().next(posts + 1);
            assertThat(all).extracting(Event::type).containsOnly("message.created");
            assertThat(all.get(posts).json().path("message").path("text").asString()).isEqualTo("one more after the drop");
            reader.send("{\"type\":\"ping\"}");
            reader.inbox().next("pong");

            // The frozen client, once it reads again, finds what was already on its way (a prefix of the posts,
            // without gaps), then the resync, then the end of the connection.
            frozen.startReading();
            List<Event> rest = frozen.inbox().until(e -> !e.type().equals("message.created"));
            Event resync = rest.get(rest.size() - 1);
            assertThat(resync.type()).isEqualTo("resync");
            assertThat(resync.json().path("reason").asString()).isEqualTo("slow_consumer");
            frozen.inbox().expectEnd();
            List<Event> delivered = rest.subList(0, rest.size() - 1);
            assertThat(delivered.size()).isLessThan(posts);
            for (int i = 0; i < delivered.size(); i++) {
                assertThat(delivered.get(i).seq()).isEqualTo(all.get(i).seq());
            }
        }
    }

    @Test
    void anSseReplayLongerThanTheSendQueueArrivesWhole() {
        Team t = team();
        long before = ((Number) post(t.doctor(), t.roomId(), "seen").get("seq")).longValue();
        List<Object> missed = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            missed.add(post(t.doctor(), t.roomId(), "missed " + i).get("id"));
        }
        StepVerifier.create(WebClient.create("http://localhost:" + port).get()
                        .uri("/api/v1/rooms/{r}/events?after={a}", t.roomId(), before)
                        .header("Authorization", "Bearer " + token(t.nurse()))
                        .accept(MediaType.TEXT_EVENT_STREAM)
                        .retrieve()
                        .bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() { })
                        .filter(e -> e.data() != null)
                        .take(31)
                        .collectList())
                .assertNext(events -> {
                    assertThat(events.subList(0, 30)).allSatisfy(e -> assertThat(e.data()).contains("\"type\":\"message.created\""));
                    for (int i = 0; i < 30; i++) {
                        assertThat(events.get(i).data()).contains("\"id\":\"" + missed.get(i) + "\"");
                    }
                    assertThat(events.get(30).data()).startsWith("{\"type\":\"subscribed\"");
                })
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void anIdleSseStreamGetsHeartbeatComments() {
        Team t = team();
        StepVerifier.create(WebClient.create("http://localhost:" + port).get()
                        .uri("/api/v1/rooms/{r}/events", t.roomId())
                        .header("Authorization", "Bearer " + token(t.nurse()))
                        .accept(MediaType.TEXT_EVENT_STREAM)
                        .retrieve()
                        .bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() { })
                        .take(3))
                .assertNext(e -> assertThat(e.data()).startsWith("{\"type\":\"subscribed\""))
                .assertNext(e -> assertThat(e.comment()).isEqualTo("heartbeat"))
                .assertNext(e -> {
                    assertThat(e.comment()).isEqualTo("heartbeat");
                    assertThat(e.data()).isNull();
                    assertThat(e.id()).isNull();
                })
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void anIdleWebSocketGetsHeartbeatFrames() {
        CareUser user = signIn(person(unique("ns"), Profession.NURSE, "fac"));
        List<String> frames = new ArrayList<>();
        new ReactorNettyWebSocketClient()
                .execute(ws("?access_token=" + token(user)), session -> session.receive()
                        .map(WebSocketMessage::getPayloadAsText)
                        .take(2)
                        .doOnNext(frames::add)
                        .then())
                .timeout(WAIT)
                .block();
        assertThat(frames).containsExactly("{\"type\":\"heartbeat\"}", "{\"type\":\"heartbeat\"}");
    }
}
