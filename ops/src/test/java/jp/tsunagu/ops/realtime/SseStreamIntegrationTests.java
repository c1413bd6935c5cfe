package jp.tsunagu.ops.realtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.realtime.StreamHandler;
import jp.tsunagu.ops.realtime.EventInbox.Event;
import jp.tsunagu.ops.support.IntegrationTestSupport;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** The SSE stream of a room, {@code GET /api/v1/rooms/{roomId}/events}, against the whole server. */
class SseStreamIntegrationTests extends IntegrationTestSupport {

    private final List<Disposable> open = new ArrayList<>();

    @AfterEach
    void closeStreams() {
        open.forEach(Disposable::dispose);
    }

    private WebClient client() {
        return WebClient.create("http://localhost:" + port);
    }

    /** Opens the stream; {@code after} and {@code lastEventId} may be null. */
    private EventInbox stream(CareUser user, String roomId, Long after, String lastEventId) {
        EventInbox inbox = new EventInbox();
        open.add(client().get()
                .uri(b -> {
                    b.path("/api/v1/rooms/{roomId}/events");
                    if (after != null) {
                        b.queryParam("after", after);
                    }
                    return b.build(roomId);
                })
                .header("Authorization", "Bearer " + token(user))
                .headers(h -> {
                    if (lastEventId != null) {
                        h.set("Last-Event-ID", lastEventId);
                    }
                })
                .accept(MediaType.TEXT_EVENT_STREAM)
                .retrieve()
                .bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() { })
                .subscribe(e -> inbox.received(e.data(), e.id()), inbox::failed, inbox::ended));
        return inbox;
    }

    private EventInbox stream(CareUser user, String roomId, Long after) {
        return stream(user, roomId, after, null);
    }

    /** Opens the stream and waits until it is attached; returns the room's sequence number at that point. */
    private long subscribed(EventInbox inbox, String roomId) {
        Event s = inbox.next("subscribed");
        assertThat(s.json().path("roomId").asString()).isEqualTo(roomId);
        assertThat(s.id()).as("control frames carry no SSE id").isNull();
        return s.seq();
    }

    private static long seq(Map<?, ?> view, String field) {
        return ((Number) view.get(field)).longValue();
    }

    private Map<?, ?> edit(CareUser user, String roomId, String messageId, String text) {
        return as(user).patch().uri("/api/v1/rooms/{r}/messages/{m}", roomId, messageId)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("text", text))
                .exchange().expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    }

    private Map<?, ?> stamp(CareUser user, String roomId, String messageId, String stamp) {
        return as(user).put().uri("/api/v1/rooms/{r}/messages/{m}/stamps/{s}", roomId, messageId, stamp)
                .exchange().expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    }

    private Map<?, ?> read(CareUser user, String roomId, long upToSeq) {
        return as(user).post().uri("/api/v1/rooms/{r}/read", roomId)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("upToSeq", upToSeq))
                .exchange().expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    }

    private static void assertStrictlyIncreasingSeqs(List<Event> events) {
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).seq()).as("seq of %s after %s", events.get(i), events.get(i - 1))
                    .isGreaterThan(events.get(i - 1).seq());
        }
    }

    @Test
    void aSubscribedMemberReceivesAPostLive() {
        Team t = team();
        EventInbox nurse = stream(t.nurse(), t.roomId(), null);
        long head = subscribed(nurse, t.roomId());

        Map<?, ?> posted = post(t.doctor(), t.roomId(), "血圧 128/76、変わりありません");

        Event created = nurse.next("message.created");
        assertThat(created.messageId()).isEqualTo(posted.get("id"));
        assertThat(created.json().path("roomId").asString()).isEqualTo(t.roomId());
        assertThat(created.json().path("message").path("text").asString()).isEqualTo("血圧 128/76、変わりありません");
        assertThat(created.seq()).isEqualTo(seq(posted, "seq")).isGreaterThan(head);
        assertThat(created.id()).as("SSE id is the sequence number").isEqualTo(Long.toString(created.seq()));
        assertThat(nurse.isEmpty()).isTrue();
    }

    @Test
    void aNonMemberCannotOpenTheStream() {
        Team t = team();
        Throwable error = stream(t.otherFacilityStranger(), t.roomId(), null).expectError();
        assertThat(error).isInstanceOf(WebClientResponseException.class);
        assertThat(((WebClientResponseException) error).getStatusCode().value()).isEqualTo(404);
    }

    @Test
    void reconnectingAfterAGapReplaysExactlyTheMissedChangesInSeqOrderThenLiveOnes() {
        Team t = team();
        EventInbox first = stream(t.nurse(), t.roomId(), null);
        subscribed(first, t.roomId());
        Map<?, ?> m1 = post(t.doctor(), t.roomId(), "m1");
        Event lastSeen = first.next("message.created");
        assertThat(lastSeen.messageId()).isEqualTo(m1.get("id"));
        open.forEach(Disposable::dispose);

        // While the nurse is away: three posts, an edit, a stamp and a read.
        Map<?, ?> m2 = post(t.doctor(), t.roomId(), "m2");
        Map<?, ?> m3 = post(t.careManager(), t.roomId(), "m3");
        Map<?, ?> m4 = post(t.doctor(), t.roomId(), "m4");
        Map<?, ?> m2edited = edit(t.doctor(), t.roomId(), (String) m2.get("id"), "m2 訂正");
        Map<?, ?> m3stamped = stamp(t.family(), t.roomId(), (String) m3.get("id"), "thanked");
        Map<?, ?> familyRead = read(t.family(), t.roomId(), seq(m4, "seq"));

        EventInbox second = stream(t.nurse(), t.roomId(), Long.parseLong(lastSeen.id()));
        List<Event> replay = second.until(e -> e.type().equals("subscribed"));
        Event subscribed = replay.remove(replay.size() - 1);

        // Each changed item once, in its current state, in the order of its latest change.
        assertThat(replay).extracting(Event::type, Event::seq).containsExactly(
                tuple("message.created", seq(m4, "seq")),
                tuple("message.edited", seq(m2edited, "changeSeq")),
                tuple("message.stamped", seq(m3stamped, "changeSeq")),
                tuple("read", seq(familyRead, "seq")));
        assertThat(replay.stream().map(Event::messageId).filter(id -> id != null).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder((String) m2.get("id"), (String) m3.get("id"), (String) m4.get("id"));
        assertThat(replay.get(1).json().path("message").path("text").asString()).isEqualTo("m2 訂正");
        assertThat(replay.get(2).json().path("message").path("stamps").get(0).path("userIds").get(0).asString())
                .isEqualTo(t.family().id());
        assertThat(replay.get(3).json().path("read").path("userId").asString()).isEqualTo(t.family().id());
        assertThat(replay).allSatisfy(e -> assertThat(e.id()).isEqualTo(Long.toString(e.seq())));
        assertThat(subscribed.seq()).as("head after the replay").isEqualTo(seq(familyRead, "seq"));

        Map<?, ?> m5 = post(t.careManager(), t.roomId(), "m5");
        Event live = second.next("message.created");
        assertThat(live.messageId()).isEqualTo(m5.get("id"));

        List<Event> all = new ArrayList<>(List.of(lastSeen));
        all.addAll(replay);
        all.add(live);
        assertStrictlyIncreasingSeqs(all);
        assertThat(second.isEmpty()).isTrue();
    }

    @Test
    void theReplayCarriesMemberAndRoomChangesToo() {
        Team t = team();
        EventInbox first = stream(t.nurse(), t.roomId(), null);
        long head = subscribed(first, t.roomId());
        open.forEach(Disposable::dispose);

        Map<?, ?> joined = as(t.careManager()).post().uri("/api/v1/rooms/{r}/members", t.roomId())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("userId", t.otherFacilityStranger().id()))
                .exchange().expectStatus().is2xxSuccessful().expectBody(Map.class).returnResult().getResponseBody();
        Map<?, ?> left = as(t.doctor()).delete().uri("/api/v1/rooms/{r}/members/{u}", t.roomId(), t.doctor().id())
                .exchange().expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        Map<?, ?> archived = as(t.careManager()).post().uri("/api/v1/rooms/{r}/archive", t.roomId())
                .exchange().expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();

        EventInbox second = stream(t.nurse(), t.roomId(), head);
        List<Event> replay = second.next(3);
        assertThat(replay).extracting(Event::type, Event::seq).containsExactly(
                tuple("member.joined", seq(joined, "seq")),
                tuple("member.removed", seq(left, "seq")),
                tuple("room.archived", seq(archived, "changeSeq")));
        assertThat(replay.get(0).json().path("member").path("userId").asString()).isEqualTo(t.otherFacilityStranger().id());
        assertThat(replay.get(1).json().path("member").path("userId").asString()).isEqualTo(t.doctor().id());
        assertThat(replay.get(1).json().path("member").path("active").asBoolean()).isFalse();
        assertThat(replay.get(2).json().path("room").path("archived").asBoolean()).isTrue();
        assertThat(subscribed(second, t.roomId())).isEqualTo(seq(archived, "changeSeq"));
    }

    @Test
    void aResumePositionThatIsNotASequenceNumberIsRefused() {
        Team t = team();
        as(t.nurse()).get().uri("/api/v1/rooms/{r}/events?after=-1", t.roomId()).accept(MediaType.TEXT_EVENT_STREAM)
                .exchange().expectStatus().isBadRequest();
        as(t.nurse()).get().uri("/api/v1/rooms/{r}/events", t.roomId()).accept(MediaType.TEXT_EVENT_STREAM)
                .header("Last-Event-ID", "yesterday")
                .exchange().expectStatus().isBadRequest();
    }

    @Test
    void theLastEventIdHeaderResumesLikeAfter() {
        Team t = team();
        EventInbox first = stream(t.nurse(), t.roomId(), null);
        subscribed(first, t.roomId());
        post(t.doctor(), t.roomId(), "before");
        Event lastSeen = first.next("message.created");
        open.forEach(Disposable::dispose);
        Map<?, ?> missed1 = post(t.doctor(), t.roomId(), "missed 1");
        Map<?, ?> missed2 = post(t.doctor(), t.roomId(), "missed 2");

        EventInbox resumed = stream(t.nurse(), t.roomId(), null, lastSeen.id());
        assertThat(resumed.next(2)).extracting(Event::messageId).containsExactly((String) missed1.get("id"), (String) missed2.get("id"));
        assertThat(subscribed(resumed, t.roomId())).isEqualTo(seq(missed2, "seq"));
        Map<?, ?> live = post(t.doctor(), t.roomId(), "live");
        assertThat(resumed.next("message.created").messageId()).isEqualTo(live.get("id"));
    }

    @Test
    void anEventSourceReconnectingToItsAfterUrlResumesFromItsLastEventId() {
        Team t = team();
        EventInbox first = stream(t.nurse(), t.roomId(), 0L);
        // after=0: the room's whole history first (its members joining), then subscribed.
        List<Event> history = first.until(e -> e.type().equals("subscribed"));
        long opened = history.get(history.size() - 1).seq();
        post(t.doctor(), t.roomId(), "seen");
        Event lastSeen = first.next("message.created");
        open.forEach(Disposable::dispose);
        Map<?, ?> missed = post(t.doctor(), t.roomId(), "missed");

        // What an EventSource sends when it reconnects: the URL it was opened with (after=0) and the id it got last.
        EventInbox resumed = stream(t.nurse(), t.roomId(), 0L, lastSeen.id());
        assertThat(resumed.next()).extracting(Event::messageId).isEqualTo(missed.get("id"));
        assertThat(subscribed(resumed, t.roomId())).isEqualTo(seq(missed, "seq")).isGreaterThan(opened);
        assertThat(resumed.isEmpty()).isTrue();
    }

    @Test
    void reconnectingWhilePostsKeepComingMissesNothingAndRepeatsNothing() {
        Team t = team();
        int total = 60;
        EventInbox first = stream(t.nurse(), t.roomId(), null);
        subscribed(first, t.roomId());
        // Posts go on in the background while the nurse drops and comes back.
        CompletableFuture<List<String>> posting = CompletableFuture.supplyAsync(() -> {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                ids.add((String) post(i % 2 == 0 ? t.doctor() : t.careManager(), t.roomId(), "経過 " + i).get("id"));
            }
            return ids;
        });

        List<Event> beforeDrop = first.next(total / 3);
        open.forEach(Disposable::dispose);
        long lastSeen = beforeDrop.get(beforeDrop.size() - 1).seq();

        EventInbox second = stream(t.nurse(), t.roomId(), lastSeen);
        List<Event> afterReconnect = new ArrayList<>();
        Set<String> seen = beforeDrop.stream().map(Event::messageId).collect(Collectors.toCollection(HashSet::new));
        while (seen.size() < total) {
            Event e = second.next();
            if (!e.type().equals("subscribed")) {
                afterReconnect.add(e);
                seen.add(e.messageId());
            }
        }
        List<String> posted = posting.join();

        List<Event> received = new ArrayList<>(beforeDrop);
        received.addAll(afterReconnect);
        assertThat(received).allSatisfy(e -> assertThat(e.type()).isEqualTo("message.created"));
        assertStrictlyIncreasingSeqs(received);
        assertThat(received).extracting(Event::messageId).containsExactlyElementsOf(posted);
        assertThat(second.isEmpty()).isTrue();
    }

    @Test
    void removingAMemberEndsThatMembersStreamAfterTheRemovedEvent() {
        Team t = team();
        EventInbox family = stream(t.family(), t.roomId(), null);
        EventInbox nurse = stream(t.nurse(), t.roomId(), null);
        subscribed(family, t.roomId());
        subscribed(nurse, t.roomId());

        as(t.careManager()).delete().uri("/api/v1/rooms/{r}/members/{u}", t.roomId(), t.family().id())
                .exchange().expectStatus().isOk();

        Event removed = family.next("member.removed");
        assertThat(removed.json().path("member").path("userId").asString()).isEqualTo(t.family().id());
        assertThat(removed.json().path("member").path("active").asBoolean()).isFalse();
        family.expectEnd();

        // The others keep their stream.
        assertThat(nurse.next("member.removed").seq()).isEqualTo(removed.seq());
        Map<?, ?> after = post(t.careManager(), t.roomId(), "ご家族の退室を確認しました");
        assertThat(nurse.next("message.created").messageId()).isEqualTo(after.get("id"));

        // And the removed member cannot come back with a resume.
        Throwable error = stream(t.family(), t.roomId(), removed.seq() - 1).expectError();
        assertThat(((WebClientResponseException) error).getStatusCode().value()).isEqualTo(404);
    }

    @Test
    void aReplayUpToTheReplayLimitIsDeliveredAndBeyondItTheClientIsToldToResync() {
        Team t = team();
        EventInbox first = stream(t.nurse(), t.roomId(), null);
        long before = subscribed(first, t.roomId());
        open.forEach(Disposable::dispose);

        int posts = StreamHandler.REPLAY_LIMIT + 1;
        WebClient doctor = client().mutate().defaultHeader("Authorization", "Bearer " + token(t.doctor())).build();
        List<Long> seqs = Flux.range(0, posts)
                .flatMap(i -> doctor.post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                        .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("text", "記録 " + i))
                        .retrieve().bodyToMono(Map.class), 4)
                .map(m -> seq(m, "seq"))
                .sort()
                .collectList()
                .block(Duration.ofMinutes(3));
        assertThat(seqs).hasSize(posts);

        // Exactly REPLAY_LIMIT changes after the first post: replayed in full.
        EventInbox behind = stream(t.nurse(), t.roomId(), seqs.get(0));
        List<Event> replay = behind.next(StreamHandler.REPLAY_LIMIT);
        assertThat(replay).extracting(Event::seq).containsExactlyElementsOf(seqs.subList(1, posts));
        assertThat(subscribed(behind, t.roomId())).isEqualTo(seqs.get(posts - 1));

        // One more: too far behind, reload over REST.
        EventInbox tooFar = stream(t.nurse(), t.roomId(), before);
        Event resync = tooFar.next("resync");
        assertThat(resync.json().path("reason").asString()).isEqualTo("too_far_behind");
        assertThat(resync.json().path("roomId").asString()).isEqualTo(t.roomId());
        tooFar.expectEnd();
    }
}
