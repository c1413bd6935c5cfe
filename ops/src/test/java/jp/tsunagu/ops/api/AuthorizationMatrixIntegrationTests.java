package jp.tsunagu.ops.api;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
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
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.LocalJwtIssuer;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.ops.api.ApiTestClient.Response;
import jp.tsunagu.ops.api.ApiTestClient.Snapshot;
import jp.tsunagu.ops.support.IntegrationTestSupport;
import reactor.core.publisher.Mono;

import static jp.tsunagu.ops.api.ApiTestClient.JSON;
import static jp.tsunagu.ops.api.ApiTestClient.TIMEOUT;
import static jp.tsunagu.ops.api.ApiTestClient.assertProblem;
import static jp.tsunagu.ops.api.ApiTestClient.delete;
import static jp.tsunagu.ops.api.ApiTestClient.events;
import static jp.tsunagu.ops.api.ApiTestClient.get;
import static jp.tsunagu.ops.api.ApiTestClient.send;
import static jp.tsunagu.ops.api.ApiTestClient.upload;
import static jp.tsunagu.ops.api.AuthorizationMatrixIntegrationTests.Caller.CLINIC_ADMIN;
import static jp.tsunagu.ops.api.AuthorizationMatrixIntegrationTests.Caller.CLINIC_COLLEAGUE;
import static jp.tsunagu.ops.api.AuthorizationMatrixIntegrationTests.Caller.EXPIRED_TOKEN;
import static jp.tsunagu.ops.api.AuthorizationMatrixIntegrationTests.Caller.FAMILY;
import static jp.tsunagu.ops.api.AuthorizationMatrixIntegrationTests.Caller.MEMBER;
import static jp.tsunagu.ops.api.AuthorizationMatrixIntegrationTests.Caller.NO_TOKEN;
import static jp.tsunagu.ops.api.AuthorizationMatrixIntegrationTests.Caller.OWNER;
import static jp.tsunagu.ops.api.AuthorizationMatrixIntegrationTests.Caller.RESIDENT;
import static jp.tsunagu.ops.api.AuthorizationMatrixIntegrationTests.Caller.STRANGER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Who may call what: every REST endpoint, the SSE stream and the WebSocket, for every kind of caller.
 *
 * <p>Each row runs against a fresh patient room ({@link #team()}). A refused call must answer RFC 9457
 * problem+json with the expected status and leave the database exactly as it was (room, members, messages,
 * reads, attachments and stored files). A non-member's 404 must be indistinguishable from the 404 for a room
 * (or message, or file) that does not exist. An allowed call must have its effect.
 */
@SuppressWarnings("unchecked")
class AuthorizationMatrixIntegrationTests extends IntegrationTestSupport {

    /** Who calls. The first seven are the matrix columns; the clinic ones matter only to staff departures. */
    enum Caller {
        /** A nurse of another facility, member of the room. */
        MEMBER,
        /** The care manager who created the room. */
        OWNER,
        /** A pharmacist of yet another facility, not a member. */
        STRANGER,
        RESIDENT,
        FAMILY,
        NO_TOKEN,
        /** The member nurse, with an expired token. */
        EXPIRED_TOKEN,
        /** A {@code facility_admin} of the doctor's clinic (not a room member). */
        CLINIC_ADMIN,
        /** A colleague at the doctor's clinic without the admin role. */
        CLINIC_COLLEAGUE;

        boolean isMember() {
            return this == MEMBER || this == OWNER || this == RESIDENT || this == FAMILY;
        }
    }

    private static final List<Caller> COLUMNS = List.of(MEMBER, OWNER, STRANGER, RESIDENT, FAMILY, NO_TOKEN, EXPIRED_TOKEN);

    static Stream<Arguments> matrix() {
        return Stream.of(
                //                                      member owner stranger resident family no-token expired
                row(Endpoint.LIST_ROOMS,                  200,  200,   200,     200,    200,   401,    401),
                row(Endpoint.CREATE_GROUP_ROOM,           201,  201,   201,     403,    403,   401,    401),
                row(Endpoint.GET_ROOM,                    200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.LIST_MEMBERS,                200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.INVITE_PROFESSIONAL,         200,  200,   404,     403,    403,   401,    401),
                row(Endpoint.INVITE_FAMILY,               403,  200,   404,     403,    403,   401,    401),
                row(Endpoint.REMOVE_OTHER_MEMBER,         403,  200,   404,     403,    403,   401,    401),
                // The only owner may not leave while others stay (409).
                row(Endpoint.LEAVE,                       200,  409,   404,     200,    200,   401,    401),
                row(Endpoint.ARCHIVE,                     403,  200,   404,     403,    403,   401,    401),
                // Nurse and care manager are facility_admin, but of other facilities than the doctor's.
                row(Endpoint.REMOVE_DEPARTED_STAFF,       403,  403,   403,     403,    403,   401,    401),
                cell(Endpoint.REMOVE_DEPARTED_STAFF, CLINIC_ADMIN, 200),
                cell(Endpoint.REMOVE_DEPARTED_STAFF, CLINIC_COLLEAGUE, 403),
                // An admin naming their own facility removes only their own staff: the doctor stays.
                cell(Endpoint.REMOVE_DEPARTED_VIA_OWN_FACILITY, MEMBER, 200),
                cell(Endpoint.REMOVE_DEPARTED_VIA_OWN_FACILITY, OWNER, 200),
                cell(Endpoint.REMOVE_DEPARTED_VIA_OWN_FACILITY, STRANGER, 403),
                row(Endpoint.LIST_MESSAGES,               200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.POST_MESSAGE,                201,  201,   404,     201,    201,   401,    401),
                row(Endpoint.GET_MESSAGE,                 200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.EDIT_OWN_MESSAGE,            200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.EDIT_OTHERS_MESSAGE,         403,  403,   404,     403,    403,   401,    401),
                row(Endpoint.DELETE_OWN_MESSAGE,          200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.DELETE_OTHERS_MESSAGE,       403,  200,   404,     403,    403,   401,    401),
                row(Endpoint.EDIT_HISTORY,                200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.THREAD,                      200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.READERS,                     200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.GIVE_STAMP,                  200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.TAKE_BACK_STAMP,             200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.MARK_READ,                   200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.MENTIONS,                    200,  200,   200,     200,    200,   401,    401),
                row(Endpoint.ADD_REQUEST_TO_OWN_MESSAGE,  200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.ACCEPT_REQUEST_ASKING_ME,    200,  200,   404,     200,    200,   401,    401),
                // The nurse made this request of the doctor: she may cancel it, nobody here may accept it.
                row(Endpoint.ACCEPT_REQUEST_ASKING_OTHERS, 403, 403,   404,     403,    403,   401,    401),
                row(Endpoint.CANCEL_OTHERS_REQUEST,       403,  403,   404,     403,    403,   401,    401),
                row(Endpoint.LIST_REQUESTS,               200,  200,   200,     200,    200,   401,    401),
                row(Endpoint.ACKNOWLEDGE_URGENT_ASKING_ME, 200, 200,   404,     200,    200,   401,    401),
                row(Endpoint.ACKNOWLEDGE_URGENT_ASKING_OTHERS, 403, 403, 404,   403,    403,   401,    401),
                row(Endpoint.SET_ON_CALL,                 403,  200,   404,     403,    403,   401,    401),
                row(Endpoint.INBOX,                       200,  200,   200,     200,    200,   401,    401),
                row(Endpoint.PIN,                         200,  200,   404,     403,    403,   401,    401),
                row(Endpoint.PINS,                        200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.BOOKMARK,                    204,  204,   404,     204,    204,   401,    401),
                row(Endpoint.BOOKMARKS,                   200,  200,   200,     200,    200,   401,    401),
                row(Endpoint.SEARCH,                      200,  200,   200,     200,    200,   401,    401),
                row(Endpoint.SEARCH_IN_ROOM,              200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.VAPID_KEY,                   200,  200,   200,     200,    200,   401,    401),
                row(Endpoint.SUBSCRIBE_DEVICE,            201,  201,   201,     201,    201,   401,    401),
                row(Endpoint.LIST_DEVICES,                200,  200,   200,     200,    200,   401,    401),
                row(Endpoint.UNSUBSCRIBE_OWN_DEVICE,      204,  204,   204,     204,    204,   401,    401),
                row(Endpoint.UNSUBSCRIBE_OTHERS_DEVICE,   404,  404,   404,     404,    404,   401,    401),
                row(Endpoint.NOTIFICATION_SETTINGS,       200,  200,   200,     200,    200,   401,    401),
                row(Endpoint.SET_NOTIFICATION_SETTINGS,   200,  200,   200,     200,    200,   401,    401),
                row(Endpoint.ROOM_NOTIFY_LEVEL,           200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.SET_ROOM_NOTIFY_LEVEL,       200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.UPLOAD,                      201,  201,   404,     201,    201,   401,    401),
                row(Endpoint.DOWNLOAD,                    200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.THUMBNAIL,                   200,  200,   404,     200,    200,   401,    401),
                row(Endpoint.EVENTS,                      200,  200,   404,     200,    200,   401,    401))
                .flatMap(s -> s);
    }

    /** For the WebSocket, 200 means a {@code subscribed} frame; 404 an {@code error} frame; 401 a refused handshake. */
    static Stream<Arguments> webSocketMatrix() {
        return row(null,                                  200,  200,   404,     200,    200,   401,    401)
                .map(a -> arguments(a.get()[1], a.get()[2]));
    }

    @Autowired
    private ReactiveMongoTemplate mongo;

    private final ReactorNettyWebSocketClient webSocket = new ReactorNettyWebSocketClient();

    @ParameterizedTest(name = "{0} by {1} → {2}")
    @MethodSource("matrix")
    void restMatrix(Endpoint endpoint, Caller caller, int expected) {
        Fixture f = new Fixture(team(), false);
        Call call = endpoint.prepare.prepare(f, caller);
        Snapshot before = snapshot(f);

        Response response = call.on(f.client(caller));

        assertThat(response.status()).as("%s by %s answered %s", endpoint, caller, response).isEqualTo(expected);
        Snapshot after = snapshot(f);
        if (expected >= 400) {
            assertProblem(response, expected);
            assertThat(after).as("a refused %s by %s leaves nothing behind", endpoint, caller).isEqualTo(before);
            if (expected == 404 && caller == STRANGER) {
                // The same call on a room (message, file) that does not exist must answer the same.
                Response ghost = endpoint.prepare.prepare(f.ghost(), caller).on(f.client(caller));
                assertProblem(ghost, 404);
                assertThat(withoutInstance(response.map())).as("a non-member learns nothing about the room")
                        .isEqualTo(withoutInstance(ghost.map()));
            }
        } else {
            endpoint.effect.check(f, caller, response, before, after);
        }
    }

    @ParameterizedTest(name = "WebSocket subscribe by {0} → {1}")
    @MethodSource("webSocketMatrix")
    void webSocketMatrix(Caller caller, int expected) {
        Fixture f = new Fixture(team(), false);
        String token = switch (caller) {
            case NO_TOKEN -> null;
            case EXPIRED_TOKEN -> expiredToken(f.team.nurse());
            default -> token(f.user(caller));
        };
        URI uri = URI.create("ws://localhost:" + port + "/api/v1/ws" + (token == null ? "" : "?access_token=" + token));
        if (expected == 401) {
            Throwable thrown = catchThrowable(() -> webSocket.execute(uri, session -> session.receive().then()).block(TIMEOUT));
            WebSocketClientHandshakeException handshake = cause(thrown, WebSocketClientHandshakeException.class);
            assertThat(handshake).as("handshake refusal, got %s", thrown).isNotNull();
            assertThat(handshake.response().status().code()).isEqualTo(401);
            assertThat(handshake.response().headers().get(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer");
            assertThat(handshake.response().headers().get(HttpHeaders.CONTENT_TYPE)).startsWith("application/problem+json");
            return;
        }
        Map<String, Object> frame = firstFrameAfterSubscribing(uri, f.roomId());
        if (expected == 200) {
            assertThat(frame.get("type")).as("frame %s", frame).isEqualTo("subscribed");
            assertThat(frame.get("roomId")).isEqualTo(f.roomId());
        } else {
            assertThat(frame.get("type")).as("frame %s", frame).isEqualTo("error");
            assertThat(frame.get("status")).isEqualTo(expected);
            assertThat(frame.get("roomId")).isEqualTo(f.roomId());
            Map<String, Object> ghost = firstFrameAfterSubscribing(uri, f.ghost().roomId());
            assertThat(ghost.get("detail")).as("a non-member learns nothing about the room").isEqualTo(frame.get("detail"));
            assertThat(ghost.get("status")).isEqualTo(frame.get("status"));
        }
    }

    @Test
    void aTokenInTheQueryStringIsAcceptedOnlyByTheStreams() {
        Team t = team();
        Response response = get(http, "/api/v1/rooms/{r}?access_token={t}", t.roomId(), token(t.nurse()));
        assertProblem(response, 401);
    }

    @Test
    void aTokenFromAnotherIssuerKeyIsRefused() {
        Team t = team();
        LocalJwtIssuer forger = LocalJwtIssuer.withNewKey(issuer.issuer());
        WebTestClient client = http.mutate()
                .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + forger.mint(t.careManager(), Duration.ofMinutes(5)))
                .build();
        assertProblem(get(client, "/api/v1/rooms/{r}", t.roomId()), 401);
    }

    @Test
    void aTokenWithoutAProfessionIsForbidden() {
        Team t = team();
        WebTestClient client = http.mutate().defaultHeader(HttpHeaders.AUTHORIZATION,
                "Bearer " + issuer.mint(t.nurse().id(), Map.of("name", "no profession"), Duration.ofMinutes(5))).build();
        assertProblem(get(client, "/api/v1/rooms/{r}", t.roomId()), 403);
    }

    @Test
    void anArchivedRoomStaysReadableButRefusesEveryWriteWith409() {
        Fixture f = new Fixture(team(), false);
        String message = f.ownMessageId(MEMBER);
        String attachment = f.attachmentId();
        assertThat(send(f.client(OWNER), HttpMethod.POST, "/api/v1/rooms/{r}/archive", null, f.roomId()).status())
                .isEqualTo(200);
        Snapshot before = snapshot(f);
        WebTestClient nurse = f.client(MEMBER);
        assertProblem(send(nurse, HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", "遅れて投稿"), f.roomId()), 409);
        assertProblem(send(f.client(OWNER), HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", "所有者も"), f.roomId()), 409);
        assertProblem(send(nurse, HttpMethod.PATCH, "/api/v1/rooms/{r}/messages/{m}", Map.of("text", "訂正"), f.roomId(), message), 409);
        assertProblem(delete(nurse, "/api/v1/rooms/{r}/messages/{m}", f.roomId(), message), 409);
        assertProblem(send(nurse, HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/stamps/accepted", null, f.roomId(), message), 409);
        assertProblem(send(nurse, HttpMethod.POST, "/api/v1/rooms/{r}/members", Map.of("userId", f.newProfessional().id()), f.roomId()), 409);
        assertProblem(upload(nurse, f.roomId(), "file", ApiTestClient.png(), "late.png", MediaType.IMAGE_PNG), 409);
        assertThat(snapshot(f)).isEqualTo(before);
        assertThat(get(nurse, "/api/v1/rooms/{r}/messages", f.roomId()).status()).isEqualTo(200);
        assertThat(get(f.client(FAMILY), "/api/v1/attachments/{a}", attachment).status()).isEqualTo(200);
    }

    // ------------------------------------------------------------------------------------------------------
    // The endpoints: how to call each, and what an allowed call must have changed.

    enum Endpoint {
        LIST_ROOMS((f, c) -> cl -> get(cl, "/api/v1/rooms?limit=200"), readOnly((f, c, r) ->
                assertThat(roomIds(r)).as("the room is listed for its members only")
                        .matches(ids -> ids.contains(f.roomId()) == c.isMember()))),

        CREATE_GROUP_ROOM((f, c) -> cl -> send(cl, HttpMethod.POST, "/api/v1/rooms",
                Map.of("kind", "group", "name", "連絡会 " + f.team.facility())), (f, c, r, before, after) -> {
            assertThat(path(r.map(), "room", "kind")).isEqualTo("group");
            assertThat(r.map().get("myRole")).isEqualTo("owner");
            assertThat(after.counts().get("rooms")).isEqualTo(before.counts().get("rooms") + 1);
        }),

        GET_ROOM((f, c) -> cl -> get(cl, "/api/v1/rooms/{r}", f.roomId()), readOnly((f, c, r) -> {
            assertThat(path(r.map(), "room", "id")).isEqualTo(f.roomId());
            assertThat(r.map().get("myRole")).isEqualTo(switch (c) {
                case OWNER -> "owner";
                case RESIDENT -> "resident";
                case FAMILY -> "family";
                default -> "member";
            });
        })),

        LIST_MEMBERS((f, c) -> cl -> get(cl, "/api/v1/rooms/{r}/members", f.roomId()), readOnly((f, c, r) ->
                assertThat(r.list()).extracting(m -> ((Map<String, Object>) m).get("userId")).containsExactlyInAnyOrder(
                        f.team.careManager().id(), f.team.nurse().id(), f.team.doctor().id(), f.team.resident().id(),
                        f.team.family().id()))),

        INVITE_PROFESSIONAL((f, c) -> {
            String invitee = f.newProfessional().id();
            return cl -> send(cl, HttpMethod.POST, "/api/v1/rooms/{r}/members", Map.of("userId", invitee), f.roomId());
        }, (f, c, r, before, after) -> {
            assertThat(r.map().get("userId")).isEqualTo(f.newProfessional().id());
            assertThat(r.map().get("role")).isEqualTo("member");
            assertThat(memberIds(after)).contains(f.newProfessional().id());
        }),

        INVITE_FAMILY((f, c) -> {
            String invitee = f.newFamily().id();
            return cl -> send(cl, HttpMethod.POST, "/api/v1/rooms/{r}/members", Map.of("userId", invitee), f.roomId());
        }, (f, c, r, before, after) -> {
            assertThat(r.map().get("role")).isEqualTo("family");
            assertThat(memberIds(after)).contains(f.newFamily().id());
        }),

        REMOVE_OTHER_MEMBER((f, c) -> cl -> delete(cl, "/api/v1/rooms/{r}/members/{u}", f.roomId(), f.team.doctor().id()),
                (f, c, r, before, after) -> {
                    assertThat(r.map().get("active")).isEqualTo(false);
                    assertThat(memberIds(after)).doesNotContain(f.team.doctor().id());
                }),

        LEAVE((f, c) -> cl -> delete(cl, "/api/v1/rooms/{r}/members/{u}", f.roomId(), f.userId(c)),
                (f, c, r, before, after) -> {
                    assertThat(r.map().get("active")).isEqualTo(false);
                    assertThat(memberIds(after)).doesNotContain(f.userId(c)).contains(f.team.careManager().id());
                }),

        ARCHIVE((f, c) -> cl -> send(cl, HttpMethod.POST, "/api/v1/rooms/{r}/archive", null, f.roomId()),
                (f, c, r, before, after) -> {
                    assertThat(r.map().get("archived")).isEqualTo(true);
                    assertThat(path(after.room(), "room", "archived")).isEqualTo(true);
                }),

        REMOVE_DEPARTED_STAFF((f, c) -> cl -> delete(cl, "/api/v1/facilities/{f}/staff/{u}/memberships",
                f.clinic(), f.team.doctor().id()), (f, c, r, before, after) -> {
            assertThat(r.map().get("removedFromRoomIds")).isEqualTo(List.of(f.roomId()));
            assertThat(memberIds(after)).doesNotContain(f.team.doctor().id());
        }),

        REMOVE_DEPARTED_VIA_OWN_FACILITY((f, c) -> cl -> delete(cl, "/api/v1/facilities/{f}/staff/{u}/memberships",
                f.user(c).facilityId(), f.team.doctor().id()), readOnly((f, c, r) ->
                assertThat(r.map().get("removedFromRoomIds")).isEqualTo(List.of()))),

        LIST_MESSAGES((f, c) -> {
            f.doctorMessageId(); // there is something to list
            return cl -> get(cl, "/api/v1/rooms/{r}/messages", f.roomId());
        }, readOnly((f, c, r) -> assertThat((List<Object>) r.map().get("items"))
                .extracting(m -> ((Map<String, Object>) m).get("id")).contains(f.doctorMessageId()))),

        POST_MESSAGE((f, c) -> cl -> send(cl, HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "本日の様子: 食欲あり"), f.roomId()), (f, c, r, before, after) -> {
            assertThat(path(r.map(), "author", "userId")).isEqualTo(f.userId(c));
            assertThat(messageTexts(after)).contains("本日の様子: 食欲あり");
            assertThat(after.counts().get("messages")).isEqualTo(before.counts().get("messages") + 1);
        }),

        GET_MESSAGE((f, c) -> {
            String id = f.doctorMessageId();
            return cl -> get(cl, "/api/v1/rooms/{r}/messages/{m}", f.roomId(), id);
        }, readOnly((f, c, r) -> assertThat(r.map().get("id")).isEqualTo(f.doctorMessageId()))),

        EDIT_OWN_MESSAGE((f, c) -> {
            String id = f.ownMessageId(c);
            return cl -> send(cl, HttpMethod.PATCH, "/api/v1/rooms/{r}/messages/{m}", Map.of("text", "訂正: 37.2℃"),
                    f.roomId(), id);
        }, (f, c, r, before, after) -> {
            assertThat(r.map().get("text")).isEqualTo("訂正: 37.2℃");
            assertThat(messageTexts(after)).contains("訂正: 37.2℃");
        }),

        EDIT_OTHERS_MESSAGE((f, c) -> {
            String id = f.doctorMessageId();
            return cl -> send(cl, HttpMethod.PATCH, "/api/v1/rooms/{r}/messages/{m}", Map.of("text", "改ざん"),
                    f.roomId(), id);
        }, (f, c, r, before, after) -> {
            throw new AssertionError("nobody may edit another's message");
        }),

        DELETE_OWN_MESSAGE((f, c) -> {
            String id = f.ownMessageId(c);
            return cl -> delete(cl, "/api/v1/rooms/{r}/messages/{m}", f.roomId(), id);
        }, (f, c, r, before, after) -> {
            assertThat(r.map().get("deleted")).isNotNull();
            assertThat(path(message(after, f.ownMessageId(c)), "deleted", "by")).isEqualTo(f.userId(c));
        }),

        DELETE_OTHERS_MESSAGE((f, c) -> {
            String id = f.doctorMessageId();
            return cl -> delete(cl, "/api/v1/rooms/{r}/messages/{m}", f.roomId(), id);
        }, (f, c, r, before, after) -> {
            assertThat(path(message(after, f.doctorMessageId()), "deleted", "by")).isEqualTo(f.userId(c));
            assertThat(message(after, f.doctorMessageId()).get("text")).isIn("", null);
        }),

        EDIT_HISTORY((f, c) -> {
            String id = f.doctorMessageId();
            return cl -> get(cl, "/api/v1/rooms/{r}/messages/{m}/edits", f.roomId(), id);
        }, readOnly((f, c, r) -> assertThat(r.map().get("messageId")).isEqualTo(f.doctorMessageId()))),

        THREAD((f, c) -> {
            String id = f.doctorMessageId();
            return cl -> get(cl, "/api/v1/rooms/{r}/messages/{m}/thread", f.roomId(), id);
        }, readOnly((f, c, r) -> assertThat(r.list()).extracting(m -> ((Map<String, Object>) m).get("id"))
                .containsExactly(f.doctorMessageId()))),

        READERS((f, c) -> {
            String id = f.doctorMessageId();
            return cl -> get(cl, "/api/v1/rooms/{r}/messages/{m}/readers", f.roomId(), id);
        }, readOnly((f, c, r) -> {
            assertThat(r.map().get("messageId")).isEqualTo(f.doctorMessageId());
            assertThat(r.map().get("memberCount")).isEqualTo(4);
        })),

        GIVE_STAMP((f, c) -> {
            String id = f.doctorMessageId();
            return cl -> send(cl, HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/stamps/accepted", null, f.roomId(), id);
        }, (f, c, r, before, after) -> {
            assertThat(stampUsers(r.map(), "accepted")).containsExactly(f.userId(c));
            assertThat(stampUsers(message(after, f.doctorMessageId()), "accepted")).containsExactly(f.userId(c));
        }),

        TAKE_BACK_STAMP((f, c) -> {
            String id = f.stampedBy(c);
            return cl -> delete(cl, "/api/v1/rooms/{r}/messages/{m}/stamps/accepted", f.roomId(), id);
        }, (f, c, r, before, after) -> {
            assertThat(stampUsers(message(before, f.doctorMessageId()), "accepted")).containsExactly(f.userId(c));
            assertThat(stampUsers(message(after, f.doctorMessageId()), "accepted")).isEmpty();
        }),

        MARK_READ((f, c) -> {
            long seq = f.doctorMessageSeq();
            return cl -> send(cl, HttpMethod.POST, "/api/v1/rooms/{r}/read", Map.of("upToSeq", seq), f.roomId());
        }, (f, c, r, before, after) -> {
            assertThat(r.map().get("userId")).isEqualTo(f.userId(c));
            assertThat(((Number) r.map().get("upToSeq")).longValue()).isEqualTo(f.doctorMessageSeq());
            assertThat(after.counts().get("reads")).isEqualTo(before.counts().get("reads") + 1);
        }),

        MENTIONS((f, c) -> cl -> get(cl, "/api/v1/mentions"), readOnly((f, c, r) ->
                assertThat(r.map()).containsKey("items"))),

        ADD_REQUEST_TO_OWN_MESSAGE((f, c) -> {
            String id = f.ownMessageId(c);
            return cl -> send(cl, HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/request", Map.of("kind", "report",
                    "assignees", Map.of("users", List.of(f.team.doctor().id())), "dueAt", tomorrow()), f.roomId(), id);
        }, (f, c, r, before, after) -> {
            assertThat(path(r.map(), "request", "state")).isEqualTo("open");
            assertThat(path(message(after, f.ownMessageId(c)), "request", "assigneeIds"))
                    .isEqualTo(List.of(f.team.doctor().id()));
        }),

        ACCEPT_REQUEST_ASKING_ME((f, c) -> {
            String id = f.doctorRequestId();
            return cl -> send(cl, HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/request/actions",
                    Map.of("action", "accept"), f.roomId(), id);
        }, (f, c, r, before, after) -> {
            assertThat(path(message(after, f.doctorRequestId()), "request", "state")).isEqualTo("accepted");
            assertThat(stampUsers(message(after, f.doctorRequestId()), "accepted")).containsExactly(f.userId(c));
        }),

        ACCEPT_REQUEST_ASKING_OTHERS((f, c) -> {
            String id = f.nurseRequestOfDoctorId();
            return cl -> send(cl, HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/request/actions",
                    Map.of("action", "accept"), f.roomId(), id);
        }, (f, c, r, before, after) -> {
            throw new AssertionError("only the doctor may accept");
        }),

        CANCEL_OTHERS_REQUEST((f, c) -> {
            String id = f.doctorRequestId();
            return cl -> send(cl, HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/request/actions",
                    Map.of("action", "cancel"), f.roomId(), id);
        }, (f, c, r, before, after) -> {
            throw new AssertionError("only the doctor may cancel");
        }),

        LIST_REQUESTS((f, c) -> {
            f.doctorRequestId();
            return cl -> get(cl, "/api/v1/requests");
        }, readOnly((f, c, r) -> assertThat((List<Object>) r.map().get("items"))
                .extracting(i -> path((Map<String, Object>) i, "message", "id"))
                .matches(ids -> ids.contains(f.doctorRequestId()) == c.isMember(), "the request is listed for its assignees only"))),

        ACKNOWLEDGE_URGENT_ASKING_ME((f, c) -> {
            String id = f.doctorUrgentId();
            return cl -> send(cl, HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/acknowledge", null, f.roomId(), id);
        }, (f, c, r, before, after) -> assertThat(path(message(after, f.doctorUrgentId()), "acknowledgement", "pending"))
                .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST).doesNotContain(f.userId(c)).hasSize(3)),

        ACKNOWLEDGE_URGENT_ASKING_OTHERS((f, c) -> {
            String id = f.nurseUrgentForDoctorId();
            return cl -> send(cl, HttpMethod.POST, "/api/v1/rooms/{r}/messages/{m}/acknowledge", null, f.roomId(), id);
        }, (f, c, r, before, after) -> {
            throw new AssertionError("only the doctor is asked");
        }),

        SET_ON_CALL((f, c) -> cl -> send(cl, HttpMethod.PUT, "/api/v1/rooms/{r}/on-call",
                Map.of("userId", f.team.doctor().id()), f.roomId()), (f, c, r, before, after) ->
                assertThat(path(after.room(), "room", "onCallUserId")).isEqualTo(f.team.doctor().id())),

        INBOX((f, c) -> {
            f.doctorRequestId();
            return cl -> get(cl, "/api/v1/inbox");
        }, readOnly((f, c, r) -> assertThat((List<Object>) r.map().get("requests"))
                .extracting(i -> path((Map<String, Object>) i, "message", "id"))
                .matches(ids -> ids.contains(f.doctorRequestId()) == c.isMember(), "the request waits for its assignees only"))),

        INBOX_PART((f, c) -> {
            f.doctorRequestId();
            return cl -> get(cl, "/api/v1/inbox/requests");
        }, readOnly((f, c, r) -> assertThat((List<Object>) r.map().get("items"))
                .extracting(i -> path((Map<String, Object>) i, "message", "id"))
                .matches(ids -> ids.contains(f.doctorRequestId()) == c.isMember(), "the request waits for its assignees only"))),

        PIN((f, c) -> {
            String id = f.doctorMessageId();
            return cl -> send(cl, HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/pin", null, f.roomId(), id);
        }, (f, c, r, before, after) -> assertThat(path(message(after, f.doctorMessageId()), "pin", "by")).isEqualTo(f.userId(c))),

        PINS((f, c) -> cl -> get(cl, "/api/v1/rooms/{r}/pins", f.roomId()), readOnly((f, c, r) -> assertThat(r.list()).isEmpty())),

        BOOKMARK((f, c) -> {
            String id = f.doctorMessageId();
            return cl -> send(cl, HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/bookmark", null, f.roomId(), id);
        }, (f, c, r, before, after) -> assertThat(get(f.client(c), "/api/v1/bookmarks").list())
                .extracting(m -> ((Map<String, Object>) m).get("id")).containsExactly(f.doctorMessageId())),

        BOOKMARKS((f, c) -> cl -> get(cl, "/api/v1/bookmarks"), readOnly((f, c, r) -> assertThat(r.list()).isEmpty())),

        SEARCH((f, c) -> {
            f.awaitSearchable();
            return cl -> get(cl, "/api/v1/search?q=血圧安定");
        }, readOnly((f, c, r) -> assertThat((List<Object>) r.map().get("items"))
                .extracting(i -> path((Map<String, Object>) i, "message", "id"))
                .matches(ids -> ids.contains(f.doctorMessageId()) == c.isMember(), "found by members only"))),

        SEARCH_IN_ROOM((f, c) -> {
            f.awaitSearchable();
            return cl -> get(cl, "/api/v1/search?q=血圧安定&room={r}", f.roomId());
        }, readOnly((f, c, r) -> assertThat((List<Object>) r.map().get("items"))
                .extracting(i -> path((Map<String, Object>) i, "message", "id")).containsExactly(f.doctorMessageId()))),

        VAPID_KEY((f, c) -> cl -> get(cl, "/api/v1/notifications/vapid-key"), readOnly((f, c, r) ->
                assertThat((String) r.map().get("publicKey")).hasSize(87))),

        SUBSCRIBE_DEVICE((f, c) -> cl -> send(cl, HttpMethod.POST, "/api/v1/notifications/devices", f.deviceSubscription()),
                (f, c, r, before, after) -> assertThat(get(f.client(c), "/api/v1/notifications/devices").list())
                        .extracting(d -> ((Map<String, Object>) d).get("id")).containsExactly(r.map().get("id"))),

        LIST_DEVICES((f, c) -> {
            if (c.isMember() || c == STRANGER) {
                send(f.client(c), HttpMethod.POST, "/api/v1/notifications/devices", f.deviceSubscription());
            }
            return cl -> get(cl, "/api/v1/notifications/devices");
        }, (f, c, r, before, after) -> assertThat(r.list()).hasSize(1)),

        UNSUBSCRIBE_OWN_DEVICE((f, c) -> {
            String id = c == NO_TOKEN || c == EXPIRED_TOKEN ? f.doctorDeviceId()
                    : (String) send(f.client(c), HttpMethod.POST, "/api/v1/notifications/devices", f.deviceSubscription()).map().get("id");
            return cl -> delete(cl, "/api/v1/notifications/devices/{d}", id);
        }, (f, c, r, before, after) -> assertThat(get(f.client(c), "/api/v1/notifications/devices").list()).isEmpty()),

        UNSUBSCRIBE_OTHERS_DEVICE((f, c) -> {
            String id = f.doctorDeviceId();
            return cl -> delete(cl, "/api/v1/notifications/devices/{d}", id);
        }, (f, c, r, before, after) -> {
            throw new AssertionError("a device is its owner's alone");
        }),

        NOTIFICATION_SETTINGS((f, c) -> cl -> get(cl, "/api/v1/notifications/settings"), readOnly((f, c, r) ->
                assertThat((List<Object>) r.map().get("rooms")).extracting(x -> ((Map<String, Object>) x).get("roomId"))
                        .matches(ids -> ids.contains(f.roomId()) == c.isMember(), "my rooms only"))),

        SET_NOTIFICATION_SETTINGS((f, c) -> cl -> send(cl, HttpMethod.PUT, "/api/v1/notifications/settings",
                Map.of("quietHours", Map.of("days", List.of("mon", "tue"), "from", "22:00", "to", "07:00"))),
                (f, c, r, before, after) -> assertThat((Map<String, Object>) r.map().get("quietHours"))
                        .containsEntry("from", "22:00").containsEntry("to", "07:00")),

        ROOM_NOTIFY_LEVEL((f, c) -> cl -> get(cl, "/api/v1/rooms/{r}/notifications", f.roomId()), readOnly((f, c, r) ->
                assertThat(r.map()).containsEntry("level", "mentions").containsEntry("chosen", false))),

        SET_ROOM_NOTIFY_LEVEL((f, c) -> cl -> send(cl, HttpMethod.PUT, "/api/v1/rooms/{r}/notifications",
                Map.of("level", "all"), f.roomId()), (f, c, r, before, after) -> {
            assertThat(r.map()).containsEntry("level", "all").containsEntry("chosen", true);
            assertThat(get(f.client(c), "/api/v1/rooms/{r}/notifications", f.roomId()).map()).containsEntry("level", "all");
        }),

        UPLOAD((f, c) -> cl -> upload(cl, f.roomId(), "file", f.png, "wound.png", MediaType.IMAGE_PNG),
                (f, c, r, before, after) -> {
                    assertThat(r.map().get("roomId")).isEqualTo(f.roomId());
                    assertThat(r.map().get("contentType")).isEqualTo("image/png");
                    assertThat(after.counts().get("attachments")).isEqualTo(before.counts().get("attachments") + 1);
                    assertThat(after.counts().get("files")).isEqualTo(before.counts().get("files") + 2);
                }),

        DOWNLOAD((f, c) -> {
            String id = f.attachmentId();
            return cl -> get(cl, "/api/v1/attachments/{a}", id);
        }, readOnly((f, c, r) -> {
            assertThat(r.headers().getContentType()).isEqualTo(MediaType.IMAGE_PNG);
            assertThat(r.body()).isEqualTo(f.png);
        })),

        THUMBNAIL((f, c) -> {
            String id = f.attachmentId();
            return cl -> get(cl, "/api/v1/attachments/{a}/thumbnail", id);
        }, readOnly((f, c, r) -> {
            assertThat(r.headers().getContentType()).isEqualTo(MediaType.IMAGE_JPEG);
            assertThat(Arrays.copyOf(r.body(), 2)).isEqualTo(new byte[] {(byte) 0xFF, (byte) 0xD8});
        })),

        EVENTS((f, c) -> cl -> events(cl, "/api/v1/rooms/{r}/events", f.roomId()), readOnly((f, c, r) -> {
            assertThat(r.headers().getContentType().isCompatibleWith(MediaType.TEXT_EVENT_STREAM)).isTrue();
            assertThat(r.map().get("type")).isEqualTo("subscribed");
            assertThat(r.map().get("roomId")).isEqualTo(f.roomId());
        }));

        final Prepare prepare;
        final Effect effect;

        Endpoint(Prepare prepare, Effect effect) {
            this.prepare = prepare;
            this.effect = effect;
        }
    }

    /** Builds the call, creating what it needs (a message, a file…) before the "before" snapshot. */
    @FunctionalInterface
    interface Prepare {
        Call prepare(Fixture f, Caller caller);
    }

    @FunctionalInterface
    interface Call {
        Response on(WebTestClient client);
    }

    /** What an allowed call must have done. */
    @FunctionalInterface
    interface Effect {
        void check(Fixture f, Caller caller, Response response, Snapshot before, Snapshot after);
    }

    @FunctionalInterface
    interface BodyCheck {
        void check(Fixture f, Caller caller, Response response);
    }

    /** An allowed read: the body is right and nothing changed. */
    static Effect readOnly(BodyCheck body) {
        return (f, c, r, before, after) -> {
            body.check(f, c, r);
            assertThat(after).as("a read changes nothing").isEqualTo(before);
        };
    }

    // ------------------------------------------------------------------------------------------------------
    // Fixture: one patient room, and what the calls need, created on demand.

    /**
     * One team's room. A ghost fixture has the same people but random ids for the room, messages and files,
     * which exist nowhere.
     */
    final class Fixture {

        final Team team;
        final byte[] png = ApiTestClient.png();
        private final boolean ghost;
        private final Fixture origin;
        private final Map<String, Object> created = new LinkedHashMap<>();

        Fixture(Team team, boolean ghost) {
            this(team, ghost, null);
        }

        private Fixture(Team team, boolean ghost, Fixture origin) {
            this.team = team;
            this.ghost = ghost;
            this.origin = origin;
        }

        Fixture ghost() {
            return new Fixture(team, true, this);
        }

        String roomId() {
            return ghost ? (String) once("ghostRoom", AuthorizationMatrixIntegrationTests::randomId) : team.roomId();
        }

        String clinic() {
            return team.facility() + "-clinic";
        }

        CareUser user(Caller c) {
            return switch (c) {
                case MEMBER, EXPIRED_TOKEN -> team.nurse();
                case OWNER -> team.careManager();
                case STRANGER -> team.otherFacilityStranger();
                case RESIDENT -> team.resident();
                case FAMILY -> team.family();
                case NO_TOKEN -> null;
                case CLINIC_ADMIN -> people().once("clinicAdmin", () ->
                        person(unique("adm"), Profession.MEDICAL_SOCIAL_WORKER, clinic(), CareUser.FACILITY_ADMIN));
                case CLINIC_COLLEAGUE -> people().once("clinicColleague", () ->
                        person(unique("col"), Profession.NURSE, clinic()));
            };
        }

        String userId(Caller c) {
            return user(c) == null ? team.nurse().id() : user(c).id();
        }

        WebTestClient client(Caller c) {
            return switch (c) {
                case NO_TOKEN -> http;
                case EXPIRED_TOKEN -> http.mutate()
                        .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + expiredToken(team.nurse())).build();
                default -> as(user(c));
            };
        }

        /** Waits until the doctor's message is in the search index (which follows posts within a fraction of a second). */
        void awaitSearchable() {
            if (ghost) {
                return;
            }
            String id = doctorMessageId();
            long end = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
            Response r = null;
            while (System.nanoTime() < end) {
                r = get(as(team.careManager()), "/api/v1/search?q=血圧安定&room={r}", roomId());
                if (r.status() == 200 && ((List<Object>) r.map().get("items")).stream()
                        .anyMatch(i -> id.equals(path((Map<String, Object>) i, "message", "id")))) {
                    return;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(java.time.Duration.ofMillis(20).toNanos());
            }
            throw new AssertionError("the doctor's message " + id + " was not searchable within 10 s: " + r
                    + " (ghost " + ghost + ")");
        }

        /** A new device's subscription, as a browser gives it (a push service on loopback, allowed in the tests). */
        Map<String, Object> deviceSubscription() {
            byte[] auth = new byte[16];
            new java.security.SecureRandom().nextBytes(auth);
            return Map.of("endpoint", "http://127.0.0.1:9/push/" + java.util.UUID.randomUUID(),
                    "keys", Map.of("p256dh", jp.tsunagu.connectors.push.VapidKeys.generate().publicKey(),
                            "auth", java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(auth)));
        }

        /** A device of the doctor's, who is no caller of the matrix. */
        String doctorDeviceId() {
            return (String) once("doctorDevice", () -> send(as(team.doctor()), HttpMethod.POST,
                    "/api/v1/notifications/devices", deviceSubscription()).map().get("id"));
        }

        /** A professional who signed in once and is in no room yet. */
        CareUser newProfessional() {
            return people().once("newProfessional", () ->
                    signIn(person(unique("cw"), Profession.CARE_WORKER, team.facility() + "-helper")));
        }

        CareUser newFamily() {
            return people().once("newFamily", () -> signIn(person(unique("fam2"), Profession.FAMILY, null)));
        }

        String doctorMessageId() {
            return ghost ? (String) once("ghostMessage", AuthorizationMatrixIntegrationTests::randomId)
                    : (String) doctorMessage().get("id");
        }

        long doctorMessageSeq() {
            return ghost ? 1 : ((Number) doctorMessage().get("seq")).longValue();
        }

        private Map<String, Object> doctorMessage() {
            return once("doctorMessage", () -> (Map<String, Object>) post(team.doctor(), team.roomId(), "訪問診療: 血圧安定。内服継続。"));
        }

        /** The doctor's request of the nurse, the care manager, the resident and the family. */
        String doctorRequestId() {
            if (ghost) {
                return doctorMessageId();
            }
            return (String) once("doctorRequest", () -> postRequest(team.doctor(), "来週の様子を報告してください",
                    List.of(team.nurse().id(), team.careManager().id(), team.resident().id(), team.family().id())));
        }

        /** The nurse's request of the doctor alone. */
        String nurseRequestOfDoctorId() {
            if (ghost) {
                return doctorMessageId();
            }
            return (String) once("nurseRequest", () -> postRequest(team.nurse(), "処方の見直しをお願いします",
                    List.of(team.doctor().id())));
        }

        /** The doctor's urgent message asking the nurse, the care manager, the resident and the family. */
        String doctorUrgentId() {
            if (ghost) {
                return doctorMessageId();
            }
            return (String) once("doctorUrgent", () -> postUrgent(team.doctor(), "本日の往診は中止です。至急ご確認ください",
                    List.of(team.nurse().id(), team.careManager().id(), team.resident().id(), team.family().id())));
        }

        /** The nurse's urgent message asking the doctor alone. */
        String nurseUrgentForDoctorId() {
            if (ghost) {
                return doctorMessageId();
            }
            return (String) once("nurseUrgent", () -> postUrgent(team.nurse(), "SpO2 低下。至急ご指示ください",
                    List.of(team.doctor().id())));
        }

        private Object postUrgent(CareUser by, String text, List<String> acknowledgers) {
            Response r = send(as(by), HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", text,
                    "priority", "urgent", "acknowledgers", Map.of("users", acknowledgers)), team.roomId());
            assertThat(r.status()).as("fixture urgent %s", r).isEqualTo(201);
            return r.map().get("id");
        }

        private Object postRequest(CareUser by, String text, List<String> assignees) {
            Response r = send(as(by), HttpMethod.POST, "/api/v1/rooms/{r}/messages", Map.of("text", text,
                    "request", Map.of("kind", "report", "assignees", Map.of("users", assignees), "dueAt", tomorrow())),
                    team.roomId());
            assertThat(r.status()).as("fixture request %s", r).isEqualTo(201);
            return r.map().get("id");
        }

        /** A message of the caller's own, or the doctor's for someone who cannot post here. */
        String ownMessageId(Caller c) {
            if (ghost || !c.isMember()) {
                return doctorMessageId();
            }
            return (String) once("own-" + c, () -> post(user(c), team.roomId(), "体温 37.5℃").get("id"));
        }

        /** The doctor's message with an "accepted" stamp of the caller's (of the doctor's for a non-member). */
        String stampedBy(Caller c) {
            String id = doctorMessageId();
            if (!ghost) {
                CareUser by = c.isMember() ? user(c) : team.doctor();
                once("stamp-" + c, () -> send(as(by), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/stamps/accepted",
                        null, team.roomId(), id).status());
            }
            return id;
        }

        /** A PNG the doctor uploaded to the room. */
        String attachmentId() {
            if (ghost) {
                return (String) once("ghostAttachment", AuthorizationMatrixIntegrationTests::randomId);
            }
            return (String) once("attachment", () -> {
                Response r = upload(as(team.doctor()), team.roomId(), "file", png, "wound.png", MediaType.IMAGE_PNG);
                assertThat(r.status()).as("fixture upload %s", r).isEqualTo(201);
                return r.map().get("id");
            });
        }

        private Fixture people() {
            return origin == null ? this : origin;
        }

        @SuppressWarnings("unchecked")
        private <T> T once(String key, java.util.function.Supplier<T> create) {
            Object value = created.get(key);
            if (value == null) {
                value = create.get();
                created.put(key, value);
            }
            return (T) value;
        }
    }

    private Snapshot snapshot(Fixture f) {
        return Snapshot.of(as(f.team.careManager()), f.team.roomId(), mongo);
    }

    private Map<String, Object> firstFrameAfterSubscribing(URI uri, String roomId) {
        AtomicReference<String> first = new AtomicReference<>();
        webSocket.execute(uri, session -> session
                        .send(Mono.just(session.textMessage("{\"type\":\"subscribe\",\"roomId\":\"" + roomId + "\"}")))
                        .thenMany(session.receive().map(WebSocketMessage::getPayloadAsText)
                                .filter(text -> !text.contains("\"heartbeat\""))
                                .take(1)
                                .doOnNext(first::set))
                        .then())
                .block(TIMEOUT);
        assertThat(first.get()).as("a frame after subscribing").isNotNull();
        return JSON.readValue(first.get(), Map.class);
    }

    // ------------------------------------------------------------------------------------------------------
    // Table and JSON helpers.

    private static Stream<Arguments> row(Endpoint endpoint, int... statuses) {
        assertThat(statuses).hasSameSizeAs(COLUMNS.toArray());
        return IntStream.range(0, statuses.length).mapToObj(i -> arguments(endpoint, COLUMNS.get(i), statuses[i]));
    }

    private static Stream<Arguments> cell(Endpoint endpoint, Caller caller, int status) {
        return Stream.of(arguments(endpoint, caller, status));
    }

    static String tomorrow() {
        return java.time.Instant.now().plus(Duration.ofDays(1)).toString();
    }

    private static String randomId() {
        byte[] bytes = new byte[12];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static Map<String, Object> withoutInstance(Map<String, Object> problem) {
        Map<String, Object> copy = new LinkedHashMap<>(problem);
        copy.remove("instance");
        return copy;
    }

    static Object path(Map<String, Object> json, String... keys) {
        Object node = json;
        for (String key : keys) {
            node = node == null ? null : ((Map<String, Object>) node).get(key);
        }
        return node;
    }

    static List<Object> roomIds(Response r) {
        List<Object> ids = new ArrayList<>();
        for (Object item : (List<Object>) r.map().get("items")) {
            ids.add(path((Map<String, Object>) item, "room", "id"));
        }
        return ids;
    }

    static List<Object> memberIds(Snapshot s) {
        return ((List<Object>) s.room().get("members")).stream().map(m -> ((Map<String, Object>) m).get("userId")).toList();
    }

    static List<Object> messageTexts(Snapshot s) {
        return ((List<Object>) s.messages().get("items")).stream().map(m -> ((Map<String, Object>) m).get("text")).toList();
    }

    static Map<String, Object> message(Snapshot s, String id) {
        return ((List<Object>) s.messages().get("items")).stream().map(m -> (Map<String, Object>) m)
                .filter(m -> id.equals(m.get("id"))).findFirst()
                .orElseThrow(() -> new AssertionError("no message " + id + " in " + s.messages()));
    }

    static List<Object> stampUsers(Map<String, Object> message, String stamp) {
        return ((List<Object>) message.get("stamps")).stream().map(s -> (Map<String, Object>) s)
                .filter(s -> stamp.equals(s.get("stamp"))).map(s -> (List<Object>) s.get("userIds"))
                .filter(Objects::nonNull).findFirst().orElse(List.of());
    }

    private static <T extends Throwable> T cause(Throwable thrown, Class<T> type) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            for (Throwable s : t.getSuppressed()) {
                if (type.isInstance(s)) {
                    return type.cast(s);
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
