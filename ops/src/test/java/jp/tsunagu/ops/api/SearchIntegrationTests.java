package jp.tsunagu.ops.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.ops.api.ApiTestClient.Response;
import jp.tsunagu.ops.support.IntegrationTestSupport;

import static jp.tsunagu.ops.api.ApiTestClient.assertFieldProblem;
import static jp.tsunagu.ops.api.ApiTestClient.assertProblem;
import static jp.tsunagu.ops.api.ApiTestClient.delete;
import static jp.tsunagu.ops.api.ApiTestClient.get;
import static jp.tsunagu.ops.api.ApiTestClient.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Search through the whole server: Japanese found by any part of a word in any width or kana, Latin words in any
 * case, only in rooms the searcher is an active member of, by current text, never deleted; filters, paging, bad
 * input. The index follows posts within a fraction of a second; the tests wait for it (up to 10 s).
 */
@SuppressWarnings("unchecked")
class SearchIntegrationTests extends IntegrationTestSupport {

    @Test
    void japaneseAndLatinAreFoundByAnyPartInAnyWidthKanaOrCaseWithASnippet() {
        Team t = team();
        String warfarin = id(post(t.careManager(), t.roomId(), "薬局より：ワーファリン錠 2mg は本日から 1.5mg に減量です。INR 2.8"));
        String visit = id(post(t.nurse(), t.roomId(), "訪問看護の記録：血圧 132/84、食事は半分"));

        // The index takes a room's events in order: once the later post is found, the earlier one is too.
        assertThat(awaitIds(t.nurse(), "q=訪問", 1)).containsExactly(visit);
        assertThat(ids(search(t.nurse(), "q=ﾜｰﾌｧﾘﾝ"))).containsExactly(warfarin);
        assertThat(ids(search(t.nurse(), "q=わーふぁりん"))).containsExactly(warfarin);
        assertThat(ids(search(t.nurse(), "q=看護"))).containsExactly(visit);
        assertThat(ids(search(t.nurse(), "q=inr"))).containsExactly(warfarin);
        assertThat(ids(search(t.nurse(), "q=ワーファリン 減量"))).containsExactly(warfarin);
        assertThat(ids(search(t.nurse(), "q=ワーファリン 訪問"))).isEmpty();

        Map<String, Object> hit = items(search(t.nurse(), "q=ﾜｰﾌｧﾘﾝ")).get(0);
        assertThat(hit).containsEntry("roomId", t.roomId()).containsKeys("roomName", "href", "message");
        String snippet = (String) hit.get("snippet");
        List<Map<String, Object>> marks = (List<Map<String, Object>>) hit.get("highlights");
        assertThat(marks).hasSize(1);
        assertThat(snippet.substring((int) marks.get(0).get("start"), (int) marks.get(0).get("end"))).isEqualTo("ワーファリン");
        assertThat((Map<String, Object>) hit.get("message")).containsEntry("id", warfarin);
    }

    @Test
    void onlyRoomsOfWhichTheSearcherIsAnActiveMemberAreSearched() {
        Team t = team();
        String note = id(post(t.careManager(), t.roomId(), "担当者会議は来週木曜日"));
        assertThat(awaitIds(t.nurse(), "q=担当者会議", 1)).containsExactly(note);

        assertThat(ids(search(t.otherFacilityStranger(), "q=担当者会議"))).as("not a member").isEmpty();
        assertProblem(get(as(t.otherFacilityStranger()), "/api/v1/search?q=担当者会議&room={r}", t.roomId()), 404);

        delete(as(t.careManager()), "/api/v1/rooms/{r}/members/{u}", t.roomId(), t.nurse().id());
        assertThat(ids(search(t.nurse(), "q=担当者会議"))).as("removed: nothing of the room any more").isEmpty();
        assertProblem(get(as(t.nurse()), "/api/v1/search?q=担当者会議&room={r}", t.roomId()), 404);
    }

    @Test
    void anEditedMessageIsFoundByItsCurrentTextAndADeletedOneNever() {
        Team t = team();
        String id = id(post(t.nurse(), t.roomId(), "褥瘡の処置：ゲーベンクリーム"));
        awaitIds(t.careManager(), "q=ゲーベン", 1);

        send(as(t.nurse()), HttpMethod.PATCH, "/api/v1/rooms/{r}/messages/{m}", Map.of("text", "褥瘡の処置：アズノール軟膏"),
                t.roomId(), id);
        assertThat(awaitIds(t.careManager(), "q=アズノール", 1)).containsExactly(id);
        assertThat(ids(search(t.careManager(), "q=ゲーベン"))).as("the earlier text is not found").isEmpty();

        delete(as(t.nurse()), "/api/v1/rooms/{r}/messages/{m}", t.roomId(), id);
        assertThat(ids(search(t.careManager(), "q=アズノール"))).isEmpty();
        assertThat(ids(search(t.careManager(), "q=褥瘡"))).isEmpty();
    }

    @Test
    void filtersNarrowAndPagesFollowEachOther() {
        Team t = team();
        String urgent = id(send(as(t.doctor()), HttpMethod.POST, "/api/v1/rooms/{r}/messages",
                Map.of("text", "申し送り：至急の指示", "priority", "urgent"), t.roomId()).map());
        List<String> posted = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            posted.add(id(post(t.nurse(), t.roomId(), "申し送り " + i)));
        }
        awaitIds(t.careManager(), "q=申し送り&limit=50", 25);

        assertThat(ids(search(t.careManager(), "q=申し送り&author=" + t.doctor().id()))).containsExactly(urgent);
        assertThat(ids(search(t.careManager(), "q=申し送り&profession=doctor"))).containsExactly(urgent);
        assertThat(ids(search(t.careManager(), "q=申し送り&urgent=true"))).containsExactly(urgent);
        assertThat(ids(search(t.careManager(), "q=申し送り&urgent=false&limit=50"))).hasSize(24);
        assertThat(ids(search(t.careManager(), "q=申し送り&has=request"))).isEmpty();
        assertThat(ids(search(t.careManager(), "q=申し送り&from=2001-01-01&to=2001-12-31"))).isEmpty();

        List<String> seen = new ArrayList<>();
        Map<String, Object> page = search(t.careManager(), "q=申し送り&limit=10");
        seen.addAll(ids(page));
        while (page.get("nextCursor") != null) {
            page = search(t.careManager(), "q=申し送り&limit=10&cursor=" + page.get("nextCursor"));
            seen.addAll(ids(page));
        }
        assertThat(seen).hasSize(25).doesNotHaveDuplicates();
        assertThat(seen.get(0)).as("newest first").isEqualTo(posted.get(23));
    }

    @Test
    void badInputIsA400NamingTheParameter() {
        CareUser nurse = team().nurse();
        assertFieldProblem(get(as(nurse), "/api/v1/search"), 400, "q");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q={q}", "   "), 400, "q");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=" + "あ".repeat(201)), 400, "q");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=、。！"), 400, "q");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=訪問&sort=old"), 400, "sort");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=訪問&has=video"), 400, "has");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=訪問&urgent=yes"), 400, "urgent");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=訪問&from=last-week"), 400, "from");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=訪問&from=2026-12-02&to=2026-12-01"), 400, "to");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=訪問&profession=wizard"), 400, "profession");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=訪問&cursor=!!!"), 400, "cursor");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=訪問&limit=500"), 400, "limit");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=訪問&q=看護"), 400, "q");
        assertFieldProblem(get(as(nurse), "/api/v1/search?q=訪問&room=xyz"), 400, "room");
    }

    private Map<String, Object> search(CareUser user, String query) {
        Response r = get(as(user), "/api/v1/search?" + query);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return r.map();
    }

    /** Waits up to 10 s for the index to hold what was just posted. */
    private List<String> awaitIds(CareUser user, String query, int count) {
        return await(() -> ids(search(user, query)), count);
    }

    private static <T> List<T> await(Supplier<List<T>> seen, int count) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<T> now = seen.get();
        while (now.size() < count && System.nanoTime() < end) {
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
            now = seen.get();
        }
        assertThat(now).hasSize(count);
        return now;
    }

    private static List<Map<String, Object>> items(Map<String, Object> page) {
        return (List<Map<String, Object>>) page.get("items");
    }

    private static List<String> ids(Map<String, Object> page) {
        return items(page).stream().map(i -> (String) ((Map<String, Object>) i.get("message")).get("id")).toList();
    }

    private static String id(Map<?, ?> message) {
        return (String) message.get("id");
    }
}
