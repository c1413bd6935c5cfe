package jp.tsunagu.ops.api;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.ops.api.ApiTestClient.Response;
import jp.tsunagu.ops.api.ApiTestClient.Snapshot;
import jp.tsunagu.ops.support.IntegrationTestSupport;
import reactor.core.Disposable;

import static jp.tsunagu.ops.api.ApiTestClient.JSON;
import static jp.tsunagu.ops.api.ApiTestClient.TIMEOUT;
import static jp.tsunagu.ops.api.ApiTestClient.assertFieldProblem;
import static jp.tsunagu.ops.api.ApiTestClient.assertProblem;
import static jp.tsunagu.ops.api.ApiTestClient.delete;
import static jp.tsunagu.ops.api.ApiTestClient.get;
import static jp.tsunagu.ops.api.ApiTestClient.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests (依頼) as a care team uses them: a care manager asks the nurse for a visit report due tomorrow, the
 * nurse accepts (承知) and completes (完了) it, and everyone sees each move as a room change; lists across rooms;
 * every refusal is a problem naming the field with nothing stored.
 */
@SuppressWarnings("unchecked")
class RequestsIntegrationTests extends IntegrationTestSupport {

    private static final ZoneId JAPAN = ZoneId.of("Asia/Tokyo");

    @Autowired
    private ReactiveMongoTemplate mongo;

    @Test
    void aNurseAcceptsAndCompletesTheCareManagersRequestAndTheRoomSeesEveryMoveLive() throws Exception {
        Team t = team();
        BlockingQueue<Map<String, Object>> familySees = new LinkedBlockingQueue<>();
        Disposable stream = follow(t.family(), t.roomId(), null, familySees);
        try {
            awaitType(familySees, "subscribed");
            Instant due = Instant.now().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
            Response posted = postRequest(t.careManager(), t.roomId(), "明日の訪問の報告をお願いします",
                    Map.of("kind", "report", "assignees", Map.of("users", List.of(t.nurse().id())), "dueAt", due.toString()));
            assertThat(posted.status()).as("%s", posted).isEqualTo(201);
            String id = (String) posted.map().get("id");
            Map<String, Object> request = (Map<String, Object>) posted.map().get("request");
            assertThat(request).containsEntry("state", "open").containsEntry("requesterId", t.careManager().id())
                    .containsEntry("assigneeIds", List.of(t.nurse().id()));
            assertThat(request.get("kind")).isEqualTo(Map.of("code", "report", "label", "報告依頼"));
            assertThat(java.time.OffsetDateTime.parse((String) request.get("dueAt")).toInstant()).isEqualTo(due);
            assertThat((String) request.get("dueAt")).as("shown in Japan time").endsWith("+09:00");
            assertThat(awaitType(familySees, "message.created").get("message")).extracting(m -> ((Map<?, ?>) m).get("id")).isEqualTo(id);

            Response accepted = act(t.nurse(), t.roomId(), id, "accept", null);
            assertThat(accepted.status()).as("%s", accepted).isEqualTo(200);
            assertThat(path(accepted.map(), "request", "state")).isEqualTo("accepted");
            assertThat(stampUsers(accepted.map(), "accepted")).as("accepting is her 承知").containsExactly(t.nurse().id());
            Map<String, Object> live = awaitType(familySees, "request.changed");
            assertThat(path(live, "message", "request", "state")).isEqualTo("accepted");

            Response done = act(t.nurse(), t.roomId(), id, "complete", "訪問済み。バイタル安定、報告書を添付しました");
            assertThat(path(done.map(), "request", "state")).isEqualTo("done");
            assertThat(stampUsers(done.map(), "completed")).containsExactly(t.nurse().id());
            List<Map<String, Object>> history = (List<Map<String, Object>>) path(done.map(), "request", "history");
            assertThat(history).extracting(h -> h.get("state")).containsExactly("open", "accepted", "done");
            assertThat(history).extracting(h -> h.get("by"))
                    .containsExactly(t.careManager().id(), t.nurse().id(), t.nurse().id());
            assertThat(history.get(2).get("note")).isEqualTo("訪問済み。バイタル安定、報告書を添付しました");
            assertThat(path(awaitType(familySees, "request.changed"), "message", "request", "state")).isEqualTo("done");

            Response again = act(t.nurse(), t.roomId(), id, "complete", null);
            assertThat(again.status()).as("completing a done request changes nothing").isEqualTo(200);
            assertThat(((Number) again.map().get("changeSeq")).longValue())
                    .isEqualTo(((Number) done.map().get("changeSeq")).longValue());
        } finally {
            stream.dispose();
        }
    }

    @Test
    void theStampsOfAnAssigneeMoveTheRequestAndOthersStampsStayStamps() {
        Team t = team();
        String id = (String) postRequest(t.careManager(), t.roomId(), "処方変更の検討をお願いします",
                Map.of("kind", "prescription_change", "assignees", Map.of("professions", List.of("doctor")),
                        "dueAt", tomorrow())).map().get("id");

        Response byNurse = stamp(t.nurse(), t.roomId(), id, "accepted");
        assertThat(path(byNurse.map(), "request", "state")).as("not an assignee: a stamp only").isEqualTo("open");
        assertThat(stampUsers(byNurse.map(), "accepted")).containsExactly(t.nurse().id());

        Response byDoctor = stamp(t.doctor(), t.roomId(), id, "accepted");
        assertThat(path(byDoctor.map(), "request", "state")).isEqualTo("accepted");
        assertThat(path(byDoctor.map(), "request", "assigneeIds")).isEqualTo(List.of(t.doctor().id()));
        Response completed = stamp(t.doctor(), t.roomId(), id, "completed");
        assertThat(path(completed.map(), "request", "state")).isEqualTo("done");
        List<Map<String, Object>> history = (List<Map<String, Object>>) path(completed.map(), "request", "history");
        assertThat(history).extracting(h -> h.get("by")).containsExactly(t.careManager().id(), t.doctor().id(), t.doctor().id());

        Response takenBack = delete(as(t.doctor()), "/api/v1/rooms/{r}/messages/{m}/stamps/completed", t.roomId(), id);
        assertThat(stampUsers(takenBack.map(), "completed")).isEmpty();
        assertThat(path(takenBack.map(), "request", "state")).as("taking a stamp back does not undo the record")
                .isEqualTo("done");
    }

    @Test
    void aRequestIsAddedToOnesOwnMessageAndMovesAreCheckedAgainstItsState() {
        Team t = team();
        String id = (String) post(t.careManager(), t.roomId(), "来週の訪問日程を調整したいです").get("id");
        Instant localDue = LocalDateTime.now(JAPAN).plusDays(2).withNano(0).atZone(JAPAN).toInstant();
        Response added = send(as(t.careManager()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/request",
                Map.of("kind", "訪問調整", "assignees", Map.of("facilities", List.of(t.facility() + "-vns")),
                        "dueAt", LocalDateTime.ofInstant(localDue, JAPAN).toString()), t.roomId(), id);
        assertThat(added.status()).as("%s", added).isEqualTo(200);
        assertThat(path(added.map(), "request", "kind", "code")).isEqualTo("visit_arrangement");
        assertThat(java.time.OffsetDateTime.parse((String) path(added.map(), "request", "dueAt")).toInstant())
                .as("a due time without an offset is Japan time").isEqualTo(localDue);
        assertThat(path(added.map(), "request", "assigneeIds")).isEqualTo(List.of(t.nurse().id()));

        assertProblem(send(as(t.careManager()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/request",
                Map.of("assignees", Map.of("users", List.of(t.doctor().id())), "dueAt", tomorrow()), t.roomId(), id), 409);
        String doctors = (String) post(t.doctor(), t.roomId(), "往診しました").get("id");
        assertProblem(send(as(t.careManager()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/request",
                Map.of("assignees", Map.of("users", List.of(t.nurse().id())), "dueAt", tomorrow()), t.roomId(), doctors), 403);

        Response declined = act(t.nurse(), t.roomId(), id, "decline", "今週は枠がありません。別の事業所に相談してください");
        assertThat(path(declined.map(), "request", "state")).isEqualTo("declined");
        assertFieldProblem(act(t.nurse(), t.roomId(), id, "accept", null), 409, "action");
        assertFieldProblem(act(t.careManager(), t.roomId(), id, "cancel", null), 409, "action");
        assertProblem(act(t.careManager(), t.roomId(), id, "accept", null), 403);
    }

    @Test
    void badInputIsAProblemNamingTheFieldAndStoresNothing() {
        Team t = team();
        String open = (String) postRequest(t.careManager(), t.roomId(), "報告をお願いします",
                Map.of("assignees", Map.of("users", List.of(t.nurse().id())), "dueAt", tomorrow())).map().get("id");
        Snapshot before = Snapshot.of(as(t.careManager()), t.roomId(), mongo);

        Map<String, Object> nurse = Map.of("users", List.of(t.nurse().id()));
        List<Map.Entry<String, Map<String, Object>>> bad = List.of(
                Map.entry("request.dueAt", Map.of("assignees", nurse, "dueAt", Instant.now().minus(Duration.ofHours(1)).toString())),
                Map.entry("request.dueAt", Map.of("assignees", nurse, "dueAt", "明日")),
                Map.entry("request.dueAt", Map.of("assignees", nurse)),
                Map.entry("request.kind", Map.of("kind", "chat", "assignees", nurse, "dueAt", tomorrow())),
                Map.entry("request.assignees", Map.of("assignees", Map.of(), "dueAt", tomorrow())),
                Map.entry("request.assignees.professions[0]", Map.of("assignees", Map.of("professions", List.of("wizard")),
                        "dueAt", tomorrow())));
        for (Map.Entry<String, Map<String, Object>> e : bad) {
            assertFieldProblem(postRequest(t.careManager(), t.roomId(), "依頼", e.getValue()), 400, e.getKey());
        }
        assertFieldProblem(postRequest(t.careManager(), t.roomId(), "依頼", Map.of("assignees",
                Map.of("users", List.of(t.otherFacilityStranger().id())), "dueAt", tomorrow())), 422, "request.assignees.users[0]");
        assertFieldProblem(postRequest(t.careManager(), t.roomId(), "依頼", Map.of("assignees",
                Map.of("professions", List.of("pharmacist")), "dueAt", tomorrow())), 422, "request.assignees.professions[0]");
        assertFieldProblem(act(t.nurse(), t.roomId(), open, "finish", null), 400, "action");
        assertFieldProblem(act(t.nurse(), t.roomId(), open, "decline", null), 400, "note");
        assertFieldProblem(act(t.nurse(), t.roomId(), open, "complete", "長".repeat(1_001)), 400, "note");
        assertFieldProblem(get(as(t.nurse()), "/api/v1/requests?state=someday"), 400, "state");
        assertFieldProblem(get(as(t.nurse()), "/api/v1/requests?role=boss"), 400, "role");
        assertFieldProblem(get(as(t.nurse()), "/api/v1/requests?dueBefore=soon"), 400, "dueBefore");
        assertFieldProblem(get(as(t.nurse()), "/api/v1/requests?cursor=%%%"), 400, "cursor");

        assertThat(Snapshot.of(as(t.careManager()), t.roomId(), mongo)).isEqualTo(before);
    }

    @Test
    void listsAcrossMyRoomsAreSoonestDueFirstFilteredPagedAndOnlyWhileIAmAMember() {
        Team t = team();
        Team other = team();
        // The nurse of the first team also works in the second room.
        assertThat(send(as(other.careManager()), HttpMethod.POST, "/api/v1/rooms/{r}/members",
                Map.of("userId", t.nurse().id()), other.roomId()).status()).isEqualTo(200);
        Instant now = Instant.now();
        List<String> ids = new ArrayList<>();
        for (int day = 5; day >= 1; day--) {
            Team in = day % 2 == 0 ? other : t;
            ids.add(0, (String) postRequest(in.careManager(), in.roomId(), "報告 " + day + "日後",
                    Map.of("assignees", Map.of("users", List.of(t.nurse().id())),
                            "dueAt", now.plus(Duration.ofDays(day)).toString())).map().get("id"));
        }
        Response firstPage = get(as(t.nurse()), "/api/v1/requests?limit=3");
        assertThat(items(firstPage)).extracting(i -> path(i, "message", "id")).containsExactlyElementsOf(ids.subList(0, 3));
        assertThat(items(firstPage)).extracting(i -> i.get("roomName")).doesNotContainNull();
        Response secondPage = get(as(t.nurse()), "/api/v1/requests?limit=3&cursor=" + firstPage.map().get("nextCursor"));
        assertThat(items(secondPage)).extracting(i -> path(i, "message", "id")).containsExactlyElementsOf(ids.subList(3, 5));
        assertThat(secondPage.map().get("nextCursor")).isNull();

        String dueBefore = LocalDateTime.ofInstant(now.plus(Duration.ofDays(2)).plusSeconds(60), JAPAN).toString();
        assertThat(items(get(as(t.nurse()), "/api/v1/requests?dueBefore=" + dueBefore)))
                .extracting(i -> path(i, "message", "id")).containsExactlyElementsOf(ids.subList(0, 2));

        act(t.nurse(), t.roomId(), ids.get(0), "complete", null);
        assertThat(items(get(as(t.nurse()), "/api/v1/requests"))).extracting(i -> path(i, "message", "id"))
                .as("done requests leave the active list").containsExactlyElementsOf(ids.subList(1, 5));
        assertThat(items(get(as(t.nurse()), "/api/v1/requests?state=done"))).extracting(i -> path(i, "message", "id"))
                .containsExactly(ids.get(0));
        assertThat(items(get(as(t.careManager()), "/api/v1/requests?role=requester&state=open,done")))
                .extracting(i -> path(i, "message", "id")).containsExactly(ids.get(0), ids.get(2), ids.get(4));
        assertThat(items(get(as(t.careManager()), "/api/v1/requests"))).as("she is asked nothing").isEmpty();

        // Removed from the second room, the nurse no longer sees its requests.
        assertThat(delete(as(other.careManager()), "/api/v1/rooms/{r}/members/{u}", other.roomId(), t.nurse().id()).status())
                .isEqualTo(200);
        assertThat(items(get(as(t.nurse()), "/api/v1/requests"))).extracting(i -> path(i, "message", "id"))
                .containsExactly(ids.get(2), ids.get(4));
        assertThat(items(get(as(t.otherFacilityStranger()), "/api/v1/requests"))).isEmpty();
    }

    @Test
    void anOverdueRequestIsListedAsOverdueUntilItIsDone() {
        Team t = team();
        String id = (String) postRequest(t.careManager(), t.roomId(), "至急の報告",
                Map.of("assignees", Map.of("users", List.of(t.nurse().id())), "dueAt",
                        Instant.now().plus(Duration.ofHours(1)).toString())).map().get("id");
        String later = (String) postRequest(t.careManager(), t.roomId(), "来週の報告",
                Map.of("assignees", Map.of("users", List.of(t.nurse().id())), "dueAt", tomorrow())).map().get("id");
        // Two hours pass for the first request: its due time is moved back rather than waited for.
        mongo.updateFirst(Query.query(Criteria.where("_id").is(id)),
                new Update().set("request.dueAt", Instant.now().minus(Duration.ofHours(1))), "messages").block(TIMEOUT);
        List<Map<String, Object>> overdue = items(get(as(t.nurse()), "/api/v1/requests?state=overdue"));
        assertThat(overdue).extracting(i -> path(i, "message", "id")).containsExactly(id);
        assertThat(overdue.get(0).get("overdue")).isEqualTo(true);
        assertThat(items(get(as(t.careManager()), "/api/v1/requests?role=requester"))).extracting(i -> i.get("overdue"))
                .containsExactly(true, false);
        act(t.nurse(), t.roomId(), id, "complete", null);
        assertThat(items(get(as(t.nurse()), "/api/v1/requests?state=overdue"))).isEmpty();
        assertThat(items(get(as(t.nurse()), "/api/v1/requests"))).extracting(i -> path(i, "message", "id")).containsExactly(later);
    }

    @Test
    void aResumedStreamReplaysTheMovesItMissed() throws Exception {
        Team t = team();
        Response posted = postRequest(t.careManager(), t.roomId(), "訪問調整をお願いします",
                Map.of("assignees", Map.of("users", List.of(t.nurse().id())), "dueAt", tomorrow()));
        long seenSeq = ((Number) posted.map().get("seq")).longValue();
        String id = (String) posted.map().get("id");
        act(t.nurse(), t.roomId(), id, "accept", null);

        BlockingQueue<Map<String, Object>> resumed = new LinkedBlockingQueue<>();
        Disposable stream = follow(t.doctor(), t.roomId(), seenSeq, resumed);
        try {
            Map<String, Object> replayed = awaitType(resumed, "request.changed");
            assertThat(path(replayed, "message", "id")).isEqualTo(id);
            assertThat(path(replayed, "message", "request", "state")).isEqualTo("accepted");
            awaitType(resumed, "subscribed");
        } finally {
            stream.dispose();
        }
    }

    // ------------------------------------------------------------------------------------------------------

    private Response postRequest(CareUser by, String roomId, String text, Map<String, Object> request) {
        return send(as(by), HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", text, "request", request), roomId);
    }

    private Response act(CareUser by, String roomId, String messageId, String action, String note) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("action", action));
        if (note != null) {
            body.put("note", note);
        }
        return send(as(by), HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/request/actions", body, roomId, messageId);
    }

    private Response stamp(CareUser by, String roomId, String messageId, String stamp) {
        Response r = send(as(by), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/stamps/{s}", null, roomId, messageId, stamp);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return r;
    }

    /** Follows the room's SSE stream from {@code after} (null: live only) into {@code into}. */
    private Disposable follow(CareUser user, String roomId, Long after, BlockingQueue<Map<String, Object>> into) {
        return WebClient.create("http://localhost:" + port).get()
                .uri(b -> {
                    b.path("/api/v1/rooms/{roomId}/events");
                    if (after != null) {
                        b.queryParam("after", after);
                    }
                    return b.build(roomId);
                })
                .header("Authorization", "Bearer " + token(user))
                .accept(MediaType.TEXT_EVENT_STREAM)
                .retrieve()
                .bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() { })
                .filter(e -> e.data() != null)
                .subscribe(e -> into.add((Map<String, Object>) JSON.readValue(e.data(), Map.class)));
    }

    /** The next event of that type (others before it are skipped). */
    private static Map<String, Object> awaitType(BlockingQueue<Map<String, Object>> events, String type)
            throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Map<String, Object> e = events.poll(100, TimeUnit.MILLISECONDS);
            if (e != null && type.equals(e.get("type"))) {
                return e;
            }
        }
        throw new AssertionError("no " + type + " event within " + TIMEOUT);
    }

    private static List<Map<String, Object>> items(Response r) {
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return (List<Map<String, Object>>) r.map().get("items");
    }

    private static String tomorrow() {
        return Instant.now().plus(Duration.ofDays(1)).toString();
    }

    private static Object path(Map<String, Object> json, String... keys) {
        return AuthorizationMatrixIntegrationTests.path(json, keys);
    }

    private static List<Object> stampUsers(Map<String, Object> message, String stamp) {
        return AuthorizationMatrixIntegrationTests.stampUsers(message, stamp);
    }
}
