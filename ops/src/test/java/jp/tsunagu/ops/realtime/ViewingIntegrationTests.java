package jp.tsunagu.ops.realtime;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.connectors.push.simulator.PushServiceSimulator;
import jp.tsunagu.connectors.push.simulator.SimulatedDevice;
import jp.tsunagu.ops.support.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A device whose open client shows a room (its WebSocket's {@code viewing} frame) gets no push of that room; the
 * person's other devices still do, and the device gets them again once its connection ends.
 */
class ViewingIntegrationTests extends IntegrationTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static PushServiceSimulator service;

    @Autowired
    private ReactiveMongoTemplate mongo;

    @BeforeAll
    static void startPushService() {
        service = new PushServiceSimulator().start(0);
    }

    @AfterAll
    static void stopPushService() {
        service.close();
    }

    @Test
    void theDeviceShowingTheRoomIsSkippedUntilItsConnectionEnds() {
        Team t = team();
        SimulatedDevice phone = service.subscribe();
        SimulatedDevice desk = service.subscribe();
        String phoneId = subscribe(t.nurse(), phone);
        subscribe(t.nurse(), desk);

        WebSocketClientConnection ws = connect(t.nurse());
        ws.send("{\"type\":\"viewing\",\"device\":\"" + phoneId + "\",\"roomId\":\"" + t.roomId() + "\"}");
        await(() -> t.roomId().equals(device(t.nurse(), phoneId).getString("viewing")));

        mention(t, "見ている部屋への連絡");
        await(() -> service.received(desk.id()).size() == 1);
        assertThat(service.received(phone.id())).as("the phone shows the room").isEmpty();

        ws.close();
        await(() -> device(t.nurse(), phoneId).get("viewing") == null);
        mention(t, "閉じた後の連絡");
        // Both devices' pushes leave at once; neither arrives first for sure.
        await(() -> service.received(phone.id()).size() == 1 && service.received(desk.id()).size() == 2);
    }

    @Test
    void aDeviceThatIsNotTheCallersIsRefusedWithAnErrorFrame() {
        Team t = team();
        String doctorsPhone = subscribe(t.doctor(), service.subscribe());
        WebSocketClientConnection ws = connect(t.nurse());
        ws.send("{\"type\":\"viewing\",\"device\":\"" + doctorsPhone + "\",\"roomId\":\"" + t.roomId() + "\"}");
        ws.send("{\"type\":\"viewing\",\"device\":\"nope\",\"roomId\":\"" + t.roomId() + "\"}");

        EventInbox.Event error = ws.inbox().next("error");
        assertThat(error.json().path("status").asInt()).isEqualTo(400);
        assertThat(device(t.doctor(), doctorsPhone).get("viewing")).as("another's device is untouched").isNull();
        ws.close();
    }

    private void mention(Team t, String text) {
        as(t.careManager()).post().uri("/api/v1/rooms/{r}/messages", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", text, "mentions", Map.of("users", List.of(t.nurse().id()))))
                .exchange().expectStatus().isCreated();
    }

    private String subscribe(CareUser user, SimulatedDevice d) {
        return (String) as(user).post().uri("/api/v1/notifications/devices").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("endpoint", d.endpoint(), "keys", Map.of("p256dh", d.p256dh(), "auth", d.auth())))
                .exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody().get("id");
    }

    private Document device(CareUser user, String deviceId) {
        Document profile = mongo.findOne(Query.query(Criteria.where("_id").is(user.id())), Document.class, "notify_profiles")
                .block(WAIT);
        return profile.get("devices", Document.class).get(deviceId, Document.class);
    }

    private WebSocketClientConnection connect(CareUser user) {
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(token(user));
        return new WebSocketClientConnection(URI.create("ws://localhost:" + port + "/api/v1/ws"), headers, true);
    }

    /** Waits up to 10 s for what the server does off the test's path. */
    private static void await(BooleanSupplier condition) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
        assertThat(condition.getAsBoolean()).as("within %s", WAIT).isTrue();
    }
}
