package jp.tsunagu.ops.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.http.HttpMethod;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.connectors.push.simulator.PushServiceSimulator;
import jp.tsunagu.connectors.push.simulator.SimulatedDevice;
import jp.tsunagu.ops.api.ApiTestClient.Response;
import jp.tsunagu.ops.support.IntegrationTestSupport;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static jp.tsunagu.ops.api.ApiTestClient.TIMEOUT;
import static jp.tsunagu.ops.api.ApiTestClient.assertFieldProblem;
import static jp.tsunagu.ops.api.ApiTestClient.assertProblem;
import static jp.tsunagu.ops.api.ApiTestClient.delete;
import static jp.tsunagu.ops.api.ApiTestClient.get;
import static jp.tsunagu.ops.api.ApiTestClient.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Notifications through the whole server: a device subscribes with the browser's subscription, a message that
 * concerns its owner reaches the push service simulator within seconds carrying ids only, levels and quiet times
 * hold back what they should, a read elsewhere closes it; bad input is a 400 naming the field and stores nothing.
 */
@SuppressWarnings("unchecked")
class NotificationsIntegrationTests extends IntegrationTestSupport {

    private static final JsonMapper JSON = JsonMapper.builder().build();
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
    void aMentionReachesTheNursesPhoneWithIdsOnlyAndHerReadingElsewhereClosesIt() {
        Team t = team();
        SimulatedDevice phone = subscribe(t.nurse());
        assertThat(get(as(t.nurse()), "/api/v1/notifications/devices").list()).hasSize(1);

        Map<String, Object> m = send(as(t.careManager()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "山田様 ワーファリン 2mg に変更です", "mentions", Map.of("users", List.of(t.nurse().id()))),
                t.roomId()).map();

        JsonNode push = JSON.readTree(await(() -> service.received(phone.id()), 1).get(0).payload());
        assertThat(push.path("messageId").asString()).isEqualTo(m.get("id"));
        assertThat(push.path("roomId").asString()).isEqualTo(t.roomId());
        assertThat(push.path("reason").asString()).isEqualTo("mention");
        assertThat(push.toString()).doesNotContain("山田", "ワーファリン", t.careManager().id());

        send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/read", Map.of("upToSeq", m.get("seq")), t.roomId());
        JsonNode clear = JSON.readTree(await(() -> service.received(phone.id()), 2).get(1).payload());
        assertThat(clear.path("type").asString()).isEqualTo("clear");
        assertThat(clear.path("seq").asLong()).isEqualTo(((Number) m.get("seq")).longValue());
    }

    @Test
    void aRoomSetToNoneStaysSilentButAnUrgentMessageAskingHerStillReachesHer() {
        Team t = team();
        SimulatedDevice phone = subscribe(t.nurse());
        Response level = send(as(t.nurse()), HttpMethod.PUT, "/api/v1/rooms/{r}/notifications", Map.of("level", "none"), t.roomId());
        assertThat(level.map()).containsEntry("level", "none").containsEntry("defaultLevel", "mentions").containsEntry("chosen", true);

        String quiet = (String) send(as(t.careManager()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "次回の会議", "mentions", Map.of("users", List.of(t.nurse().id()))), t.roomId()).map().get("id");
        String urgent = (String) send(as(t.doctor()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "本日の点滴を中止", "priority", "urgent", "mentions", Map.of("users", List.of(t.nurse().id()))),
                t.roomId()).map().get("id");

        JsonNode push = JSON.readTree(await(() -> service.received(phone.id()), 1).get(0).payload());
        assertThat(push.path("messageId").asString()).isEqualTo(urgent);
        assertThat(push.path("reason").asString()).isEqualTo("urgent");
        assertThat(service.received(phone.id()).get(0).headers()).containsEntry("Urgency", "high");
        for (String c : List.of("notifications", "notification_log")) {
            assertThat(mongo.count(Query.query(Criteria.where("messageId").is(quiet)), c).block(TIMEOUT))
                    .as("nothing was even queued for the mention (%s)", c).isZero();
        }
    }

    @Test
    void doNotDisturbHoldsBackAMention() {
        Team t = team();
        SimulatedDevice phone = subscribe(t.nurse());
        Response settings = send(as(t.nurse()), HttpMethod.PUT, "/api/v1/notifications/settings",
                Map.of("dndUntil", Instant.now().plus(Duration.ofHours(2)).toString()));
        assertThat(settings.status()).as("%s", settings).isEqualTo(200);

        String id = (String) send(as(t.careManager()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "確認お願いします", "mentions", Map.of("users", List.of(t.nurse().id()))), t.roomId()).map().get("id");

        List<Map> records = await(() -> mongo.find(Query.query(Criteria.where("messageId").is(id)), Map.class,
                "notification_log").collectList().block(TIMEOUT), 1);
        assertThat(records.get(0)).containsEntry("state", "DROPPED").containsEntry("outcome", "do-not-disturb");
        assertThat(service.received(phone.id())).isEmpty();
    }

    @Test
    void badInputIsA400NamingTheFieldAndStoresNothing() {
        CareUser nurse = team().nurse();
        SimulatedDevice d = service.subscribe();
        String p256dh = d.p256dh();
        String auth = d.auth();
        Map<String, Object> keys = Map.of("p256dh", p256dh, "auth", auth);

        assertFieldProblem(subscribe(nurse, Map.of("endpoint", "https://evil.example.org/x", "keys", keys)), 400, "endpoint");
        assertFieldProblem(subscribe(nurse, Map.of("endpoint", "ftp://127.0.0.1/x", "keys", keys)), 400, "endpoint");
        assertFieldProblem(subscribe(nurse, Map.of("keys", keys)), 400, "endpoint");
        assertFieldProblem(subscribe(nurse, Map.of("endpoint", d.endpoint())), 400, "keys");
        assertFieldProblem(subscribe(nurse, Map.of("endpoint", d.endpoint(), "keys", Map.of("p256dh", "AAAA", "auth", auth))),
                400, "keys.p256dh");
        // A 65-byte point that is not on the curve.
        String offCurve = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(offCurve());
        assertFieldProblem(subscribe(nurse, Map.of("endpoint", d.endpoint(), "keys", Map.of("p256dh", offCurve, "auth", auth))),
                400, "keys.p256dh");
        assertFieldProblem(subscribe(nurse, Map.of("endpoint", d.endpoint(), "keys", Map.of("p256dh", p256dh, "auth", "c2hvcnQ"))),
                400, "keys.auth");
        assertFieldProblem(send(as(nurse), HttpMethod.POST, "/api/v1/notifications/devices", "{\"endpoint\": 42}"), 400, "endpoint");

        assertFieldProblem(settings(nurse, Map.of("dndUntil", "2020-01-01T00:00+09:00")), 400, "dndUntil");
        assertFieldProblem(settings(nurse, Map.of("dndUntil", Instant.now().plus(Duration.ofDays(40)).toString())), 400, "dndUntil");
        assertFieldProblem(settings(nurse, Map.of("dndUntil", "tomorrow")), 400, "dndUntil");
        assertFieldProblem(settings(nurse, Map.of("quietHours", Map.of("days", List.of(), "from", "22:00", "to", "07:00"))),
                400, "quietHours.days");
        assertFieldProblem(settings(nurse, Map.of("quietHours", Map.of("days", List.of("mon", "xyz"), "from", "22:00", "to", "07:00"))),
                400, "quietHours.days[1]");
        assertFieldProblem(settings(nurse, Map.of("quietHours", Map.of("days", List.of("mon"), "from", "25:00", "to", "07:00"))),
                400, "quietHours.from");
        assertFieldProblem(settings(nurse, Map.of("quietHours", Map.of("days", List.of("mon"), "from", "22:00", "to", "22:00"))),
                400, "quietHours.to");

        Team t = team();
        assertFieldProblem(send(as(t.nurse()), HttpMethod.PUT, "/api/v1/rooms/{r}/notifications", Map.of("level", "loud"),
                t.roomId()), 400, "level");
        assertProblem(send(as(t.otherFacilityStranger()), HttpMethod.PUT, "/api/v1/rooms/{r}/notifications",
                Map.of("level", "all"), t.roomId()), 404);
        assertFieldProblem(delete(as(nurse), "/api/v1/notifications/devices/{d}", "not-an-id"), 400, "deviceId");

        assertThat(get(as(nurse), "/api/v1/notifications/devices").list()).isEmpty();
        Map<String, Object> stored = get(as(nurse), "/api/v1/notifications/settings").map();
        assertThat(stored.get("dndUntil")).isNull();
        assertThat(stored.get("quietHours")).isNull();
        assertThat(get(as(t.nurse()), "/api/v1/rooms/{r}/notifications", t.roomId()).map()).containsEntry("chosen", false);
    }

    @Test
    void aDeviceSignedInAsSomeoneElseMovesToThem() {
        Team t = team();
        SimulatedDevice tablet = service.subscribe();
        Response first = subscribe(t.nurse(), Map.of("endpoint", tablet.endpoint(),
                "keys", Map.of("p256dh", tablet.p256dh(), "auth", tablet.auth())));
        Response second = subscribe(t.careManager(), Map.of("endpoint", tablet.endpoint(),
                "keys", Map.of("p256dh", tablet.p256dh(), "auth", tablet.auth())));

        assertThat(second.map().get("id")).isEqualTo(first.map().get("id"));
        assertThat(get(as(t.nurse()), "/api/v1/notifications/devices").list()).isEmpty();
        assertThat(get(as(t.careManager()), "/api/v1/notifications/devices").list()).hasSize(1);
    }

    private SimulatedDevice subscribe(CareUser user) {
        SimulatedDevice d = service.subscribe();
        Response r = subscribe(user, Map.of("endpoint", d.endpoint(), "keys", Map.of("p256dh", d.p256dh(), "auth", d.auth()),
                "userAgent", "Android Chrome"));
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        return d;
    }

    private Response subscribe(CareUser user, Map<String, Object> body) {
        return send(as(user), HttpMethod.POST, "/api/v1/notifications/devices", body);
    }

    private Response settings(CareUser user, Map<String, Object> body) {
        return send(as(user), HttpMethod.PUT, "/api/v1/notifications/settings", body);
    }

    private static byte[] offCurve() {
        byte[] point = new byte[65];
        point[0] = 4;
        point[64] = 1;
        return point;
    }

    /** Waits up to 10 s for what the server does off the request's path. */
    private static <T> List<T> await(Supplier<List<T>> seen, int count) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<T> now = seen.get();
        while (now.size() < count && System.nanoTime() < end) {
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
            now = seen.get();
        }
        assertThat(now).hasSizeGreaterThanOrEqualTo(count);
        return now;
    }
}
