package jp.tsunagu.ops.api;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;

import jp.tsunagu.ops.api.ApiTestClient.Response;
import jp.tsunagu.ops.support.IntegrationTestSupport;

import static jp.tsunagu.ops.api.ApiTestClient.assertProblem;
import static jp.tsunagu.ops.api.ApiTestClient.delete;
import static jp.tsunagu.ops.api.ApiTestClient.get;
import static jp.tsunagu.ops.api.ApiTestClient.send;
import static org.assertj.core.api.Assertions.assertThat;

/** Pins the whole room sees, bookmarks only their owner sees. */
@SuppressWarnings("unchecked")
class PinsIntegrationTests extends IntegrationTestSupport {

    @Test
    void aMemberPinsTheCarePlanForEveryoneAndTheFamilyReadsButDoesNotPin() {
        Team t = team();
        String plan = (String) post(t.careManager(), t.roomId(), "ケアプラン（12月）: 訪問看護 週2回、訪問介護 週3回").get("id");
        String contacts = (String) post(t.nurse(), t.roomId(), "緊急連絡先: ひかり訪問看護 24時間 0480-00-0000").get("id");

        Response pinned = send(as(t.nurse()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/pin", null, t.roomId(), plan);
        assertThat(pinned.status()).as("%s", pinned).isEqualTo(200);
        assertThat(((Map<String, Object>) pinned.map().get("pin")).get("by")).isEqualTo(t.nurse().id());
        long seq = ((Number) pinned.map().get("changeSeq")).longValue();
        Response again = send(as(t.nurse()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/pin", null, t.roomId(), plan);
        assertThat(((Number) again.map().get("changeSeq")).longValue()).as("pinning twice changes nothing").isEqualTo(seq);
        send(as(t.careManager()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/pin", null, t.roomId(), contacts);

        assertThat(get(as(t.family()), "/api/v1/rooms/{r}/pins", t.roomId()).list())
                .extracting(m -> ((Map<String, Object>) m).get("id")).containsExactly(contacts, plan);
        assertProblem(send(as(t.family()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/pin", null, t.roomId(), plan), 403);
        assertProblem(get(as(t.otherFacilityStranger()), "/api/v1/rooms/{r}/pins", t.roomId()), 404);

        Response unpinned = delete(as(t.careManager()), "/api/v1/rooms/{r}/messages/{m}/pin", t.roomId(), plan);
        assertThat(unpinned.map().get("pin")).isNull();
        assertThat(get(as(t.doctor()), "/api/v1/rooms/{r}/pins", t.roomId()).list())
                .extracting(m -> ((Map<String, Object>) m).get("id")).containsExactly(contacts);
    }

    @Test
    void bookmarksArePrivateAndGoWithTheRoomWhenIAmRemoved() {
        Team t = team();
        String note = (String) post(t.doctor(), t.roomId(), "ワーファリン 2mg に減量。INR 2.0〜3.0 を目標").get("id");
        Response saved = send(as(t.nurse()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/bookmark", null, t.roomId(), note);
        assertThat(saved.status()).isEqualTo(204);
        send(as(t.nurse()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/bookmark", null, t.roomId(), note);

        assertThat(get(as(t.nurse()), "/api/v1/bookmarks").list()).extracting(m -> ((Map<String, Object>) m).get("id"))
                .as("saved twice, kept once").containsExactly(note);
        assertThat(get(as(t.doctor()), "/api/v1/bookmarks").list()).as("the author does not see it").isEmpty();
        assertProblem(send(as(t.otherFacilityStranger()), HttpMethod.PUT, "/api/v1/rooms/{r}/messages/{m}/bookmark", null,
                t.roomId(), note), 404);

        delete(as(t.careManager()), "/api/v1/rooms/{r}/members/{u}", t.roomId(), t.nurse().id());
        assertThat(get(as(t.nurse()), "/api/v1/bookmarks").list()).as("no longer a member: nothing of the room").isEmpty();
    }
}
