package jp.tsunagu.ops.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;

import jp.tsunagu.chat.support.RoomLinearizer;
import jp.tsunagu.ops.support.IntegrationTestSupport;
import reactor.core.publisher.Sinks;

import static org.assertj.core.api.Assertions.assertThat;

/** Messages as a care team uses them: posting, threads, edits, deletion, stamps, reads and mentions. */
class MessagesIntegrationTests extends IntegrationTestSupport {

    @Autowired
    private RoomLinearizer linearizer;

    @Test
    void htmlIsSanitisedAndPlainTextAlwaysKept() {
        Team t = team();
        Map<?, ?> m = as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("html", "<p onclick=\"steal()\">体温 <b>38.5℃</b><script>alert(1)</script><br>様子見</p>"))
                .exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        assertThat((String) m.get("html")).isEqualTo("<p>体温 <b>38.5℃</b><br>様子見</p>");
        assertThat(m.get("text")).isEqualTo("体温 38.5℃\n様子見");
    }

    @Test
    void repliesFormAThreadAndUrgentPriorityIsKept() {
        Team t = team();
        String root = (String) post(t.nurse(), t.roomId(), "転倒されました。右大腿部痛あり").get("id");
        Map<?, ?> reply = as(t.doctor()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "すぐ往診します", "parentId", root, "priority", "urgent"))
                .exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        String replyId = (String) reply.get("id");
        assertThat(reply.get("priority")).isEqualTo("urgent");
        assertThat(reply.get("threadRootId")).isEqualTo(root);
        Map<?, ?> second = as(t.careManager()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("text", "家族に連絡します", "parentId", replyId))
                .exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        assertThat(second.get("threadRootId")).as("a reply to a reply stays in the root's thread").isEqualTo(root);

        as(t.family()).get().uri("/api/v1/rooms/{r}/messages/{m}/thread", t.roomId(), replyId).exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.length()").isEqualTo(3)
                .jsonPath("$[0].id").isEqualTo(root)
                .jsonPath("$[2].text").isEqualTo("家族に連絡します");
    }

    @Test
    void editKeepsHistoryVisibleToMembers() {
        Team t = team();
        String id = (String) post(t.nurse(), t.roomId(), "BP 132/78").get("id");
        as(t.nurse()).patch().uri("/api/v1/rooms/{r}/messages/{m}", t.roomId(), id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "BP 138/78（訂正）")).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.text").isEqualTo("BP 138/78（訂正）").jsonPath("$.editCount").isEqualTo(1);
        as(t.doctor()).get().uri("/api/v1/rooms/{r}/messages/{m}/edits", t.roomId(), id).exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.versions.length()").isEqualTo(2)
                .jsonPath("$.versions[0].text").isEqualTo("BP 132/78")
                .jsonPath("$.versions[1].text").isEqualTo("BP 138/78（訂正）");
    }

    @Test
    void deleteRemovesContentButKeepsWhoAndWhen() {
        Team t = team();
        String id = (String) post(t.nurse(), t.roomId(), "誤送信です").get("id");
        as(t.careManager()).delete().uri("/api/v1/rooms/{r}/messages/{m}", t.roomId(), id).exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.text").isEqualTo("")
                .jsonPath("$.deleted.by").isEqualTo(t.careManager().id())
                .jsonPath("$.deleted.at").exists();
        as(t.doctor()).get().uri("/api/v1/rooms/{r}/messages/{m}/edits", t.roomId(), id).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.versions.length()").isEqualTo(0);
        as(t.nurse()).put().uri("/api/v1/rooms/{r}/messages/{m}/stamps/viewed", t.roomId(), id).exchange()
                .expectStatus().isEqualTo(409);
    }

    @Test
    void stampsAreOneOfEachPerPersonAndToggle() {
        Team t = team();
        String id = (String) post(t.nurse(), t.roomId(), "褥瘡の写真を共有します").get("id");
        for (int i = 0; i < 2; i++) {
            as(t.doctor()).put().uri("/api/v1/rooms/{r}/messages/{m}/stamps/viewed", t.roomId(), id).exchange()
                    .expectStatus().isOk();
        }
        as(t.careManager()).put().uri("/api/v1/rooms/{r}/messages/{m}/stamps/見ました", t.roomId(), id).exchange()
                .expectStatus().isOk();
        as(t.careManager()).put().uri("/api/v1/rooms/{r}/messages/{m}/stamps/accepted", t.roomId(), id).exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.stamps[?(@.stamp=='viewed')].count").isEqualTo(2)
                .jsonPath("$.stamps[?(@.stamp=='accepted')].label").isEqualTo("承知");
        as(t.doctor()).delete().uri("/api/v1/rooms/{r}/messages/{m}/stamps/viewed", t.roomId(), id).exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.stamps[?(@.stamp=='viewed')].userIds[0]").isEqualTo(t.careManager().id());
        as(t.doctor()).put().uri("/api/v1/rooms/{r}/messages/{m}/stamps/wow", t.roomId(), id).exchange()
                .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("stamp");
    }

    @Test
    void readReceiptsCountUnreadAndGroupReadersByProfession() {
        Team t = team();
        long first = ((Number) post(t.nurse(), t.roomId(), "訪問しました").get("seq")).longValue();
        long second = ((Number) post(t.nurse(), t.roomId(), "服薬確認済み").get("seq")).longValue();

        assertThat(unread(t, t.doctor())).isEqualTo(2);
        as(t.doctor()).post().uri("/api/v1/rooms/{r}/read", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("upToSeq", first)).exchange().expectStatus().isOk();
        assertThat(unread(t, t.doctor())).isEqualTo(1);
        as(t.doctor()).post().uri("/api/v1/rooms/{r}/read", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("upToSeq", 0)).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.upToSeq").isEqualTo((int) first);
        as(t.family()).post().uri("/api/v1/rooms/{r}/read", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("upToSeq", second)).exchange().expectStatus().isOk();

        String firstId = firstMessageId(t);
        as(t.careManager()).get().uri("/api/v1/rooms/{r}/messages/{m}/readers", t.roomId(), firstId).exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.readCount").isEqualTo(2)
                .jsonPath("$.read[?(@.profession.code=='doctor')].members[0].userId").isEqualTo(t.doctor().id())
                .jsonPath("$.read[?(@.profession.code=='family')].members[0].userId").isEqualTo(t.family().id())
                .jsonPath("$.notRead.length()").isEqualTo(2);
    }

    @Test
    void mentionsReachUsersWholeFacilitiesAndTheRoom() {
        Team t = team();
        as(t.careManager()).post().uri("/api/v1/rooms/{r}/messages", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "@訪問看護 明日の訪問時間を教えてください",
                        "mentions", Map.of("facilities", List.of(t.nurse().facilityId()))))
                .exchange().expectStatus().isCreated();
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "@全員 担当者会議は木曜です", "mentions", Map.of("room", true)))
                .exchange().expectStatus().isCreated();

        as(t.nurse()).get().uri("/api/v1/mentions").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items.length()").isEqualTo(1)
                .jsonPath("$.items[0].text").isEqualTo("@訪問看護 明日の訪問時間を教えてください");
        as(t.doctor()).get().uri("/api/v1/mentions").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items.length()").isEqualTo(1)
                .jsonPath("$.items[0].text").isEqualTo("@全員 担当者会議は木曜です");
        as(t.otherFacilityStranger()).get().uri("/api/v1/mentions").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.items.length()").isEqualTo(0);
    }

    @Test
    void idempotencyKeyReturnsTheSameMessageOnRetry() {
        Team t = team();
        String key = unique("key");
        Map<?, ?> first = as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "電波が悪い中での投稿")).exchange().expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "電波が悪い中での投稿")).exchange().expectStatus().isOk()
                .expectHeader().valueEquals("Idempotency-Replayed", "true")
                .expectBody().jsonPath("$.id").isEqualTo(first.get("id")).jsonPath("$.seq").isEqualTo(first.get("seq"));
        as(t.nurse()).get().uri("/api/v1/rooms/{r}/messages", t.roomId()).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.items.length()").isEqualTo(1);
    }

    @Test
    void archivedRoomIsReadOnlyButReadable() {
        Team t = team();
        post(t.nurse(), t.roomId(), "最終訪問です");
        as(t.careManager()).post().uri("/api/v1/rooms/{r}/archive", t.roomId()).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.archived").isEqualTo(true);
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "追加")).exchange().expectStatus().isEqualTo(409)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON);
        as(t.family()).get().uri("/api/v1/rooms/{r}/messages", t.roomId()).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.items.length()").isEqualTo(1);
    }

    /**
     * The post path checks the room while taking its sequence number (one database command): a refused post
     * must not take a number, and a retry of a post stored before the archive still finds it.
     */
    @Test
    void postToArchivedRoomTakesNoNumberAndARetryOfAStoredPostStillFindsIt() {
        Team t = team();
        String key = unique("key");
        Map<?, ?> first = as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "最終訪問の記録")).exchange().expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        as(t.careManager()).post().uri("/api/v1/rooms/{r}/archive", t.roomId()).exchange().expectStatus().isOk();
        long seq = roomSeq(t);

        as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "追加")).exchange().expectStatus().isEqualTo(409)
                .expectBody().jsonPath("$.status").isEqualTo(409);
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .header("Idempotency-Key", unique("key")).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "追加")).exchange().expectStatus().isEqualTo(409);
        assertThat(roomSeq(t)).isEqualTo(seq);

        as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "最終訪問の記録")).exchange().expectStatus().isOk()
                .expectHeader().valueEquals("Idempotency-Replayed", "true")
                .expectBody().jsonPath("$.id").isEqualTo(first.get("id"));
        as(t.otherFacilityStranger()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("text", "部外者"))
                .exchange().expectStatus().isNotFound();
        assertThat(roomSeq(t)).isEqualTo(seq);
    }

    /**
     * Admission control: a room with {@code tsunagu.chat.room-queue-limit} (64) changes waiting for their
     * turn refuses the next one at once with 429 and Retry-After, stores nothing, and serves again when the
     * queue drains. The test holds the room's turn through the server's own linearizer.
     */
    @Test
    void aRoomWithTooManyChangesWaitingAnswers429WithRetryAfterAndServesAgainWhenItDrains() {
        Team t = team();
        long seq = roomSeq(t);
        Sinks.Empty<Void> gate = Sinks.empty();
        List<CompletableFuture<Void>> held = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            held.add(linearizer.run(t.roomId(), gate::asMono).toFuture());
        }
        try {
            as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("text", "混雑中の投稿")).exchange().expectStatus().isEqualTo(429)
                    .expectHeader().valueEquals("Retry-After", "1")
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().jsonPath("$.type").isEqualTo("/problems/room-busy");
            // Other rooms are not affected.
            Team other = team();
            post(other.nurse(), other.roomId(), "別の部屋は通常どおり");
        } finally {
            gate.tryEmitEmpty();
        }
        CompletableFuture.allOf(held.toArray(CompletableFuture[]::new)).join();
        assertThat(roomSeq(t)).isEqualTo(seq);
        post(t.nurse(), t.roomId(), "空いたので投稿");
        assertThat(roomSeq(t)).isEqualTo(seq + 1);
    }

    private long roomSeq(Team t) {
        Map<?, ?> detail = as(t.careManager()).get().uri("/api/v1/rooms/{r}", t.roomId()).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        return ((Number) ((Map<?, ?>) detail.get("room")).get("seq")).longValue();
    }

    private long unread(Team t, jp.tsunagu.chat.identity.CareUser user) {
        Map<?, ?> page = as(user).get().uri("/api/v1/rooms").exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        return ((List<?>) page.get("items")).stream().map(Map.class::cast)
                .filter(s -> t.roomId().equals(((Map<?, ?>) s.get("room")).get("id")))
                .map(s -> ((Number) s.get("unreadCount")).longValue())
                .findFirst().orElseThrow();
    }

    private String firstMessageId(Team t) {
        Map<?, ?> page = as(t.careManager()).get().uri("/api/v1/rooms/{r}/messages", t.roomId()).exchange()
                .expectBody(Map.class).returnResult().getResponseBody();
        List<?> items = (List<?>) page.get("items");
        return (String) ((Map<?, ?>) items.get(items.size() - 1)).get("id");
    }
}
