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
