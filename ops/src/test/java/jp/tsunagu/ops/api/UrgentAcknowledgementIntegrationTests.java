package jp.tsunagu.ops.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.http.HttpMethod;

import jp.tsunagu.chat.escalation.UrgentEscalator;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.ops.api.ApiTestClient.Response;
import jp.tsunagu.ops.support.IntegrationTestSupport;
import reactor.core.publisher.Flux;

import static jp.tsunagu.ops.api.ApiTestClient.TIMEOUT;
import static jp.tsunagu.ops.api.ApiTestClient.assertFieldProblem;
import static jp.tsunagu.ops.api.ApiTestClient.assertProblem;
import static jp.tsunagu.ops.api.ApiTestClient.get;
import static jp.tsunagu.ops.api.ApiTestClient.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Urgent messages that must be acknowledged: who is asked, what counts (a 見ました/承知/完了 stamp or the call, never
 * reading), and escalation when nobody answers: a notice naming who has not acknowledged, then the room's on-call
 * contact; each step exactly once. Time passes by moving the stored due time back, and the escalation round is
 * run by the test (the shared context does not schedule it).
 */
@SuppressWarnings("unchecked")
class UrgentAcknowledgementIntegrationTests extends IntegrationTestSupport {

    @Autowired
    private ReactiveMongoTemplate mongo;

    @Autowired
    private UrgentEscalator escalator;

    @Test
    void theMentionedDoctorMustAcknowledgeAndOnlyAnAcknowledgingStampOrTheCallCounts() {
        Team t = team();
        Response posted = urgent(t.nurse(), t.roomId(), "転倒されました。右大腿部痛あり。至急往診お願いします",
                Map.of("mentions", Map.of("users", List.of(t.doctor().id()))));
        String id = (String) posted.map().get("id");
        assertThat(ack(posted.map()).get("required")).isEqualTo(List.of(t.doctor().id()));
        assertThat(ack(posted.map()).get("pending")).isEqualTo(List.of(t.doctor().id()));
        Instant next = Instant.parse((String) ack(posted.map()).get("nextEscalationAt"));
        assertThat(Duration.between(Instant.parse((String) posted.map().get("createdAt")), next)).isEqualTo(Duration.ofMinutes(15));

        long seq = ((Number) posted.map().get("seq")).longValue();
        send(as(t.doctor()), HttpMethod.POST, "/api/v1/rooms/{r}/read", Map.of("upToSeq", seq), t.roomId());
        Response thanked = send(as(t.doctor()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/stamps/thanked", null, t.roomId(), id);
        assertThat(ack(thanked.map()).get("pending")).as("reading and 感謝 are not acknowledging").isEqualTo(List.of(t.doctor().id()));

        assertProblem(send(as(t.careManager()), HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/acknowledge", null,
                t.roomId(), id), 403);
        Response viewed = send(as(t.doctor()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/stamps/viewed", null, t.roomId(), id);
        Map<String, Object> a = ack(viewed.map());
        assertThat(a.get("pending")).isEqualTo(List.of());
        assertThat((List<Map<String, Object>>) a.get("acknowledged")).singleElement()
                .satisfies(k -> assertThat(k).containsEntry("userId", t.doctor().id()).containsEntry("how", "viewed"));
        assertThat(a.get("nextEscalationAt")).as("nothing left to escalate").isNull();

        Response again = send(as(t.doctor()), HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/acknowledge", null, t.roomId(), id);
        assertThat(again.status()).isEqualTo(200);
        assertThat(((Number) again.map().get("changeSeq")).longValue()).as("acknowledging twice changes nothing")
                .isEqualTo(((Number) viewed.map().get("changeSeq")).longValue());
    }

    @Test
    void withoutMentionsTheRoomsDoctorsAndNursesAreAskedAndTheCallAcknowledges() {
        Team t = team();
        Response posted = urgent(t.careManager(), t.roomId(), "ご家族から発熱の連絡がありました", Map.of());
        String id = (String) posted.map().get("id");
        assertThat((List<String>) ack(posted.map()).get("required")).containsExactlyInAnyOrder(t.nurse().id(), t.doctor().id());
        Response called = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/acknowledge", null, t.roomId(), id);
        assertThat(called.status()).as("%s", called).isEqualTo(200);
        assertThat(ack(called.map()).get("pending")).isEqualTo(List.of(t.doctor().id()));
        assertThat((List<Map<String, Object>>) ack(called.map()).get("acknowledged")).extracting(k -> k.get("how")).containsExactly("call");

        assertThat(send(as(t.careManager()), HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", "通常連絡"),
                t.roomId()).map().get("acknowledgement")).as("normal messages ask nobody").isNull();
        assertFieldProblem(send(as(t.careManager()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "通常", "acknowledgers", Map.of("users", List.of(t.nurse().id()))), t.roomId()), 400, "acknowledgers");
        assertFieldProblem(urgent(t.careManager(), t.roomId(), "至急",
                Map.of("acknowledgers", Map.of("users", List.of(t.otherFacilityStranger().id())))), 422, "acknowledgers.users[0]");
    }

    @Test
    void nobodyAnsweringEscalatesOnceAStepThenToTheOnCallContact() {
        Team t = team();
        assertThat(send(as(t.careManager()), HttpMethod.PUT, "/api/v1/rooms/{r}/on-call", Map.of("userId", t.careManager().id()),
                t.roomId()).status()).isEqualTo(200);
        String id = (String) urgent(t.nurse(), t.roomId(), "SpO2 88%。至急ご指示ください",
                Map.of("acknowledgers", Map.of("professions", List.of("doctor")))).map().get("id");

        assertThat(escalator.run().block(TIMEOUT)).as("not due yet").isZero();
        fifteenMinutesPass(id);
        // Two rounds at once (two nodes at a lease hand-over): the step is still taken once.
        Flux.merge(escalator.run(), escalator.run()).blockLast(TIMEOUT);
        Map<String, Object> first = message(t, id);
        assertThat((List<Map<String, Object>>) ack(first).get("escalations")).singleElement()
                .satisfies(e -> assertThat(e).containsEntry("step", 1).containsEntry("pending", List.of(t.doctor().id())));
        List<Map<String, Object>> notices = notices(t);
        assertThat(notices).hasSize(1);
        assertThat((String) notices.get(0).get("text")).contains("至急・未確認").contains(t.doctor().displayName());
        assertThat(((Map<String, Object>) notices.get(0).get("mentions")).get("users")).isEqualTo(List.of(t.doctor().id()));
        assertThat(escalator.run().block(TIMEOUT)).as("the second step waits its own interval").isZero();

        fifteenMinutesPass(id);
        escalator.run().block(TIMEOUT);
        Map<String, Object> second = message(t, id);
        assertThat((List<String>) ack(second).get("required")).containsExactly(t.doctor().id(), t.careManager().id());
        assertThat(ack(second).get("nextEscalationAt")).as("the last step").isNull();
        assertThat(notices(t)).hasSize(2);
        assertThat((String) notices(t).get(0).get("text")).contains("当番の " + t.careManager().displayName());
        assertThat(escalator.run().block(TIMEOUT)).isZero();

        // The on-call contact acknowledges from the notice's mention.
        Response called = send(as(t.careManager()), HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/acknowledge", null, t.roomId(), id);
        assertThat(ack(called.map()).get("pending")).isEqualTo(List.of(t.doctor().id()));
    }

    @Test
    void anAcknowledgedMessageNeverEscalates() {
        Team t = team();
        String id = (String) urgent(t.nurse(), t.roomId(), "血圧 80/50",
                Map.of("mentions", Map.of("users", List.of(t.doctor().id())))).map().get("id");
        send(as(t.doctor()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/stamps/accepted", null, t.roomId(), id);
        mongo.updateFirst(Query.query(Criteria.where("_id").is(id)),
                new Update().set("acknowledgement.escalateAt", Instant.now().minusSeconds(1)), "messages").block(TIMEOUT);
        escalator.run().block(TIMEOUT);
        assertThat(notices(t)).isEmpty();
        assertThat(ack(message(t, id)).get("escalations")).isEqualTo(List.of());
    }

    // ------------------------------------------------------------------------------------------------------

    private Response urgent(CareUser by, String roomId, String text, Map<String, Object> more) {
        Map<String, Object> body = new java.util.HashMap<>(more);
        body.put("text", text);
        body.put("priority", "urgent");
        return send(as(by), HttpMethod.POST, "/api/v1/rooms/{r}/messages", body, roomId);
    }

    /** The next escalation step becomes due: its stored time is moved back instead of waited for. */
    private void fifteenMinutesPass(String messageId) {
        mongo.updateFirst(Query.query(Criteria.where("_id").is(messageId)),
                new Update().set("acknowledgement.escalateAt", Instant.now().minusSeconds(1)), "messages").block(TIMEOUT);
    }

    private Map<String, Object> message(Team t, String id) {
        Response r = get(as(t.careManager()), "/api/v1/rooms/{r}/messages/{m}", t.roomId(), id);
        assertThat(r.status()).isEqualTo(200);
        return r.map();
    }

    /** The service's notices in the room, newest first. */
    private List<Map<String, Object>> notices(Team t) {
        List<Map<String, Object>> items = (List<Map<String, Object>>) get(as(t.careManager()),
                "/api/v1/rooms/{r}/messages?limit=100", t.roomId()).map().get("items");
        return items.stream().filter(m -> "service:tsunagu".equals(((Map<String, Object>) m.get("author")).get("userId"))).toList();
    }

    private static Map<String, Object> ack(Map<String, Object> message) {
        Map<String, Object> a = (Map<String, Object>) message.get("acknowledgement");
        assertThat(a).as("acknowledgement of %s", message).isNotNull();
        return a;
    }
}
