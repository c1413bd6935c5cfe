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

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.ops.api.ApiTestClient.Response;
import jp.tsunagu.ops.support.IntegrationTestSupport;

import static jp.tsunagu.ops.api.ApiTestClient.TIMEOUT;
import static jp.tsunagu.ops.api.ApiTestClient.assertFieldProblem;
import static jp.tsunagu.ops.api.ApiTestClient.assertProblem;
import static jp.tsunagu.ops.api.ApiTestClient.delete;
import static jp.tsunagu.ops.api.ApiTestClient.get;
import static jp.tsunagu.ops.api.ApiTestClient.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * "My actions": one answer with what waits for me across my rooms, and each item leaving it once I act: the
 * request done, the urgent message acknowledged, the mention read.
 */
@SuppressWarnings("unchecked")
class InboxIntegrationTests extends IntegrationTestSupport {

    @Autowired
    private ReactiveMongoTemplate mongo;

    @Test
    void theNursesInboxHoldsWhatWaitsForHerAndEachItemLeavesWhenSheActs() {
        Team t = team();
        String later = request(t.careManager(), t.roomId(), "来週の訪問の報告", t.nurse(), Duration.ofDays(3));
        String overdue = request(t.careManager(), t.roomId(), "昨日の訪問の報告", t.nurse(), Duration.ofHours(2));
        mongo.updateFirst(Query.query(Criteria.where("_id").is(overdue)),
                new Update().set("request.dueAt", Instant.now().minus(Duration.ofHours(1))), "messages").block(TIMEOUT);
        String urgent = (String) send(as(t.doctor()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "本日の点滴を中止してください", "priority", "urgent",
                        "mentions", Map.of("users", List.of(t.nurse().id()))), t.roomId()).map().get("id");
        Map<?, ?> mention = send(as(t.careManager()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "次回の担当者会議に出席できますか", "mentions", Map.of("users", List.of(t.nurse().id()))),
                t.roomId()).map();

        Map<String, Object> inbox = inbox(t.nurse());
        assertThat(ids(inbox, "requests")).as("overdue first").containsExactly(overdue, later);
        Object roomName = ((Map<String, Object>) get(as(t.nurse()), "/api/v1/rooms/{r}", t.roomId()).map().get("room")).get("name");
        assertThat(roomName).isNotNull().isNotEqualTo("");
        assertThat(((List<Map<String, Object>>) inbox.get("requests")).get(0)).containsEntry("overdue", true)
                .containsEntry("roomId", t.roomId()).containsEntry("roomName", roomName).containsEntry("kind", "request");
        assertThat(ids(inbox, "acknowledgements")).containsExactly(urgent);
        assertThat(ids(inbox, "mentions")).as("mentions not read, the urgent one included").containsExactly(mention.get("id"), urgent);
        assertThat((Map<String, Object>) inbox.get("counts")).containsEntry("requests", 2).containsEntry("acknowledgements", 1)
                .containsEntry("mentions", 2).containsEntry("total", 5);

        send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/request/actions", Map.of("action", "complete"),
                t.roomId(), overdue);
        send(as(t.nurse()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/stamps/accepted", null, t.roomId(), urgent);
        send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/read", Map.of("upToSeq", mention.get("seq")), t.roomId());
        Map<String, Object> after = inbox(t.nurse());
        assertThat(ids(after, "requests")).containsExactly(later);
        assertThat(ids(after, "acknowledgements")).isEmpty();
        assertThat(ids(after, "mentions")).isEmpty();
        assertThat(((Map<String, Object>) after.get("counts")).get("total")).isEqualTo(1);

        Response part = get(as(t.nurse()), "/api/v1/inbox/requests");
        assertThat(part.status()).as("%s", part).isEqualTo(200);
        assertThat(part.map()).containsEntry("part", "requests").containsEntry("count", 1);
        assertThat(ids(part.map(), "items")).containsExactly(later);
        assertFieldProblem(get(as(t.nurse()), "/api/v1/inbox/tasks"), 400, "part");
    }

    @Test
    void theCareManagerSeesHerOverdueAndDeclinedRequestsAndARemovedMemberSeesNothingOfTheRoom() {
        Team t = team();
        String overdue = request(t.careManager(), t.roomId(), "薬の残数の確認", t.nurse(), Duration.ofHours(2));
        // Two hours later: the due time moved into the past, in the message and in her inbox's entry of it.
        Instant past = Instant.now().minus(Duration.ofMinutes(5));
        mongo.updateFirst(Query.query(Criteria.where("_id").is(overdue)),
                new Update().set("request.dueAt", past), "messages").block(TIMEOUT);
        mongo.updateFirst(Query.query(Criteria.where("_id").is(t.roomId() + ":" + t.careManager().id())),
                new Update().set("made." + overdue + ".dueAt", past), "inboxes").block(TIMEOUT);
        String declined = request(t.careManager(), t.roomId(), "土曜の臨時訪問", t.nurse(), Duration.ofDays(2));
        send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/request/actions",
                Map.of("action", "decline", "note", "土曜は人員がいません"), t.roomId(), declined);
        request(t.careManager(), t.roomId(), "通常の報告", t.nurse(), Duration.ofDays(2));

        Map<String, Object> mine = inbox(t.careManager());
        List<Map<String, Object>> items = (List<Map<String, Object>>) mine.get("myRequests");
        assertThat(items).extracting(i -> ((Map<String, Object>) i.get("message")).get("id")).containsExactlyInAnyOrder(overdue, declined);
        assertThat(items).extracting(i -> i.get("kind")).containsExactlyInAnyOrder("my_request_overdue", "my_request_declined");

        assertThat(delete(as(t.careManager()), "/api/v1/rooms/{r}/members/{u}", t.roomId(), t.nurse().id()).status()).isEqualTo(200);
        assertThat(((Map<String, Object>) inbox(t.nurse()).get("counts")).get("total")).isEqualTo(0);
        assertThat(((Map<String, Object>) inbox(t.otherFacilityStranger()).get("counts")).get("total")).isEqualTo(0);
        assertProblem(get(http, "/api/v1/inbox"), 401);
    }

    private String request(CareUser by, String roomId, String text, CareUser of, Duration due) {
        Response r = send(as(by), HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", text, "request",
                Map.of("kind", "report", "assignees", Map.of("users", List.of(of.id())),
                        "dueAt", Instant.now().plus(due).toString())), roomId);
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        return (String) r.map().get("id");
    }

    private Map<String, Object> inbox(CareUser user) {
        Response r = get(as(user), "/api/v1/inbox");
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return r.map();
    }

    private static List<Object> ids(Map<String, Object> inbox, String section) {
        return ((List<Map<String, Object>>) inbox.get(section)).stream()
                .map(i -> ((Map<String, Object>) i.get("message")).get("id")).toList();
    }
}
