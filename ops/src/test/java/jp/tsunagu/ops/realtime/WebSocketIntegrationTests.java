package jp.tsunagu.ops.realtime;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.ops.realtime.EventInbox.Event;
import jp.tsunagu.ops.support.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** The WebSocket endpoint {@code /api/v1/ws} against the whole server. */
class WebSocketIntegrationTests extends IntegrationTestSupport {

    private final List<WebSocketClientConnection> open = new ArrayList<>();

    @AfterEach
    void closeConnections() {
        open.forEach(WebSocketClientConnection::close);
    }

    /** Connects with the token as the {@code access_token} query parameter, as browsers must. */
    private WebSocketClientConnection connectWithQueryToken(CareUser user) {
        WebSocketClientConnection c = new WebSocketClientConnection(
                URI.create("ws://localhost:" + port + "/api/v1/ws?access_token=" + token(user)), new HttpHeaders(), true);
        open.add(c);
        return c;
    }

    /** Connects with the token in the Authorization header, as native apps do. */
    private WebSocketClientConnection connectWithHeaderToken(CareUser user) {
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(token(user));
        WebSocketClientConnection c = new WebSocketClientConnection(URI.create("ws://localhost:" + port + "/api/v1/ws"),
                headers, true);
        open.add(c);
        return c;
    }

    private static String subscribe(String roomId, Long after) {
        return "{\"type\":\"subscribe\",\"roomId\":\"" + roomId + "\"" + (after == null ? "" : ",\"after\":" + after) + "}";
    }

    private static long subscribed(WebSocketClientConnection c, String roomId) {
        Event s = c.inbox().next("subscribed");
        assertThat(s.json().path("roomId").asString()).isEqualTo(roomId);
        return s.seq();
    }

    private static long seq(Map<?, ?> view) {
        return ((Number) view.get("seq")).longValue();
    }

    @Test
    void twoMembersOnTwoConnectionsBothReceiveAThirdMembersPost() {
        Team t = team();
        WebSocketClientConnection nurse = connectWithQueryToken(t.nurse());
        WebSocketClientConnection doctor = connectWithHeaderToken(t.doctor());
        nurse.send(subscribe(t.roomId(), null));
        doctor.send(subscribe(t.roomId(), null));
        long head = subscribed(nurse, t.roomId());
        assertThat(subscribed(doctor, t.roomId())).isEqualTo(head);

        Map<?, ?> posted = post(t.careManager(), t.roomId(), "明日 10 時に訪問します");

        for (WebSocketClientConnection c : List.of(nurse, doctor)) {
            Event e = c.inbox().next("message.created");
            assertThat(e.messageId()).isEqualTo(posted.get("id"));
            assertThat(e.seq()).isEqualTo(seq(posted)).isGreaterThan(head);
            assertThat(e.json().path("roomId").asString()).isEqualTo(t.roomId());
            assertThat(e.json().path("message").path("author").path("userId").asString()).isEqualTo(t.careManager().id());
        }
    }

    @Test
    void subscribingWithAfterReplaysTheMissedEventsThenLiveOnes() {
        Team t = team();
        Map<?, ?> seen = post(t.doctor(), t.roomId(), "seen");
        Map<?, ?> missed1 = post(t.doctor(), t.roomId(), "missed 1");
        Map<?, ?> missed2 = post(t.careManager(), t.roomId(), "missed 2");

        WebSocketClientConnection nurse = connectWithQueryToken(t.nurse());
        nurse.send(subscribe(t.roomId(), seq(seen)));
        List<Event> replay = nurse.inbox().next(2);
        assertThat(replay).extracting(Event::type).containsOnly("message.created");
        assertThat(replay).extracting(Event::messageId).containsExactly((String) missed1.get("id"), (String) missed2.get("id"));
        assertThat(subscribed(nurse, t.roomId())).isEqualTo(seq(missed2));

        Map<?, ?> live = post(t.doctor(), t.roomId(), "live");
        Event e = nurse.inbox().next("message.created");
        assertThat(e.messageId()).isEqualTo(live.get("id"));
        assertThat(e.seq()).isGreaterThan(seq(missed2));
    }

    @Test
    void pingIsAnsweredWithPong() {
        WebSocketClientConnection c = connectWithHeaderToken(signIn(person(unique("ns"), Profession.NURSE, "fac")));
        c.send("{\"type\":\"ping\"}");
        c.inbox().next("pong");
        c.send("{\"type\":\"ping\"}");
        c.inbox().next("pong");
    }

    @Test
    void commandsSentBackToBackAreEachHandledInOrder() {
        Team t = team();
        WebSocketClientConnection nurse = connectWithQueryToken(t.nurse());
        // The ping arrives while the subscribe still waits for the database.
        nurse.send(subscribe(t.roomId(), null));
        nurse.send("{\"type\":\"ping\"}");
        nurse.send("{\"type\":\"ping\"}");
        subscribed(nurse, t.roomId());
        nurse.inbox().next("pong");
        nurse.inbox().next("pong");
    }

    private static String postFrame(String roomId, String key, String message) {
        return "{\"type\":\"post\",\"roomId\":\"" + roomId + "\"" + (key == null ? "" : ",\"idempotencyKey\":\"" + key + "\"")
                + (message == null ? "" : ",\"message\":" + message) + "}";
    }

    private List<?> messages(CareUser user, String roomId) {
        return (List<?>) as(user).get().uri("/api/v1/rooms/{r}/messages", roomId).exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody().get("items");
    }

    @Test
    void aPostOverTheSocketIsAnsweredOnItAndReachesTheRoomOnceEvenWhenRetried() {
        Team t = team();
        // The poster follows no room here, so its answers are the only frames it gets.
        WebSocketClientConnection nurse = connectWithHeaderToken(t.nurse());
        WebSocketClientConnection doctor = connectWithQueryToken(t.doctor());
        doctor.send(subscribe(t.roomId(), null));
        subscribed(doctor, t.roomId());

        nurse.send(postFrame(t.roomId(), "k-1", "{\"text\":\"14時 訪問済み、血圧 128/76\",\"priority\":\"urgent\"}"));
        Event posted = nurse.inbox().next("posted");
        assertThat(posted.json().path("idempotencyKey").asString()).isEqualTo("k-1");
        assertThat(posted.json().path("replayed").asBoolean()).isFalse();
        String id = posted.json().path("message").path("id").asString();
        assertThat(posted.json().path("message").path("priority").asString()).isEqualTo("urgent");
        assertThat(doctor.inbox().next("message.created").messageId()).isEqualTo(id);

        // The phone did not see the answer and sends it again: the same message, stored once.
        nurse.send(postFrame(t.roomId(), "k-1", "{\"text\":\"14時 訪問済み、血圧 128/76\",\"priority\":\"urgent\"}"));
        Event again = nurse.inbox().next("posted");
        assertThat(again.json().path("replayed").asBoolean()).isTrue();
        assertThat(again.json().path("message").path("id").asString()).isEqualTo(id);
        // The REST call with the same key is the same post: the keys are one space.
        Map<?, ?> rest = as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .header("Idempotency-Key", "k-1").contentType(org.springframework.http.MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "14時 訪問済み、血圧 128/76", "priority", "urgent"))
                .exchange().expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        assertThat(rest.get("id")).isEqualTo(id);
        assertThat(messages(t.doctor(), t.roomId())).hasSize(1);

        // Posts of one connection are answered in the order they were sent.
        for (int i = 0; i < 5; i++) {
            nurse.send(postFrame(t.roomId(), "order-" + i, "{\"text\":\"順番 " + i + "\"}"));
        }
        for (int i = 0; i < 5; i++) {
            assertThat(nurse.inbox().next("posted").json().path("idempotencyKey").asString()).isEqualTo("order-" + i);
        }
    }

    @Test
    void aBadPostOverTheSocketGetsTheRestProblemAndNothingIsStored() {
        Team t = team();
        WebSocketClientConnection nurse = connectWithHeaderToken(t.nurse());

        nurse.send(postFrame(t.roomId(), null, "{\"text\":\"鍵なし\"}"));
        assertProblemFrame(nurse.inbox().next("error"), 400, "idempotencyKey");

        nurse.send(postFrame(t.roomId(), "k-long", "{\"text\":\"" + "あ".repeat(10_001) + "\"}"));
        Event tooLong = nurse.inbox().next("error");
        assertProblemFrame(tooLong, 400, "text");
        assertThat(tooLong.json().path("idempotencyKey").asString()).isEqualTo("k-long");
        assertThat(tooLong.json().path("problem").path("type").asString()).isEqualTo("/problems/invalid-request");

        nurse.send(postFrame(t.roomId(), "k-type", "{\"text\":\"x\",\"attachmentIds\":{\"a\":1}}"));
        assertProblemFrame(nurse.inbox().next("error"), 400, "message.attachmentIds");

        nurse.send(postFrame(t.roomId(), "k-none", null));
        assertProblemFrame(nurse.inbox().next("error"), 400, "message");

        nurse.send(postFrame(t.roomId(), "k-empty", "{}"));
        assertThat(nurse.inbox().next("error").json().path("status").asInt()).isEqualTo(400);

        WebSocketClientConnection stranger = connectWithHeaderToken(t.otherFacilityStranger());
        stranger.send(postFrame(t.roomId(), "k-stranger", "{\"text\":\"部外者\"}"));
        Event refused = stranger.inbox().next("error");
        assertThat(refused.json().path("status").asInt()).isEqualTo(404);
        assertThat(refused.json().path("problem").path("status").asInt()).isEqualTo(404);

        assertThat(messages(t.nurse(), t.roomId())).isEmpty();
        nurse.send("{\"type\":\"ping\"}");
        nurse.inbox().next("pong");
    }

    private static void assertProblemFrame(Event e, int status, String field) {
        assertThat(e.json().path("status").asInt()).as("%s", e).isEqualTo(status);
        assertThat(e.json().path("problem").path("status").asInt()).isEqualTo(status);
        if (field != null) {
            List<String> fields = new ArrayList<>();
            e.json().path("problem").path("errors").forEach(f -> fields.add(f.path("field").asString()));
            assertThat(fields).as("%s", e).contains(field);
        }
    }

    @Test
    void badFramesGetAnErrorFrameAndTheConnectionStaysUsable() {
        Team t = team();
        WebSocketClientConnection nurse = connectWithQueryToken(t.nurse());

        nurse.send("{\"type\":\"dance\",\"roomId\":\"" + t.roomId() + "\"}");
        Event unknown = nurse.inbox().next("error");
        assertThat(unknown.json().path("status").asInt()).isEqualTo(400);
        assertThat(unknown.json().path("detail").asString()).isEqualTo("unknown frame type");
        assertThat(unknown.json().path("roomId").asString()).isEqualTo(t.roomId());

        nurse.send("not json");
        assertThat(nurse.inbox().next("error").json().path("status").asInt()).isEqualTo(400);

        nurse.send("{\"type\":\"subscribe\"}");
        Event noRoom = nurse.inbox().next("error");
        assertThat(noRoom.json().path("status").asInt()).isEqualTo(400);

        nurse.send(subscribe("0123456789abcdef01234567", null));
        Event notMine = nurse.inbox().next("error");
        assertThat(notMine.json().path("status").asInt()).isEqualTo(404);
        assertThat(notMine.json().path("roomId").asString()).isEqualTo("0123456789abcdef01234567");

        nurse.send("{\"type\":\"ping\"}");
        nurse.inbox().next("pong");
        nurse.send(subscribe(t.roomId(), null));
        subscribed(nurse, t.roomId());
    }

    @Test
    void aRoomOfStrangersIsRefusedWithAnErrorFrame() {
        Team t = team();
        WebSocketClientConnection stranger = connectWithQueryToken(t.otherFacilityStranger());
        stranger.send(subscribe(t.roomId(), null));
        Event refused = stranger.inbox().next("error");
        assertThat(refused.json().path("status").asInt()).isEqualTo(404);
        post(t.doctor(), t.roomId(), "見えてはいけない");
        stranger.send("{\"type\":\"ping\"}");
        // The next frame is the pong: the post never reached the stranger.
        stranger.inbox().next("pong");
    }

    @Test
    void unsubscribeStopsTheRoomsEventsOnThatConnection() {
        Team t = team();
        WebSocketClientConnection nurse = connectWithQueryToken(t.nurse());
        nurse.send(subscribe(t.roomId(), null));
        subscribed(nurse, t.roomId());
        nurse.send("{\"type\":\"unsubscribe\",\"roomId\":\"" + t.roomId() + "\"}");
        nurse.send("{\"type\":\"ping\"}");
        nurse.inbox().next("pong");
        post(t.doctor(), t.roomId(), "after unsubscribe");
        nurse.send("{\"type\":\"ping\"}");
        nurse.inbox().next("pong");
    }

    @Test
    void aRemovedMemberStopsGettingTheRoomButKeepsTheConnection() {
        Team t = team();
        WebSocketClientConnection family = connectWithQueryToken(t.family());
        family.send(subscribe(t.roomId(), null));
        subscribed(family, t.roomId());

        as(t.careManager()).delete().uri("/api/v1/rooms/{r}/members/{u}", t.roomId(), t.family().id())
                .exchange().expectStatus().isOk();
        Event removed = family.inbox().next("member.removed");
        assertThat(removed.json().path("member").path("userId").asString()).isEqualTo(t.family().id());

        post(t.careManager(), t.roomId(), "after removal");
        family.send("{\"type\":\"ping\"}");
        family.inbox().next("pong");
    }
}
