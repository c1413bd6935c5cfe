package jp.tsunagu.ops.realtime;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.ops.realtime.EventInbox.Event;
import jp.tsunagu.ops.support.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** The user-level WebSocket subscription: a hint whenever a change in any of my rooms may change my inbox. */
class InboxFeedIntegrationTests extends IntegrationTestSupport {

    private final java.util.List<WebSocketClientConnection> open = new java.util.ArrayList<>();

    @AfterEach
    void close() {
        open.forEach(WebSocketClientConnection::close);
    }

    @Test
    void aRequestAskingMeAMentionAndMyOwnReadTellMyOpenPhoneToReloadItsInboxAndOthersChangesDoNot() {
        Team t = team();
        WebSocketClientConnection nurse = connect(t.nurse());
        nurse.send("{\"type\":\"subscribe_inbox\"}");
        assertThat(nurse.inbox().next("inbox.subscribed")).isNotNull();

        post(t.careManager(), t.roomId(), "ただの連絡です"); // concerns nobody in particular: no hint
        post(t.careManager(), t.roomId(), Map.of("text", "報告をお願いします", "request", Map.of("assignees",
                Map.of("users", List.of(t.nurse().id())), "dueAt", Instant.now().plusSeconds(86_400).toString())));
        Map<?, ?> facilityMention = post(t.doctor(), t.roomId(), Map.of("text", "訪問看護の皆さんへ",
                "mentions", Map.of("facilities", List.of(t.nurse().facilityId()))));
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/read", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("upToSeq", facilityMention.get("seq"))).exchange().expectStatus().isOk();

        List<Event> hints = nurse.inbox().until(e -> e.json().path("reason").asString().equals("read"));
        assertThat(hints).extracting(Event::type).containsOnly("inbox.changed");
        assertThat(hints).as("the request, the facility mention and her read; not the plain post")
                .extracting(e -> e.json().path("reason").asString()).containsExactly("message.created", "message.created", "read");
        assertThat(hints).extracting(e -> e.json().path("roomId").asString()).containsOnly(t.roomId());
    }

    private Map<?, ?> post(CareUser user, String roomId, Map<String, Object> body) {
        return as(user).post().uri("/api/v1/rooms/{r}/messages", roomId).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
    }

    private WebSocketClientConnection connect(CareUser user) {
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(token(user));
        WebSocketClientConnection c = new WebSocketClientConnection(URI.create("ws://localhost:" + port + "/api/v1/ws"),
                headers, true);
        open.add(c);
        return c;
    }
}
