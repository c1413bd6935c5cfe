package jp.tsunagu.ops.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import jp.tsunagu.ops.api.ApiTestClient.Response;
import jp.tsunagu.ops.api.ApiTestClient.Snapshot;
import jp.tsunagu.ops.support.IntegrationTestSupport;

import static jp.tsunagu.ops.api.ApiTestClient.assertFieldProblem;
import static jp.tsunagu.ops.api.ApiTestClient.assertProblem;
import static jp.tsunagu.ops.api.ApiTestClient.events;
import static jp.tsunagu.ops.api.ApiTestClient.get;
import static jp.tsunagu.ops.api.ApiTestClient.send;
import static jp.tsunagu.ops.api.ApiTestClient.upload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Bad input never gets a 500: each answers a 4xx RFC 9457 problem naming the offending field in
 * {@code errors[].field}, and stores nothing (the room, its members and messages, reads, attachments and
 * stored files are exactly as before).
 */
class BadInputIntegrationTests extends IntegrationTestSupport {

    /** A well-formed id that names nothing. */
    private static final String UNKNOWN_ID = "0123456789abcdef01234567";

    @Autowired
    private ReactiveMongoTemplate mongo;

    // ------------------------------------------------------------------------------------------------------
    // Message bodies

    static Stream<Arguments> badMessageBodies() {
        String tooLong = "あ".repeat(10_001);
        String manyIds = String.join(",", IntStream.range(0, 11).mapToObj(i -> "\"" + hexId(i) + "\"").toList());
        String manyUsers = String.join(",", IntStream.range(0, 51).mapToObj(i -> "\"u" + i + "\"").toList());
        return Stream.of(
                //         case                             body                                                  status field
                arguments("invalid JSON",                   "{\"text\": \"途中で切れた",                            400, "body"),
                arguments("not an object",                  "[\"text\"]",                                         400, "body"),
                arguments("text is an object",              "{\"text\": {\"ja\": \"こんにちは\"}}",                  400, "text"),
                arguments("text is an array",               "{\"text\": [\"a\"]}",                                400, "text"),
                arguments("text is a number",               "{\"text\": 123}",                                    400, "text"),
                arguments("text is a boolean",              "{\"text\": true}",                                   400, "text"),
                arguments("mentions is a string",           "{\"text\": \"a\", \"mentions\": \"x\"}",             400, "mentions"),
                arguments("mentions.users is a string",     "{\"text\": \"a\", \"mentions\": {\"users\": \"x\"}}", 400, "mentions.users"),
                arguments("mentions.room is a string",      "{\"text\": \"a\", \"mentions\": {\"room\": \"yes\"}}", 400, "mentions.room"),
                arguments("attachmentIds is a string",      "{\"text\": \"a\", \"attachmentIds\": \"x\"}",        400, "attachmentIds"),
                arguments("text too long",                  "{\"text\": \"" + tooLong + "\"}",                    400, "text"),
                arguments("html too long",                  "{\"html\": \"<p>" + "x".repeat(30_001) + "</p>\"}",  400, "html"),
                arguments("no text, no attachments",        "{}",                                                 400, "text"),
                arguments("empty text",                     "{\"text\": \"\"}",                                   400, "text"),
                arguments("blank text",                     "{\"text\": \" \\n\\t\u3000\"}",                      400, "text"),
                arguments("html that sanitises to nothing", "{\"html\": \"<script>alert(1)</script>\"}",          400, "text"),
                arguments("unknown priority",               "{\"text\": \"a\", \"priority\": \"high\"}",          400, "priority"),
                arguments("malformed parentId",             "{\"text\": \"a\", \"parentId\": \"abc\"}",           400, "parentId"),
                arguments("unknown parentId",               "{\"text\": \"a\", \"parentId\": \"" + UNKNOWN_ID + "\"}", 422, "parentId"),
                arguments("malformed attachment id",        "{\"text\": \"a\", \"attachmentIds\": [\"abc\"]}",    400, "attachmentIds[0]"),
                arguments("unknown attachment id",          "{\"text\": \"a\", \"attachmentIds\": [\"" + UNKNOWN_ID + "\"]}", 422, "attachmentIds[0]"),
                arguments("too many attachments",           "{\"text\": \"a\", \"attachmentIds\": [" + manyIds + "]}", 400, "attachmentIds"),
                arguments("malformed mentioned user",       "{\"text\": \"a\", \"mentions\": {\"users\": [\"a b\"]}}", 400, "mentions.users[0]"),
                arguments("unknown mentioned user",         "{\"text\": \"a\", \"mentions\": {\"users\": [\"nobody-here\"]}}", 422, "mentions.users[0]"),
                arguments("too many mentioned users",       "{\"text\": \"a\", \"mentions\": {\"users\": [" + manyUsers + "]}}", 400, "mentions.users"),
                arguments("unknown mentioned facility",     "{\"text\": \"a\", \"mentions\": {\"facilities\": [\"no-such-facility\"]}}", 422, "mentions.facilities[0]"));
    }

    @ParameterizedTest(name = "post with {0} → {2} {3}")
    @MethodSource("badMessageBodies")
    void aBadMessageBodyIsRefusedAndNothingIsStored(String label, String body, int status, String field) {
        Team t = team();
        Snapshot before = snapshot(t);
        Response response = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages", body, t.roomId());
        assertFieldProblem(response, status, field);
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @ParameterizedTest(name = "edit with {0} → {2} {3}")
    @MethodSource("badEditBodies")
    void aBadEditIsRefusedAndTheMessageIsUnchanged(String label, String body, int status, String field) {
        Team t = team();
        String id = (String) post(t.nurse(), t.roomId(), "体温 36.8℃").get("id");
        Snapshot before = snapshot(t);
        Response response = send(as(t.nurse()), HttpMethod.PATCH, "/api/v1/rooms/{r}/messages/{m}", body, t.roomId(), id);
        assertFieldProblem(response, status, field);
        assertThat(snapshot(t)).isEqualTo(before);
    }

    static Stream<Arguments> badEditBodies() {
        return Stream.of(
                arguments("invalid JSON",  "{\"text\": ",                                   400, "body"),
                arguments("text a number", "{\"text\": 42}",                                400, "text"),
                arguments("empty text",    "{\"text\": \"\"}",                              400, "text"),
                arguments("text too long", "{\"text\": \"" + "x".repeat(10_001) + "\"}",    400, "text"));
    }

    @Test
    void aJsonBodyOver256KbIsRefusedWith413AndNothingIsStored() {
        Team t = team();
        Snapshot before = snapshot(t);
        String body = "{\"text\": \"a\", \"html\": \"" + "x".repeat(300 * 1024) + "\"}";
        Response response = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages", body, t.roomId());
        assertFieldProblem(response, 413, "body");
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void aDeeplyNestedBodyIsRefusedWith400() {
        Team t = team();
        Snapshot before = snapshot(t);
        String body = "{\"text\": \"a\", \"attachmentIds\": " + "[".repeat(5_000) + "]".repeat(5_000) + "}";
        assertProblem(send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages", body, t.roomId()), 400);
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void textWithALoneSurrogateNeverFailsTheServer() {
        Team t = team();
        Response response = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages", "{\"text\": \"a\\ud800b\"}", t.roomId());
        assertThat(response.status()).as("%s", response).isIn(201, 400);
    }

    @Test
    void textOfExactly10000CharactersIsAccepted() {
        Team t = team();
        Response response = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", "あ".repeat(10_000)), t.roomId());
        assertThat(response.status()).as("%s", response).isEqualTo(201);
    }

    @Test
    void aBodyThatIsNotJsonIsRefusedWith415() {
        Team t = team();
        Snapshot before = snapshot(t);
        Response response = ApiTestClient.exchange(as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .contentType(MediaType.TEXT_PLAIN).bodyValue("こんにちは"));
        assertProblem(response, 415);
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void aMissingBodyIsRefusedWith400() {
        Team t = team();
        Snapshot before = snapshot(t);
        Response response = ApiTestClient.exchange(as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .contentType(MediaType.APPLICATION_JSON));
        assertProblem(response, 400);
        Response nullBody = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages", "null", t.roomId());
        assertProblem(nullBody, 400);
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void mentioningSomeoneWhoIsNotAMemberIsRefusedWith422() {
        Team t = team();
        Snapshot before = snapshot(t);
        Response response = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "ご確認ください", "mentions", Map.of("users", List.of(t.otherFacilityStranger().id()))), t.roomId());
        assertFieldProblem(response, 422, "mentions.users[0]");
        Response second = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "ご確認ください", "mentions", Map.of("users", List.of(t.doctor().id(), t.otherFacilityStranger().id()))),
                t.roomId());
        assertFieldProblem(second, 422, "mentions.users[1]");
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void replyingToAMessageOfAnotherRoomIsRefusedWith422() {
        Team t = team();
        Team other = team();
        String elsewhere = (String) post(other.nurse(), other.roomId(), "別の部屋").get("id");
        Snapshot before = snapshot(t);
        Response response = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "返信", "parentId", elsewhere), t.roomId());
        assertFieldProblem(response, 422, "parentId");
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void attachingAnotherRoomsFileIsRefusedWith422() {
        Team t = team();
        Team other = team();
        Response uploaded = upload(as(other.nurse()), other.roomId(), "file", ApiTestClient.png(), "a.png", MediaType.IMAGE_PNG);
        assertThat(uploaded.status()).isEqualTo(201);
        Snapshot before = snapshot(t);
        Response response = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "写真", "attachmentIds", List.of(uploaded.map().get("id"))), t.roomId());
        assertFieldProblem(response, 422, "attachmentIds[0]");
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void reusingAnIdempotencyKeyForADifferentMessageIsRefusedWith422() {
        Team t = team();
        HttpHeaders key = new HttpHeaders();
        key.set("Idempotency-Key", unique("key"));
        WebTestClient nurse = as(t.nurse());
        Response first = send(nurse, HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", "血圧 130/80"), key, t.roomId());
        assertThat(first.status()).as("%s", first).isEqualTo(201);
        Snapshot before = snapshot(t);

        Response different = send(nurse, HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", "血圧 150/95"), key, t.roomId());
        assertFieldProblem(different, 422, "Idempotency-Key");
        assertThat(snapshot(t)).isEqualTo(before);

        Response retry = send(nurse, HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", "血圧 130/80"), key, t.roomId());
        assertThat(retry.status()).as("%s", retry).isEqualTo(200);
        assertThat(retry.headers().getFirst("Idempotency-Replayed")).isEqualTo("true");
        assertThat(retry.map().get("id")).isEqualTo(first.map().get("id"));
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void anIdempotencyKeyOfTheWrongLengthIsRefusedWith400() {
        Team t = team();
        Snapshot before = snapshot(t);
        for (String value : List.of("k".repeat(201), "")) {
            HttpHeaders key = new HttpHeaders();
            key.set("Idempotency-Key", value);
            Response response = send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", "a"), key, t.roomId());
            assertFieldProblem(response, 400, "Idempotency-Key");
        }
        assertThat(snapshot(t)).isEqualTo(before);
    }

    // ------------------------------------------------------------------------------------------------------
    // Ids in paths

    static Stream<Arguments> badIds() {
        String m = "{message}";
        return Stream.of(
                //        method             path                                                         body                   status field
                arguments(HttpMethod.GET,    "/api/v1/rooms/abc",                                          null,                  400, "roomId"),
                arguments(HttpMethod.GET,    "/api/v1/rooms/abc/members",                                  null,                  400, "roomId"),
                arguments(HttpMethod.GET,    "/api/v1/rooms/abc/messages",                                 null,                  400, "roomId"),
                arguments(HttpMethod.POST,   "/api/v1/rooms/abc/messages",                                 "{\"text\":\"a\"}",    400, "roomId"),
                arguments(HttpMethod.POST,   "/api/v1/rooms/ABCDEF0123456789ABCDEF01/messages",            "{\"text\":\"a\"}",    400, "roomId"),
                arguments(HttpMethod.POST,   "/api/v1/rooms/abc/read",                                     "{\"upToSeq\":1}",     400, "roomId"),
                arguments(HttpMethod.POST,   "/api/v1/rooms/abc/archive",                                  null,                  400, "roomId"),
                arguments(HttpMethod.POST,   "/api/v1/rooms/abc/members",                                  "{\"userId\":\"x\"}",  400, "roomId"),
                arguments(HttpMethod.DELETE, "/api/v1/rooms/abc/members/x",                                null,                  400, "roomId"),
                arguments(HttpMethod.GET,    "/api/v1/rooms/{room}/messages/abc",                          null,                  400, "messageId"),
                arguments(HttpMethod.PATCH,  "/api/v1/rooms/{room}/messages/abc",                          "{\"text\":\"a\"}",    400, "messageId"),
                arguments(HttpMethod.DELETE, "/api/v1/rooms/{room}/messages/abc",                          null,                  400, "messageId"),
                arguments(HttpMethod.GET,    "/api/v1/rooms/{room}/messages/abc/edits",                    null,                  400, "messageId"),
                arguments(HttpMethod.GET,    "/api/v1/rooms/{room}/messages/abc/thread",                   null,                  400, "messageId"),
                arguments(HttpMethod.GET,    "/api/v1/rooms/{room}/messages/abc/readers",                  null,                  400, "messageId"),
                arguments(HttpMethod.PUT,    "/api/v1/rooms/{room}/messages/abc/stamps/accepted",          null,                  400, "messageId"),
                arguments(HttpMethod.PUT,    "/api/v1/rooms/{room}/messages/" + m + "/stamps/bravo",       null,                  400, "stamp"),
                arguments(HttpMethod.DELETE, "/api/v1/rooms/{room}/messages/" + m + "/stamps/bravo",       null,                  400, "stamp"),
                arguments(HttpMethod.DELETE, "/api/v1/rooms/{room}/members/a%20b",                         null,                  400, "userId"),
                arguments(HttpMethod.POST,   "/api/v1/rooms/{room}/members",                               "{\"userId\":\"a b\"}", 400, "userId"),
                arguments(HttpMethod.POST,   "/api/v1/rooms/{room}/members",                               "{\"userId\":\"\"}",   400, "userId"),
                arguments(HttpMethod.POST,   "/api/v1/rooms/{room}/members",                               "{\"userId\":\"nobody-at-all\"}", 422, "userId"),
                arguments(HttpMethod.GET,    "/api/v1/attachments/abc",                                    null,                  400, "attachmentId"),
                arguments(HttpMethod.GET,    "/api/v1/attachments/abc/thumbnail",                          null,                  400, "attachmentId"),
                arguments(HttpMethod.DELETE, "/api/v1/facilities/a%20b/staff/x/memberships",               null,                  400, "facilityId"),
                arguments(HttpMethod.DELETE, "/api/v1/facilities/f/staff/a%20b/memberships",               null,                  400, "userId"));
    }

    @ParameterizedTest(name = "{0} {1} → {3} {4}")
    @MethodSource("badIds")
    void aMalformedIdIsRefusedNamingTheField(HttpMethod method, String path, String body, int status, String field) {
        Team t = team();
        String message = (String) post(t.doctor(), t.roomId(), "記録").get("id");
        Snapshot before = snapshot(t);
        String uri = path.replace("{room}", t.roomId()).replace("{message}", message);
        Response response = sendEncoded(as(t.careManager()), method, uri, body);
        assertFieldProblem(response, status, field);
        assertThat(snapshot(t)).isEqualTo(before);
    }

    static Stream<Arguments> unknownIds() {
        String room = "/api/v1/rooms/" + UNKNOWN_ID;
        return Stream.of(
                arguments(HttpMethod.GET,  room,                                                    null),
                arguments(HttpMethod.GET,  room + "/messages",                                      null),
                arguments(HttpMethod.POST, room + "/messages",                                      "{\"text\":\"a\"}"),
                arguments(HttpMethod.POST, room + "/read",                                          "{\"upToSeq\":1}"),
                arguments(HttpMethod.GET,  "/api/v1/rooms/{room}/messages/" + UNKNOWN_ID,           null),
                arguments(HttpMethod.PATCH, "/api/v1/rooms/{room}/messages/" + UNKNOWN_ID,          "{\"text\":\"a\"}"),
                arguments(HttpMethod.PUT,  "/api/v1/rooms/{room}/messages/" + UNKNOWN_ID + "/stamps/good", null),
                arguments(HttpMethod.DELETE, "/api/v1/rooms/{room}/members/nobody-at-all",           null),
                arguments(HttpMethod.GET,  "/api/v1/attachments/" + UNKNOWN_ID,                     null),
                arguments(HttpMethod.GET,  "/api/v1/attachments/" + UNKNOWN_ID + "/thumbnail",      null),
                arguments(HttpMethod.GET,  room + "/events",                                        null));
    }

    @ParameterizedTest(name = "{0} {1} → 404")
    @MethodSource("unknownIds")
    void aWellFormedIdThatNamesNothingIs404(HttpMethod method, String path, String body) {
        Team t = team();
        Snapshot before = snapshot(t);
        String uri = path.replace("{room}", t.roomId());
        Response response = path.endsWith("/events") ? events(as(t.careManager()), uri)
                : sendEncoded(as(t.careManager()), method, uri, body);
        assertProblem(response, 404);
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void aPdfHasNoThumbnail() {
        Team t = team();
        Response pdf = upload(as(t.nurse()), t.roomId(), "file",
                "%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".getBytes(StandardCharsets.US_ASCII),
                "a.pdf", MediaType.APPLICATION_PDF);
        assertThat(pdf.status()).as("%s", pdf).isEqualTo(201);
        assertProblem(get(as(t.nurse()), "/api/v1/attachments/{a}/thumbnail", pdf.map().get("id")), 404);
    }

    // ------------------------------------------------------------------------------------------------------
    // Other bodies

    static Stream<Arguments> badOtherBodies() {
        return Stream.of(
                //        method           path                       body                                                              status field
                arguments(HttpMethod.POST, "/api/v1/rooms/{room}/read", "{}",                                                           400, "upToSeq"),
                arguments(HttpMethod.POST, "/api/v1/rooms/{room}/read", "{\"upToSeq\": -1}",                                            400, "upToSeq"),
                arguments(HttpMethod.POST, "/api/v1/rooms/{room}/read", "{\"upToSeq\": \"x\"}",                                         400, "upToSeq"),
                arguments(HttpMethod.POST, "/api/v1/rooms/{room}/read", "{\"upToSeq\": 1.5}",                                           400, "upToSeq"),
                arguments(HttpMethod.POST, "/api/v1/rooms/{room}/read", "{\"upToSeq\": 99999999999999999999999}",                       400, "upToSeq"),
                arguments(HttpMethod.POST, "/api/v1/rooms/{room}/members", "{\"userId\": \"{nurse}\", \"role\": \"king\"}",             400, "role"),
                arguments(HttpMethod.POST, "/api/v1/rooms/{room}/members", "{\"userId\": \"{stranger}\", \"role\": \"resident\"}",      422, "role"),
                arguments(HttpMethod.POST, "/api/v1/rooms/{room}/members", "{\"userId\": [\"x\"]}",                                     400, "userId"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"castle\", \"name\": \"x\"}",                                  400, "kind"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"name\": \"x\"}",                                                        400, "kind"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"group\"}",                                                    400, "name"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"patient\"}",                                                  400, "resident"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"patient\", \"resident\": {\"name\": \"\"}}",                  400, "resident.name"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"patient\", \"resident\": {\"name\": \"a\", \"birthDate\": \"昭和13年\"}}", 400, "resident.birthDate"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"patient\", \"resident\": {\"name\": \"a\", \"birthDate\": \"2999-01-01\"}}", 400, "resident.birthDate"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"group\", \"name\": \"x\", \"members\": [{\"userId\": \"\"}]}", 400, "members[0].userId"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"group\", \"name\": \"x\", \"members\": [{\"userId\": \"a b\"}]}", 400, "members[0].userId"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"group\", \"name\": \"x\", \"members\": [{\"userId\": \"nobody-at-all\"}]}", 422, "members[0].userId"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"group\", \"name\": \"x\", \"members\": \"x\"}",               400, "members"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"group\", \"name\": \"" + "x".repeat(101) + "\"}",             400, "name"),
                arguments(HttpMethod.POST, "/api/v1/rooms", "{\"kind\": \"direct\", \"members\": []}",                                  400, "members"));
    }

    @ParameterizedTest(name = "{0} {1} {2} → {3} {4}")
    @MethodSource("badOtherBodies")
    void aBadBodyIsRefusedNamingTheField(HttpMethod method, String path, String body, int status, String field) {
        Team t = team();
        Snapshot before = snapshot(t);
        String uri = path.replace("{room}", t.roomId());
        String json = body.replace("{nurse}", signIn(person(unique("ns2"), jp.tsunagu.chat.identity.Profession.NURSE, "x")).id())
                .replace("{stranger}", t.otherFacilityStranger().id());
        Snapshot afterSignIn = snapshot(t);
        Response response = sendEncoded(as(t.careManager()), method, uri, json);
        assertFieldProblem(response, status, field);
        assertThat(snapshot(t)).isEqualTo(afterSignIn);
        assertThat(afterSignIn).isEqualTo(before);
    }

    // ------------------------------------------------------------------------------------------------------
    // Uploads

    static Stream<Arguments> forbiddenFiles() {
        byte[] elf = new byte[256];
        byte[] header = {0x7F, 'E', 'L', 'F', 2, 1, 1, 0};
        System.arraycopy(header, 0, elf, 0, header.length);
        return Stream.of(
                arguments("an ELF executable", elf, "report.pdf", MediaType.APPLICATION_PDF),
                arguments("a zip archive", zip(), "photos.zip", MediaType.parseMediaType("application/zip")),
                arguments("HTML", "<html><script>alert(1)</script></html>".getBytes(StandardCharsets.UTF_8), "note.txt",
                        MediaType.TEXT_PLAIN),
                arguments("a broken PNG", Arrays.copyOf(ApiTestClient.png(), 40), "wound.png", MediaType.IMAGE_PNG));
    }

    @ParameterizedTest(name = "uploading {0} → 415 file")
    @MethodSource("forbiddenFiles")
    void aForbiddenFileTypeIsRefusedWith415AndNothingIsStored(String label, byte[] content, String name, MediaType claimed) {
        Team t = team();
        Snapshot before = snapshot(t);
        Response response = upload(as(t.nurse()), t.roomId(), "file", content, name, claimed);
        assertFieldProblem(response, 415, "file");
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void anUploadOver2MbIsRefusedWith413AndNothingIsStored() {
        Team t = team();
        Snapshot before = snapshot(t);
        byte[] big = new byte[2 * 1024 * 1024 + 1];
        Arrays.fill(big, (byte) 'a');
        Response response = upload(as(t.nurse()), t.roomId(), "file", big, "big.txt", MediaType.TEXT_PLAIN);
        assertFieldProblem(response, 413, "file");
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void anUploadOfExactly2MbIsAccepted() {
        Team t = team();
        byte[] limit = new byte[2 * 1024 * 1024];
        Arrays.fill(limit, (byte) 'a');
        Response response = upload(as(t.nurse()), t.roomId(), "file", limit, "notes.txt", MediaType.TEXT_PLAIN);
        assertThat(response.status()).as("%s", response).isEqualTo(201);
        assertThat(response.map().get("size")).isEqualTo(2 * 1024 * 1024);
    }

    @Test
    void anUploadWithoutAFilePartIsRefusedWith400() {
        Team t = team();
        Snapshot before = snapshot(t);
        assertFieldProblem(upload(as(t.nurse()), t.roomId(), null, null, null, null), 400, "file");
        assertFieldProblem(upload(as(t.nurse()), t.roomId(), "photo", ApiTestClient.png(), "a.png", MediaType.IMAGE_PNG), 400, "file");
        assertFieldProblem(upload(as(t.nurse()), t.roomId(), "file", new byte[0], "empty.png", MediaType.IMAGE_PNG), 400, "file");
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void aFilePartThatIsAPlainFormFieldIsRefusedWith400() {
        Team t = team();
        Snapshot before = snapshot(t);
        org.springframework.http.client.MultipartBodyBuilder form = new org.springframework.http.client.MultipartBodyBuilder();
        form.part("file", "これはファイルではありません");
        Response response = ApiTestClient.exchange(as(t.nurse()).post().uri("/api/v1/rooms/{r}/attachments", t.roomId())
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(org.springframework.web.reactive.function.BodyInserters.fromMultipartData(form.build())));
        assertFieldProblem(response, 400, "file");
        assertThat(snapshot(t)).isEqualTo(before);
    }

    static Stream<Arguments> brokenMultipartBodies() {
        String part = "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n";
        return Stream.of(
                //        case                          content type                        body                          status
                arguments("no boundary", "multipart/form-data", "--b\r\n" + part + "hello\r\n--b--\r\n", 400),
                arguments("cut off inside the file", "multipart/form-data; boundary=b", "--b\r\n" + part + "hello, this never ends", 400),
                arguments("cut off inside the headers", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-da", 400),
                arguments("headers over 10 KB", "multipart/form-data; boundary=b",
                        "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + "x".repeat(20_000) + "\"\r\n\r\nhello\r\n--b--\r\n", 413),
                arguments("no parts at all", "multipart/form-data; boundary=b", "--b--\r\n", 400),
                arguments("not multipart at all", "multipart/form-data; boundary=b", "hello", 400));
    }

    @ParameterizedTest(name = "a multipart body with {0} → {3}")
    @MethodSource("brokenMultipartBodies")
    void aBrokenMultipartBodyIsRefused(String label, String contentType, String body, int status) {
        Team t = team();
        Snapshot before = snapshot(t);
        Response response = ApiTestClient.exchange(as(t.nurse()).post().uri("/api/v1/rooms/{r}/attachments", t.roomId())
                .contentType(MediaType.parseMediaType(contentType)).bodyValue(body.getBytes(StandardCharsets.UTF_8)));
        assertProblem(response, status);
        assertThat(snapshot(t)).isEqualTo(before);
    }

    @Test
    void aVeryLongFileNameIsShortened() {
        Team t = team();
        Response response = upload(as(t.nurse()), t.roomId(), "file", ApiTestClient.png(), "写".repeat(300) + ".png", MediaType.IMAGE_PNG);
        assertThat(response.status()).as("%s", response).isEqualTo(201);
        assertThat((String) response.map().get("name")).hasSize(200).endsWith(".png");
    }

    @Test
    void anUploadThatIsNotMultipartIsRefusedWith415() {
        Team t = team();
        Snapshot before = snapshot(t);
        assertProblem(send(as(t.nurse()), HttpMethod.POST, "/api/v1/rooms/{r}/attachments", "{\"file\": \"x\"}", t.roomId()), 415);
        assertThat(snapshot(t)).isEqualTo(before);
    }

    // ------------------------------------------------------------------------------------------------------
    // Query parameters

    static Stream<Arguments> badQueries() {
        String notACursor = Base64.getUrlEncoder().withoutPadding().encodeToString("not-a-cursor".getBytes(StandardCharsets.UTF_8));
        String badTime = Base64.getUrlEncoder().withoutPadding().encodeToString("yesterday|abc".getBytes(StandardCharsets.UTF_8));
        List<Arguments> rows = new ArrayList<>();
        for (String list : List.of("/api/v1/rooms", "/api/v1/rooms/{room}/messages", "/api/v1/mentions")) {
            rows.add(arguments(list + "?limit=0", "limit"));
            rows.add(arguments(list + "?limit=-5", "limit"));
            rows.add(arguments(list + "?limit=1000", "limit"));
            rows.add(arguments(list + "?limit=ten", "limit"));
            rows.add(arguments(list + "?limit=99999999999", "limit"));
        }
        for (String list : List.of("/api/v1/rooms", "/api/v1/mentions")) {
            rows.add(arguments(list + "?cursor=%21%21%21", "cursor"));
            rows.add(arguments(list + "?cursor=" + notACursor, "cursor"));
            rows.add(arguments(list + "?cursor=" + badTime, "cursor"));
        }
        rows.add(arguments("/api/v1/rooms/{room}/messages?before=-1", "before"));
        rows.add(arguments("/api/v1/rooms/{room}/messages?before=latest", "before"));
        return rows.stream();
    }

    @ParameterizedTest(name = "GET {0} → 400 {1}")
    @MethodSource("badQueries")
    void aBadQueryParameterIsRefusedWith400(String path, String field) {
        Team t = team();
        Response response = sendEncoded(as(t.nurse()), HttpMethod.GET, path.replace("{room}", t.roomId()), null);
        assertFieldProblem(response, 400, field);
    }

    @Test
    void theEventStreamRefusesABadResumePosition() {
        Team t = team();
        WebTestClient nurse = as(t.nurse());
        assertFieldProblem(events(nurse, "/api/v1/rooms/{r}/events?after=-1", t.roomId()), 400, "after");
        assertFieldProblem(events(nurse, "/api/v1/rooms/{r}/events?after=abc", t.roomId()), 400, "after");
        Response lastEventId = ApiTestClient.events(nurse.mutate().defaultHeader("Last-Event-ID", "abc").build(),
                "/api/v1/rooms/{r}/events", t.roomId());
        assertFieldProblem(lastEventId, 400, "Last-Event-ID");
        Response negativeLastEventId = ApiTestClient.events(nurse.mutate().defaultHeader("Last-Event-ID", "-3").build(),
                "/api/v1/rooms/{r}/events", t.roomId());
        assertFieldProblem(negativeLastEventId, 400, "Last-Event-ID");
        assertFieldProblem(events(nurse, "/api/v1/rooms/abc/events"), 400, "roomId");
    }

    // ------------------------------------------------------------------------------------------------------
    // Routes

    @Test
    void anUnknownRouteUnderTheApiIs404ProblemJson() {
        Team t = team();
        WebTestClient nurse = as(t.nurse());
        assertProblem(get(nurse, "/api/v1/nothing-here"), 404);
        assertProblem(get(nurse, "/api/v1/rooms/{r}/nothing-here", t.roomId()), 404);
        assertProblem(send(nurse, HttpMethod.POST, "/api/v2/rooms", "{}"), 404);
        // Without a token, the API does not even say whether a route exists.
        assertProblem(get(http, "/api/v1/nothing-here"), 401);
    }

    @Test
    void aWrongMethodIs405ProblemJson() {
        Team t = team();
        Snapshot before = snapshot(t);
        assertProblem(send(as(t.careManager()), HttpMethod.PUT, "/api/v1/rooms/{r}", "{}", t.roomId()), 405);
        assertProblem(sendEncoded(as(t.careManager()), HttpMethod.DELETE, "/api/v1/rooms/" + t.roomId(), null), 405);
        assertThat(snapshot(t)).isEqualTo(before);
    }

    // ------------------------------------------------------------------------------------------------------

    private Snapshot snapshot(Team t) {
        return Snapshot.of(as(t.careManager()), t.roomId(), mongo);
    }

    /** A call on a literal, already encoded path (no template expansion, so {@code %20} stays as it is). */
    private Response sendEncoded(WebTestClient client, HttpMethod method, String path, String body) {
        WebTestClient.RequestBodySpec spec = client.method(method).uri(URI.create("http://localhost:" + port + path));
        return ApiTestClient.exchange(body == null ? spec
                : spec.contentType(MediaType.APPLICATION_JSON).bodyValue(body.getBytes(StandardCharsets.UTF_8)));
    }

    private static String hexId(int i) {
        return String.format("%024x", i + 1);
    }

    private static byte[] zip() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("photo.jpg"));
            zip.write("not really a photo".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
