package jp.tsunagu.ops.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.room.LastMessage;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.ops.support.IntegrationTestSupport;

/** Rooms and members: creation rules, listing, invitations, removal and a facility's departures. */
class RoomsIntegrationTests extends IntegrationTestSupport {

    @Test
    void aResidentHasOnePatientRoom() {
        CareUser cm = signIn(person(unique("cm"), Profession.CARE_MANAGER, "fac-a"));
        String resident = unique("TONE");
        Map<String, Object> body = Map.of("kind", "patient", "resident", Map.of("name", "佐藤 一郎", "externalResidentId", resident));
        as(cm).post().uri("/api/v1/rooms").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isCreated().expectBody().jsonPath("$.room.name").isEqualTo("佐藤 一郎 様")
                .jsonPath("$.myRole").isEqualTo("owner");
        as(cm).post().uri("/api/v1/rooms").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isEqualTo(409).expectBody().jsonPath("$.type").isEqualTo("/problems/resident-has-room");
    }

    @Test
    void aDirectRoomIsFoundAgainNotDuplicated() {
        CareUser a = signIn(person(unique("ns"), Profession.NURSE, "fac-a"));
        CareUser b = signIn(person(unique("cm"), Profession.CARE_MANAGER, "fac-b"));
        Map<String, Object> body = Map.of("kind", "direct", "members", List.of(Map.of("userId", b.id())));
        String id = (String) ((Map<?, ?>) as(a).post().uri("/api/v1/rooms").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange().expectStatus().isCreated().expectBody(Map.class).returnResult()
                .getResponseBody().get("room")).get("id");
        as(b).post().uri("/api/v1/rooms").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("kind", "direct", "members", List.of(Map.of("userId", a.id())))).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.room.id").isEqualTo(id);
    }

    @Test
    void residentsAndFamilyCannotCreateRoomsNorJoinTeamRooms() {
        CareUser resident = signIn(person(unique("res"), Profession.RESIDENT, null));
        as(resident).post().uri("/api/v1/rooms").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("kind", "group", "name", "x")).exchange().expectStatus().isForbidden();
        CareUser cm = signIn(person(unique("cm"), Profession.CARE_MANAGER, "fac-a"));
        as(cm).post().uri("/api/v1/rooms").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("kind", "group", "name", "多職種連携", "members", List.of(Map.of("userId", resident.id()))))
                .exchange().expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.errors[0].field").isEqualTo("members[0].role");
    }

    @Test
    void roomListShowsUnreadAndLastMessageMostRecentFirst() {
        Team t = team();
        Team other = team();
        as(other.careManager()).post().uri("/api/v1/rooms/{r}/members", other.roomId())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("userId", t.nurse().id()))
                .exchange().expectStatus().isOk();
        post(t.careManager(), t.roomId(), "古いほう");
        post(other.careManager(), other.roomId(), "新しいほう");
        as(t.nurse()).get().uri("/api/v1/rooms").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items.length()").isEqualTo(2)
                .jsonPath("$.items[0].room.id").isEqualTo(other.roomId())
                .jsonPath("$.items[0].lastMessage.excerpt").isEqualTo("新しいほう")
                .jsonPath("$.items[0].unreadCount").isEqualTo(1)
                .jsonPath("$.items[1].room.id").isEqualTo(t.roomId());
        as(t.nurse()).get().uri("/api/v1/rooms?limit=1").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items.length()").isEqualTo(1).jsonPath("$.nextCursor").exists();
    }

    @Test
    void aPreviewShowsItsMessagesNumberAndTimeAndFollowsItsEditAndDeletion() {
        Team t = team();
        post(t.nurse(), t.roomId(), "古いほう");
        Map<?, ?> last = post(t.careManager(), t.roomId(), "  訪問  しました\n熱なし ");
        String id = (String) last.get("id");
        as(t.nurse()).get().uri("/api/v1/rooms").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items[0].room.id").isEqualTo(t.roomId())
                .jsonPath("$.items[0].lastMessage.id").isEqualTo(id)
                .jsonPath("$.items[0].lastMessage.seq").isEqualTo(last.get("seq"))
                .jsonPath("$.items[0].lastMessage.excerpt").isEqualTo("訪問 しました 熱なし")
                .jsonPath("$.items[0].lastMessage.authorName").isEqualTo(t.careManager().displayName())
                .jsonPath("$.items[0].lastMessage.createdAt").isEqualTo(storedCreatedAt(t, id));

        as(t.careManager()).patch().uri("/api/v1/rooms/{r}/messages/{m}", t.roomId(), id)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("text", "訪問しました（訂正）")).exchange()
                .expectStatus().isOk();
        as(t.nurse()).get().uri("/api/v1/rooms").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items[0].lastMessage.excerpt").isEqualTo("訪問しました（訂正）")
                .jsonPath("$.items[0].lastMessage.seq").isEqualTo(last.get("seq"))
                .jsonPath("$.items[0].lastMessage.createdAt").isEqualTo(storedCreatedAt(t, id));

        as(t.careManager()).delete().uri("/api/v1/rooms/{r}/messages/{m}", t.roomId(), id).exchange()
                .expectStatus().isOk();
        as(t.nurse()).get().uri("/api/v1/rooms").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items[0].lastMessage.id").isEqualTo(id)
                .jsonPath("$.items[0].lastMessage.excerpt").isEqualTo("");
    }

    /** The message's time as stored (to the millisecond; the post's own answer carries the clock's precision). */
    private Object storedCreatedAt(Team t, String messageId) {
        return as(t.nurse()).get().uri("/api/v1/rooms/{r}/messages/{m}", t.roomId(), messageId).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody().get("createdAt");
    }

    @Autowired
    RoomStore rooms;

    /**
     * A preview is written with its message's number, ahead of the message: a node that stops in between leaves one
     * naming a message that never landed. The list shows the room's latest stored message instead, until the next post.
     */
    @Test
    void aPreviewWhoseMessageNeverLandedShowsTheLatestStoredMessage() {
        Team t = team();
        Map<?, ?> landed = post(t.nurse(), t.roomId(), "届いた");
        rooms.nextSeqIfWritable(t.roomId(), LastMessage.ahead(Ids.newId(), "届かなかった", t.nurse().displayName(), false,
                Instant.now())).block(Duration.ofSeconds(10));

        as(t.careManager()).get().uri("/api/v1/rooms").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items[0].room.id").isEqualTo(t.roomId())
                .jsonPath("$.items[0].lastMessage.id").isEqualTo(landed.get("id"))
                .jsonPath("$.items[0].lastMessage.seq").isEqualTo(landed.get("seq"))
                .jsonPath("$.items[0].lastMessage.excerpt").isEqualTo("届いた")
                .jsonPath("$.items[0].lastMessage.createdAt").isEqualTo(storedCreatedAt(t, (String) landed.get("id")));

        Map<?, ?> next = post(t.nurse(), t.roomId(), "次の記録");
        as(t.careManager()).get().uri("/api/v1/rooms").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items[0].lastMessage.id").isEqualTo(next.get("id"))
                .jsonPath("$.items[0].lastMessage.seq").isEqualTo(next.get("seq"));
    }

    @Test
    void ownerRemovesAndMembersLeaveButTheLastOwnerStays() {
        Team t = team();
        as(t.careManager()).delete().uri("/api/v1/rooms/{r}/members/{u}", t.roomId(), t.doctor().id()).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.active").isEqualTo(false);
        as(t.doctor()).get().uri("/api/v1/rooms/{r}", t.roomId()).exchange().expectStatus().isNotFound();
        as(t.nurse()).delete().uri("/api/v1/rooms/{r}/members/{u}", t.roomId(), t.nurse().id()).exchange()
                .expectStatus().isOk();
        as(t.careManager()).delete().uri("/api/v1/rooms/{r}/members/{u}", t.roomId(), t.careManager().id()).exchange()
                .expectStatus().isEqualTo(409).expectBody().jsonPath("$.type").isEqualTo("/problems/last-owner");
    }

    @Test
    void aFacilityAdministratorRemovesDepartedStaffFromEveryRoom() {
        Team t = team();
        Team other = team();
        String vns = t.nurse().facilityId();
        CareUser colleague = signIn(person(unique("ns"), Profession.NURSE, vns));
        CareUser admin = signIn(person(unique("adm"), Profession.NURSE, vns, "facility_admin"));
        as(t.careManager()).post().uri("/api/v1/rooms/{r}/members", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("userId", colleague.id())).exchange().expectStatus().isOk();
        as(other.careManager()).post().uri("/api/v1/rooms/{r}/members", other.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("userId", colleague.id())).exchange().expectStatus().isOk();

        as(admin).delete().uri("/api/v1/facilities/{f}/staff/{u}/memberships", vns, colleague.id()).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.removedFromRoomIds.length()").isEqualTo(2);
        as(colleague).get().uri("/api/v1/rooms").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items.length()").isEqualTo(0);
        as(t.careManager()).delete().uri("/api/v1/facilities/{f}/staff/{u}/memberships", vns, t.nurse().id()).exchange()
                .expectStatus().isForbidden();
    }
}
