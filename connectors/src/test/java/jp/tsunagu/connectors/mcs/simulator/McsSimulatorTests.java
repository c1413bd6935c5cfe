package jp.tsunagu.connectors.mcs.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import jp.tsunagu.connectors.mcs.simulator.McsSimulator.Mention;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class McsSimulatorTests {

    private static final String CLIENT = "tsunagu-int";
    private static final String SECRET = "s3cret+/=";
    private static final String NURSE = "u-nurse";
    private static final String CM = "u-cm";
    private static final String HOSTILE = "<script>alert('x')</script><p onclick=\"steal()\">転倒あり<br>"
            + "<a href=\"javascript:alert(1)\">詳細</a></p>";

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private McsSimulator sim;
    private String token;

    @BeforeEach
    void start() {
        // The default limit (10/s per account) would trip these quick-fire tests; the rate-limit test sets its own.
        sim = new McsSimulator().start(0).rateLimit(0);
        sim.addStation("st-1", "さくら訪問看護ステーション")
                .addStation("st-2", "みどり居宅介護支援事業所")
                .addUser(NURSE, "佐藤", "花子", "st-1", "看護師")
                .addUser(CM, "鈴木", "一郎", "st-2", "ケアマネジャー", "社会福祉士")
                .addClient(CLIENT, SECRET);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    // ---- tokens ------------------------------------------------------------------------------------------------

    @Test
    void issuesTokensByBasicOrFormCredentialsAndRefusesBadOnes() throws Exception {
        Resp basic = tokenRequest(basicAuth(CLIENT, SECRET), "grant_type=client_credentials");
        assertThat(basic.status()).isEqualTo(200);
        assertThat(basic.json().get("token_type").asString()).isEqualTo("Bearer");
        assertThat(basic.json().get("expires_in").asLong()).isEqualTo(3600);
        assertThat(basic.json().get("access_token").asString()).isNotBlank();

        Resp form = tokenRequest(null, "grant_type=client_credentials&client_id=" + CLIENT + "&client_secret="
                + URLEncoder.encode(SECRET, StandardCharsets.UTF_8));
        assertThat(form.status()).isEqualTo(200);
        assertThat(form.json().get("access_token").asString()).isNotEqualTo(basic.json().get("access_token").asString());

        Resp wrongSecret = tokenRequest(basicAuth(CLIENT, "nope"), "grant_type=client_credentials");
        assertThat(wrongSecret.status()).isEqualTo(401);
        assertThat(wrongSecret.json().get("error").asString()).isEqualTo("invalid_client");

        Resp unknownClient = tokenRequest(basicAuth("who", SECRET), "grant_type=client_credentials");
        assertThat(unknownClient.status()).isEqualTo(401);

        Resp wrongGrant = tokenRequest(basicAuth(CLIENT, SECRET), "grant_type=password");
        assertThat(wrongGrant.status()).isEqualTo(400);
        assertThat(wrongGrant.json().get("error").asString()).isEqualTo("unsupported_grant_type");

        HttpRequest underApi = HttpRequest.newBuilder(URI.create(sim.apiUrl() + "/oauth/token"))
                .header("Authorization", basicAuth(CLIENT, SECRET))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(BodyPublishers.ofString("grant_type=client_credentials")).build();
        assertThat(send(underApi).status()).isEqualTo(200);

        assertThat(sim.tokenRequests()).isEqualTo(6);
        assertThat(sim.totalCalls()).isZero();
    }

    @Test
    void missingUnknownExpiredAndRevokedTokensAre401() throws Exception {
        Resp none = send(HttpRequest.newBuilder(URI.create(sim.apiUrl() + "/projects")).GET().build());
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.json().get("error").asString()).isEqualTo("invalid_request");
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));

        Resp unknown = send(HttpRequest.newBuilder(URI.create(sim.apiUrl() + "/projects"))
                .header("Authorization", "Bearer not-a-token").GET().build());
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(unknown.json().get("error").asString()).isEqualTo("invalid_token");

        sim.tokenTtl(Duration.ZERO);
        Resp issued = tokenRequest(basicAuth(CLIENT, SECRET), "grant_type=client_credentials");
        assertThat(issued.json().get("expires_in").asLong()).isZero();
        token = issued.json().get("access_token").asString();
        Resp expired = get("/projects");
        assertThat(expired.status()).isEqualTo(401);
        assertThat(expired.json().get("error_description").asString()).contains("expired");

        sim.tokenTtl(Duration.ofMillis(300));
        token = tokenRequest(basicAuth(CLIENT, SECRET), "grant_type=client_credentials")
                .json().get("access_token").asString();
        awaitTrue(() -> get("/projects").status() == 401, Duration.ofSeconds(10));

        sim.tokenTtl(Duration.ofHours(1));
        token = null;
        assertThat(get("/projects").status()).isEqualTo(200);

        sim.revokeTokens();
        assertThat(get("/projects").status()).isEqualTo(401);
        token = null;
        assertThat(get("/projects").status()).isEqualTo(200);
    }

    // ---- projects and members ----------------------------------------------------------------------------------

    @Test
    void listsOnlyProjectsTheAccountWasAddedTo() throws Exception {
        String p1 = sim.createProject("patient", "山田 太郎 様", "R-0001");
        String p2 = sim.createProject("group", "さくら地区 多職種連携");
        String p3 = sim.createProject("patient", "田中 花子 様");
        sim.addMember(p1, CLIENT).addMember(p1, NURSE).addMember(p2, CLIENT).addMember(p3, NURSE);

        JsonNode all = get("/projects").json();
        assertThat(ids(all.get("projects"))).containsExactly(p1, p2);
        assertThat(all.get("total").asInt()).isEqualTo(2);
        JsonNode first = all.get("projects").get(0);
        assertThat(first.get("type").asString()).isEqualTo("patient");
        assertThat(first.get("name").asString()).isEqualTo("山田 太郎 様");
        assertThat(first.get("patient_id").asString()).isEqualTo("R-0001");
        assertThat(OffsetDateTime.parse(first.get("created_at").asString()).getOffset().getTotalSeconds())
                .isEqualTo(9 * 3600);

        assertThat(ids(get("/projects?type=patient").json().get("projects"))).containsExactly(p1);
        assertThat(ids(get("/projects?type=group").json().get("projects"))).containsExactly(p2);
        assertThat(ids(get("/projects?type=group&page=1&per_page=1").json().get("projects"))).containsExactly(p2);
        assertThat(ids(get("/projects?page=2&per_page=1").json().get("projects"))).containsExactly(p2);
        assertThat(ids(get("/projects?page=3&per_page=1").json().get("projects"))).isEmpty();
        assertThat(get("/projects?type=bogus").status()).isEqualTo(400);
        assertThat(get("/projects?per_page=0").status()).isEqualTo(400);
        assertThat(get("/projects?per_page=abc").status()).isEqualTo(400);

        JsonNode users = get("/projects/" + p1 + "/members").json().get("users");
        assertThat(ids(users)).containsExactly(CLIENT, NURSE);
        JsonNode nurse = users.get(1);
        assertThat(nurse.get("last_name").asString()).isEqualTo("佐藤");
        assertThat(nurse.get("first_name").asString()).isEqualTo("花子");
        assertThat(nurse.get("station").get("id").asString()).isEqualTo("st-1");
        assertThat(nurse.get("station").get("name").asString()).isEqualTo("さくら訪問看護ステーション");
        assertThat(nurse.get("specialist_categories").get(0).get("name").asString()).isEqualTo("看護師");

        Resp notMember = get("/projects/" + p3 + "/members");
        assertThat(notMember.status()).isEqualTo(403);
        assertThat(notMember.json().get("error").asString()).isNotBlank();
        assertThat(get("/projects/" + p3 + "/messages").status()).isEqualTo(403);
        assertThat(get("/projects/999999/members").status()).isEqualTo(404);
        assertThat(post("/projects/999999/messages", "{\"body\":\"x\"}").status()).isEqualTo(404);

        sim.removeMember(p2, CLIENT);
        assertThat(ids(get("/projects").json().get("projects"))).containsExactly(p1);
        assertThat(get("/projects/" + p2 + "/messages").status()).isEqualTo(403);
        sim.removeProject(p1);
        assertThat(get("/projects/" + p1 + "/members").status()).isEqualTo(404);
        assertThat(ids(get("/projects").json().get("projects"))).isEmpty();
    }

    // ---- messages ----------------------------------------------------------------------------------------------

    @Test
    void postReplyEditDeleteAndStampsRoundTripAndComeAgainFromLatest() throws Exception {
        String p = roomWithEveryone();
        String cursor0 = status(null).get("timestamp").asString();

        String m1 = sim.postAs(NURSE, p, HOSTILE);
        Resp posted = post("/projects/" + p + "/messages", """
                {"body": "<p>承知しました<br>午後に伺います</p>", "attachment_ids": [],
                 "mentions": [{"type": "user", "id": "u-nurse"}, {"type": "station", "id": "st-2"},
                              {"type": "project"}]}""");
        assertThat(posted.status()).isEqualTo(201);
        JsonNode m2 = posted.json();
        assertThat(m2.get("project_id").asString()).isEqualTo(p);
        assertThat(m2.get("user").get("id").asString()).isEqualTo(CLIENT);
        assertThat(m2.get("body").asString()).isEqualTo("<p>承知しました<br>午後に伺います</p>");
        assertThat(m2.has("parent_id")).isFalse();
        assertThat(m2.has("deleted")).isFalse();
        assertThat(m2.get("created_at").asString()).isEqualTo(m2.get("updated_at").asString());
        assertThat(m2.get("mentions").toString()).isEqualTo(
                "[{\"type\":\"user\",\"id\":\"u-nurse\"},{\"type\":\"station\",\"id\":\"st-2\"},"
                        + "{\"type\":\"project\",\"id\":\"" + p + "\"}]");
        String m2id = m2.get("id").asString();

        Resp replied = post("/projects/" + p + "/messages/" + m1 + "/messages", "{\"body\": \"<p>了解です</p>\"}");
        assertThat(replied.status()).isEqualTo(201);
        assertThat(replied.json().get("parent_id").asString()).isEqualTo(m1);
        String r1 = replied.json().get("id").asString();
        String r2 = sim.replyAs(CM, p, r1, "<p>reply to a reply</p>");
        assertThat(sim.message(r2).parentId()).isEqualTo(m1);

        JsonNode page = latest(p, cursor0);
        assertThat(ids(page.get("messages"))).containsExactly(m1, m2id, r1, r2);
        assertThat(page.get("has_more").asBoolean()).isFalse();
        JsonNode hostile = page.get("messages").get(0);
        assertThat(hostile.get("body").asString()).isEqualTo(HOSTILE);
        assertThat(hostile.get("user").get("id").asString()).isEqualTo(NURSE);
        assertThat(hostile.get("user").get("station").get("name").asString()).isEqualTo("さくら訪問看護ステーション");
        assertStrictlyIncreasingUpdatedAt(page.get("messages"));
        String cursor1 = lastUpdatedAt(page);
        assertThat(latest(p, cursor1).get("messages").size()).isZero();

        sim.editAs(NURSE, m1, "<p>転倒あり（訂正）</p>");
        Resp stamped = post("/messages/" + m1 + "/reactions", "{\"type\": \"viewed\"}");
        assertThat(stamped.status()).isEqualTo(200);
        assertThat(stamped.json().get("reactions").toString())
                .isEqualTo("[{\"type\":\"viewed\",\"count\":1,\"self_reacted\":true}]");
        assertThat(post("/messages/" + m1 + "/reactions", "{\"type\": \"viewed\"}").json().get("reactions")
                .get(0).get("count").asInt()).as("one stamp of each type per user").isEqualTo(1);
        sim.reactAs(CM, m1, "viewed", true);
        sim.reactAs(CM, m1, "thanked", true);

        JsonNode again = latest(p, cursor1);
        assertThat(ids(again.get("messages"))).as("changed messages come again, once").containsExactly(m1);
        JsonNode m1Again = again.get("messages").get(0);
        assertThat(m1Again.get("body").asString()).isEqualTo("<p>転倒あり（訂正）</p>");
        assertThat(m1Again.get("reactions").toString()).isEqualTo(
                "[{\"type\":\"viewed\",\"count\":2,\"self_reacted\":true},"
                        + "{\"type\":\"thanked\",\"count\":1,\"self_reacted\":false}]");
        assertThat(instant(m1Again.get("updated_at").asString()))
                .isAfter(instant(m1Again.get("created_at").asString()));
        String cursor2 = lastUpdatedAt(again);

        Resp edited = post("/messages/" + m2id + "/update", "{\"body\": \"<p>15時に伺います</p>\"}");
        assertThat(edited.status()).isEqualTo(200);
        assertThat(edited.json().get("body").asString()).isEqualTo("<p>15時に伺います</p>");
        assertThat(post("/messages/" + m1 + "/update", "{\"body\": \"hijack\"}").status())
                .as("only the author edits").isEqualTo(403);
        assertThat(post("/messages/" + m1 + "/delete", "").status()).as("only the author deletes").isEqualTo(403);
        Resp unstamped = post("/messages/" + m1 + "/reactions/delete", "{\"type\": \"viewed\"}");
        assertThat(unstamped.json().get("reactions").get(0).toString())
                .isEqualTo("{\"type\":\"viewed\",\"count\":1,\"self_reacted\":false}");
        Resp deleted = post("/messages/" + m2id + "/delete", "");
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().get("deleted").asBoolean()).isTrue();
        assertThat(deleted.json().get("body").asString()).isEmpty();
        assertThat(post("/messages/" + m2id + "/delete", "").status()).as("deleting twice is a no-op").isEqualTo(200);
        assertThat(post("/messages/" + m2id + "/update", "{\"body\": \"x\"}").status()).isEqualTo(404);
        assertThat(post("/messages/" + m2id + "/reactions", "{\"type\": \"good\"}").status()).isEqualTo(404);

        JsonNode third = latest(p, cursor2);
        assertThat(ids(third.get("messages"))).as("oldest change first").containsExactly(m1, m2id);
        assertStrictlyIncreasingUpdatedAt(third.get("messages"));
        assertThat(third.get("messages").get(1).get("deleted").asBoolean()).isTrue();

        JsonNode history = get("/projects/" + p + "/messages").json();
        assertThat(ids(history.get("messages"))).as("newest first").containsExactly(r2, r1, m2id, m1);
        assertThat(history.get("total").asInt()).isEqualTo(4);
        assertThat(ids(get("/projects/" + p + "/messages?page=2&per_page=3").json().get("messages")))
                .containsExactly(m1);

        List<Message> state = sim.messages(p);
        assertThat(state).extracting(Message::id).containsExactly(m1, m2id, r1, r2);
        assertThat(state.get(0).reactions()).containsOnlyKeys("viewed", "thanked");
        assertThat(state.get(0).reactions().get("viewed")).containsExactly(CM);
        assertThat(state.get(1).deleted()).isTrue();
        assertThat(sim.calls(McsSimulator.ROUTE_LATEST)).isEqualTo(4);
    }

    @Test
    void badInputIsA400JsonErrorAndChangesNothing() throws Exception {
        String p = roomWithEveryone();
        String m = sim.postAs(NURSE, p, "<p>x</p>");
        String base = "/projects/" + p + "/messages";
        for (String body : List.of("", "not json", "[]", "{}", "{\"body\": 3}", "{\"body\": \"\"}",
                "{\"body\": \"x\", \"attachment_ids\": [\"nope\"]}",
                "{\"body\": \"x\", \"attachment_ids\": \"1\"}",
                "{\"body\": \"x\", \"mentions\": [{\"type\": \"everyone\"}]}",
                "{\"body\": \"x\", \"mentions\": [{\"type\": \"user\", \"id\": \"ghost\"}]}",
                "{\"body\": \"x\", \"mentions\": [{\"type\": \"station\"}]}")) {
            Resp r = post(base, body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.json().get("error").asString()).as(body).isNotBlank();
        }
        assertThat(post("/messages/" + m + "/reactions", "{\"type\": \"like\"}").status()).isEqualTo(400);
        assertThat(post("/messages/" + m + "/reactions", "{}").status()).isEqualTo(400);
        assertThat(post("/messages/999999999/update", "{\"body\": \"x\"}").status()).isEqualTo(404);
        assertThat(post("/messages/999999999/reactions", "{\"type\": \"good\"}").status()).isEqualTo(404);
        assertThat(post(base + "/999999999/messages", "{\"body\": \"x\"}").status()).isEqualTo(404);
        assertThat(get(base + "/latest").status()).as("after is required").isEqualTo(400);
        assertThat(get(base + "/latest?after=yesterday").status()).isEqualTo(400);
        assertThat(get(base + "/latest?after=2024-05-01T10:00:00.000000+09:00").status())
                .as("an unencoded + decodes to a space").isEqualTo(400);
        assertThat(get("/projects/status?after=nope").status()).isEqualTo(400);
        Resp unknown = get("/no/such/route");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").asString()).contains("/no/such/route");
        assertThat(sim.calls(McsSimulator.ROUTE_UNKNOWN)).isEqualTo(1);
        assertThat(sim.messages(p)).hasSize(1);
    }

    @Test
    void projectsStatusSaysWhetherAnythingVisibleChanged() throws Exception {
        String p = roomWithEveryone();
        String q = sim.createProject("patient", "見えない部屋");
        sim.addMember(q, NURSE);

        JsonNode first = status(null);
        assertThat(first.get("updated").asBoolean()).isTrue();
        String t0 = first.get("timestamp").asString();
        JsonNode quiet = status(t0);
        assertThat(quiet.get("updated").asBoolean()).isFalse();
        String t1 = quiet.get("timestamp").asString();
        assertThat(instant(t1)).isAfter(instant(t0));

        sim.postAs(NURSE, q, "<p>not visible to the account</p>");
        assertThat(status(t1).get("updated").asBoolean()).isFalse();

        String m = sim.postAs(NURSE, p, "<p>visible</p>");
        JsonNode changed = status(t1);
        assertThat(changed.get("updated").asBoolean()).isTrue();
        String t2 = changed.get("timestamp").asString();
        assertThat(status(t2).get("updated").asBoolean()).isFalse();

        sim.reactAs(CM, m, "completed", true);
        assertThat(status(t2).get("updated").asBoolean()).as("a stamp is a change").isTrue();
        String t3 = status(null).get("timestamp").asString();
        sim.addMember(q, CLIENT);
        assertThat(status(t3).get("updated").asBoolean()).as("a new room is a change").isTrue();
        String t4 = status(null).get("timestamp").asString();
        sim.removeMember(q, CLIENT);
        assertThat(status(t4).get("updated").asBoolean()).as("a lost room is a change").isTrue();
    }

    // ---- attachments -------------------------------------------------------------------------------------------

    @Test
    void attachmentsUploadAndDownloadTheSameBytes() throws Exception {
        String p = roomWithEveryone();
        byte[] photo = new byte[200_000];
        new Random(7).nextBytes(photo);

        Resp uploaded = upload("file", "bedsore.jpg", "image/jpeg", photo);
        assertThat(uploaded.status()).isEqualTo(201);
        JsonNode a = uploaded.json();
        String id = a.get("id").asString();
        String url = a.get("url").asString();
        assertThat(a.get("size").asLong()).isEqualTo(photo.length);
        assertThat(a.get("name").asString()).isEqualTo("bedsore.jpg");
        assertThat(a.get("content_type").asString()).isEqualTo("image/jpeg");
        assertThat(url).startsWith(sim.apiUrl());
        assertThat(sim.attachmentBytes(id)).isEqualTo(photo);

        Resp download = send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token())
                .GET().build());
        assertThat(download.status()).isEqualTo(200);
        assertThat(download.bytes()).isEqualTo(photo);
        assertThat(download.headers().firstValue("Content-Type")).hasValue("image/jpeg");
        assertThat(send(HttpRequest.newBuilder(URI.create(url)).GET().build()).status()).isEqualTo(401);
        assertThat(get("/attachments/424242/download").status()).isEqualTo(404);

        JsonNode m = post("/projects/" + p + "/messages",
                "{\"body\": \"<p>写真です</p>\", \"attachment_ids\": [\"" + id + "\"]}").json();
        JsonNode att = m.get("attachments").get(0);
        assertThat(att.get("id").asString()).isEqualTo(id);
        assertThat(att.get("url").asString()).isEqualTo(url);
        assertThat(att.get("size").asLong()).isEqualTo(photo.length);
        assertThat(post("/projects/" + p + "/messages", "{\"body\": \"\", \"attachment_ids\": [" + id + "]}")
                .status()).as("numeric ids and an empty body with a file are fine").isEqualTo(201);

        String fromNurse = sim.uploadAs(NURSE, "vitals.pdf", "application/pdf", new byte[] {1, 2, 3});
        String nm = sim.postAs(NURSE, p, "<p>記録</p>", List.of(fromNurse), List.of(Mention.user(CM)));
        JsonNode nurseMessage = get("/projects/" + p + "/messages?per_page=1").json().get("messages").get(0);
        assertThat(nurseMessage.get("id").asString()).isEqualTo(nm);
        Resp nurseFile = send(HttpRequest.newBuilder(URI.create(
                        nurseMessage.get("attachments").get(0).get("url").asString()))
                .header("Authorization", "Bearer " + token()).GET().build());
        assertThat(nurseFile.bytes()).containsExactly(1, 2, 3);

        assertThat(post("/attachments", "{\"file\": \"x\"}").status()).isEqualTo(400);
        assertThat(upload("photo", "x.jpg", "image/jpeg", photo).status()).as("part must be named file")
                .isEqualTo(400);
        assertThat(uploadTextField().status()).as("file must be a file part").isEqualTo(400);
    }

    // ---- rate limit --------------------------------------------------------------------------------------------

    @Test
    void tightRateLimitAnswers429WithRetryAfterPerAccount() throws Exception {
        sim.rateLimit(0.2); // a burst of one, then one call every five seconds
        List<Resp> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            answers.add(get("/projects"));
        }
        assertThat(answers.get(0).status()).isEqualTo(200);
        List<Resp> limited = answers.stream().filter(r -> r.status() == 429).toList();
        assertThat(limited).hasSizeGreaterThanOrEqualTo(2);
        for (Resp r : limited) {
            assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 5L);
            assertThat(r.json().get("error").asString()).contains("rate limit");
        }

        sim.addClient("other", "pw");
        String otherToken = tokenRequest(basicAuth("other", "pw"), "grant_type=client_credentials")
                .json().get("access_token").asString();
        assertThat(send(HttpRequest.newBuilder(URI.create(sim.apiUrl() + "/projects"))
                .header("Authorization", "Bearer " + otherToken).GET().build()).status())
                .as("each account has its own bucket").isEqualTo(200);

        sim.rateLimit(0);
        for (int i = 0; i < 30; i++) {
            assertThat(get("/projects").status()).isEqualTo(200);
        }
    }

    // ---- faults ------------------------------------------------------------------------------------------------

    @Test
    void downAnswers503EverywhereUntilBackUp() throws Exception {
        token();
        sim.down(true);
        Resp api = get("/projects");
        assertThat(api.status()).isEqualTo(503);
        assertThat(api.json().get("error").asString()).isNotBlank();
        assertThat(tokenRequest(basicAuth(CLIENT, SECRET), "grant_type=client_credentials").status()).isEqualTo(503);
        sim.down(false);
        assertThat(get("/projects").status()).isEqualTo(200);
    }

    @Test
    void failNextFailsExactlyTheNextCallsAndNotTokenRequests() throws Exception {
        token();
        sim.failNext(2, 500);
        assertThat(get("/projects").status()).isEqualTo(500);
        assertThat(get("/projects").json().get("error").asString()).contains("500");
        assertThat(get("/projects").status()).isEqualTo(200);

        sim.failNext(1, 429);
        Resp limited = get("/projects");
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");

        sim.failNext(1, 401);
        assertThat(tokenRequest(basicAuth(CLIENT, SECRET), "grant_type=client_credentials").status())
                .isEqualTo(200);
        assertThat(get("/projects").status()).isEqualTo(401);
        assertThat(get("/projects").status()).isEqualTo(200);

        sim.failNext(3, 502).clearFaults();
        assertThat(get("/projects").status()).isEqualTo(200);
    }

    @Test
    void delayNextTakesEffectAtOnceButAnswersLate() throws Exception {
        String p = roomWithEveryone();
        token();
        Duration delay = Duration.ofMillis(1500);
        sim.delayNext(1, delay);
        long begin = System.nanoTime();
        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(
                api("/projects/" + p + "/messages")
                        .POST(BodyPublishers.ofString("{\"body\": \"<p>遅い回線</p>\"}")).build(),
                BodyHandlers.ofString());
        awaitTrue(() -> sim.messages(p).size() == 1, Duration.ofSeconds(10));
        boolean answeredBeforeStored = pending.isDone();
        HttpResponse<String> answer = pending.get(20, TimeUnit.SECONDS);
        long tookMillis = Duration.ofNanos(System.nanoTime() - begin).toMillis();
        assertThat(answer.statusCode()).isEqualTo(201);
        assertThat(tookMillis).isGreaterThanOrEqualTo(delay.toMillis());
        assertThat(answeredBeforeStored).as("stored before the answer came").isFalse();

        long quick = System.nanoTime();
        assertThat(get("/projects").status()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - quick)).as("only the next call is slow")
                .isLessThan(delay);
    }

    @Test
    void resetClosesTheConnectionWithoutAnAnswer() throws Exception {
        String p = roomWithEveryone();
        token();
        String body = "{\"body\": \"<p>x</p>\"}";
        sim.resetNext(1);
        assertThatThrownBy(() -> post("/projects/" + p + "/messages", body)).isInstanceOf(IOException.class);
        assertThat(sim.messages(p)).as("a reset call does nothing").isEmpty();
        assertThat(post("/projects/" + p + "/messages", body).status()).isEqualTo(201);

        sim.resetConnections(true);
        assertThatThrownBy(() -> post("/projects/" + p + "/messages", body)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> tokenRequest(basicAuth(CLIENT, SECRET), "grant_type=client_credentials"))
                .isInstanceOf(IOException.class);
        sim.resetConnections(false);
        assertThat(post("/projects/" + p + "/messages", body).status()).isEqualTo(201);
        assertThat(sim.messages(p)).hasSize(2);
    }

    @Test
    void malformedNextAnswersInvalidJsonButTakesEffect() throws Exception {
        String p = roomWithEveryone();
        sim.malformedNext(2);
        Resp list = get("/projects");
        assertThat(list.status()).isEqualTo(200);
        assertThatThrownBy(list::json).isInstanceOf(JacksonException.class);
        Resp posted = post("/projects/" + p + "/messages", "{\"body\": \"<p>x</p>\"}");
        assertThatThrownBy(posted::json).isInstanceOf(JacksonException.class);
        assertThat(sim.messages(p)).hasSize(1);
        assertThat(get("/projects").json().get("projects").size()).isEqualTo(1);
    }

    @Test
    void injectedRawItemsComeFromLatestAsTheyAre() throws Exception {
        String p = roomWithEveryone();
        String after = status(null).get("timestamp").asString();
        sim.injectRawMessage(p, "{\"id\": 42, \"body\": null, \"user\": \"nobody\"}");
        String ok = sim.postAs(NURSE, p, "<p>fine</p>");
        JsonNode items = latest(p, after).get("messages");
        assertThat(items.get(0).toString()).isEqualTo("{\"id\":42,\"body\":null,\"user\":\"nobody\"}");
        assertThat(items.get(1).get("id").asString()).isEqualTo(ok);
        assertThatThrownBy(() -> sim.injectRawMessage(p, "{oops")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void countsCallsPerRouteAndTokenRequests() throws Exception {
        String p = roomWithEveryone();
        sim.resetCounters();
        token = null;
        get("/projects");
        get("/projects");
        get("/projects/" + p + "/messages/latest?after=" + enc("2024-01-01T00:00:00+09:00"));
        post("/projects/" + p + "/messages", "{\"body\": \"<p>x</p>\"}");
        sim.down(true);
        get("/projects/" + p + "/members");
        assertThat(sim.tokenRequests()).isEqualTo(1);
        assertThat(sim.calls(McsSimulator.ROUTE_PROJECTS)).isEqualTo(2);
        assertThat(sim.calls(McsSimulator.ROUTE_LATEST)).isEqualTo(1);
        assertThat(sim.calls(McsSimulator.ROUTE_POST)).isEqualTo(1);
        assertThat(sim.calls(McsSimulator.ROUTE_MEMBERS)).as("failed calls count too").isEqualTo(1);
        assertThat(sim.calls(McsSimulator.ROUTE_HISTORY)).isZero();
        assertThat(sim.totalCalls()).isEqualTo(5);
        assertThat(sim.callCounts()).containsEntry(McsSimulator.ROUTE_PROJECTS, 2L);
    }

    // ---- concurrency -------------------------------------------------------------------------------------------

    @Test
    void concurrentPostsKeepUniqueIdsAndStrictlyIncreasingUpdatedAt() throws Exception {
        sim.rateLimit(0);
        String p1 = roomWithEveryone();
        String p2 = roomWithEveryone();
        token();
        int apiThreads = 6;
        int perThread = 25;
        ExecutorService pool = Executors.newFixedThreadPool(apiThreads + 2);
        CountDownLatch go = new CountDownLatch(1);
        ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
        List<Future<?>> jobs = new ArrayList<>();
        try {
            for (int t = 0; t < apiThreads; t++) {
                int thread = t;
                jobs.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        String room = (i + thread) % 2 == 0 ? p1 : p2;
                        Resp r = post("/projects/" + room + "/messages", "{\"body\": \"<p>" + thread + "-" + i
                                + "</p>\"}");
                        assertThat(r.status()).isEqualTo(201);
                        ids.add(r.json().get("id").asString());
                    }
                    return null;
                }));
            }
            for (String who : List.of(NURSE, CM)) {
                jobs.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        String room = i % 2 == 0 ? p1 : p2;
                        String id = sim.postAs(who, room, "<p>" + who + i + "</p>");
                        sim.reactAs(who, id, "viewed", true);
                        ids.add(id);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> job : jobs) {
                job.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        int expected = (apiThreads + 2) * perThread;
        assertThat(ids).hasSize(expected);
        assertThat(new HashSet<>(ids)).hasSize(expected);
        int seen = 0;
        for (String room : List.of(p1, p2)) {
            List<Message> state = sim.messages(room);
            for (int i = 1; i < state.size(); i++) {
                assertThat(state.get(i).createdAt()).isAfter(state.get(i - 1).createdAt());
            }
            assertThat(state.stream().map(Message::updatedAt).distinct().count()).isEqualTo(state.size());

            // What a poller sees: every message once, updated_at strictly increasing across pages.
            List<JsonNode> polled = new ArrayList<>();
            String cursor = "2000-01-01T00:00:00.000000+09:00";
            while (true) {
                JsonNode page = get("/projects/" + room + "/messages/latest?per_page=37&after=" + enc(cursor)).json();
                page.get("messages").values().forEach(polled::add);
                if (page.get("messages").isEmpty()) {
                    break;
                }
                cursor = lastUpdatedAt(page);
            }
            assertThat(polled).hasSize(state.size());
            assertStrictlyIncreasingUpdatedAt(polled);
            Set<String> polledIds = new HashSet<>();
            polled.forEach(m -> polledIds.add(m.get("id").asString()));
            assertThat(polledIds).hasSize(state.size());
            seen += state.size();
        }
        assertThat(seen).isEqualTo(expected);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private record Resp(int status, HttpHeaders headers, byte[] bytes) {

        private static final JsonMapper MAPPER = JsonMapper.builder().build();

        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            return MAPPER.readTree(text());
        }
    }

    /** A patient project with the account, the nurse and the care manager as members. */
    private String roomWithEveryone() {
        String p = sim.createProject("patient", "山田 太郎 様", "R-0001");
        sim.addMember(p, CLIENT).addMember(p, NURSE).addMember(p, CM);
        return p;
    }

    private Resp send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(request, BodyHandlers.ofByteArray());
        return new Resp(r.statusCode(), r.headers(), r.body());
    }

    private Resp tokenRequest(String authorization, String form) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.tokenUrl()))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(BodyPublishers.ofString(form));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return send(b.build());
    }

    private static String basicAuth(String id, String secret) {
        String pair = URLEncoder.encode(id, StandardCharsets.UTF_8) + ":" + URLEncoder.encode(secret, StandardCharsets.UTF_8);
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private String token() throws IOException, InterruptedException {
        if (token == null) {
            Resp r = tokenRequest(basicAuth(CLIENT, SECRET), "grant_type=client_credentials");
            assertThat(r.status()).isEqualTo(200);
            token = r.json().get("access_token").asString();
        }
        return token;
    }

    private HttpRequest.Builder api(String path) throws IOException, InterruptedException {
        return HttpRequest.newBuilder(URI.create(sim.apiUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token());
    }

    private Resp get(String path) throws IOException, InterruptedException {
        return send(api(path).GET().build());
    }

    private Resp post(String path, String json) throws IOException, InterruptedException {
        return send(api(path).header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(json)).build());
    }

    private Resp upload(String partName, String fileName, String contentType, byte[] data)
            throws IOException, InterruptedException {
        String boundary = "----tsunagu" + System.nanoTime();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + partName
                + "\"; filename=\"" + fileName + "\"\r\nContent-Type: " + contentType + "\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        out.writeBytes(data);
        out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(api("/attachments").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(BodyPublishers.ofByteArray(out.toByteArray())).build());
    }

    private Resp uploadTextField() throws IOException, InterruptedException {
        String boundary = "----tsunagu-text";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhello\r\n--"
                + boundary + "--\r\n";
        return send(api("/attachments").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(BodyPublishers.ofString(body)).build());
    }

    private JsonNode status(String after) throws IOException, InterruptedException {
        Resp r = get("/projects/status" + (after == null ? "" : "?after=" + enc(after)));
        assertThat(r.status()).isEqualTo(200);
        return r.json();
    }

    private JsonNode latest(String project, String after) throws IOException, InterruptedException {
        Resp r = get("/projects/" + project + "/messages/latest?after=" + enc(after));
        assertThat(r.status()).isEqualTo(200);
        return r.json();
    }

    private static String lastUpdatedAt(JsonNode page) {
        JsonNode items = page.get("messages");
        return items.get(items.size() - 1).get("updated_at").asString();
    }

    private static Instant instant(String isoWithOffset) {
        return OffsetDateTime.parse(isoWithOffset).toInstant();
    }

    private static void assertStrictlyIncreasingUpdatedAt(JsonNode messages) {
        assertStrictlyIncreasingUpdatedAt(messages.values());
    }

    private static void assertStrictlyIncreasingUpdatedAt(Collection<JsonNode> messages) {
        Instant previous = Instant.MIN;
        for (JsonNode m : messages) {
            Instant t = instant(m.get("updated_at").asString());
            assertThat(t).isAfter(previous);
            previous = t;
        }
    }

    private static List<String> ids(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.values().forEach(n -> out.add(n.get("id").asString()));
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    /** Bounded wait: polls until the condition holds or fails the test after {@code max}. */
    private static void awaitTrue(Check check, Duration max) throws Exception {
        long end = System.nanoTime() + max.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > end) {
                fail("condition not met within " + max);
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }
}
