package jp.tsunagu.chat.realtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;

import jp.tsunagu.chat.api.MemberView;
import jp.tsunagu.chat.realtime.StreamConnection.Frame;
import reactor.core.publisher.BaseSubscriber;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class RoomEventHubTests {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final JsonMapper json = JsonMapper.builder().build();
    private final List<RoomEventHub> hubs = new ArrayList<>();

    @AfterEach
    void closeHubs() {
        hubs.forEach(RoomEventHub::close);
    }

    private RoomEventHub hub(int threads) {
        RoomEventHub hub = new RoomEventHub(threads, json);
        hubs.add(hub);
        return hub;
    }

    /** Joins with nothing to replay, as an attach with no {@code after} does, minus the subscribed frame. */
    private static void subscribe(RoomEventHub hub, String roomId, StreamConnection connection) {
        hub.join(roomId, connection, 0).block(WAIT);
        hub.joined(roomId, connection, List.of(), 0).block(WAIT);
    }

    private static RoomEvent posted(String roomId, long seq) {
        return new RoomEvent("message.created", roomId, seq, null, null, null, null);
    }

    private static RoomEvent removed(String roomId, String userId, long seq) {
        return RoomEvent.member("member.removed",
                new MemberView(roomId, userId, userId + " 氏名", null, null, null, "member", false, seq, null, null));
    }

    private JsonNode parse(Frame frame) {
        return json.readTree(frame.json());
    }

    /** The (type, seq) of each frame, e.g. "message.created@3". */
    private List<String> described(List<Frame> frames) {
        return frames.stream().map(f -> {
            JsonNode n = parse(f);
            return n.path("type").asString() + "@" + n.path("seq").asLong();
        }).toList();
    }

    @Test
    void eventsOfOneRoomReachEverySubscriberInPublishOrderSerialisedOnce() {
        RoomEventHub hub = hub(4);
        int events = 500;
        List<StreamConnection> connections = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            StreamConnection c = new StreamConnection("user-" + i, 1_024, false);
            subscribe(hub, "room-a", c);
            connections.add(c);
        }
        LongStream.rangeClosed(1, events).forEach(seq -> hub.publish(posted("room-a", seq)));

        List<List<Frame>> received = new ArrayList<>();
        for (StreamConnection c : connections) {
            StepVerifier.create(c.frames().take(events).collectList())
                    .assertNext(frames -> {
                        assertThat(frames).extracting(Frame::seq)
                                .containsExactlyElementsOf(LongStream.rangeClosed(1, events).boxed().toList());
                        assertThat(frames).allSatisfy(f -> assertThat(f.roomId()).isEqualTo("room-a"));
                        received.add(frames);
                    })
                    .expectComplete()
                    .verify(WAIT);
        }
        assertThat(parse(received.get(0).get(41)).path("type").asString()).isEqualTo("message.created");
        assertThat(parse(received.get(0).get(41)).path("roomId").asString()).isEqualTo("room-a");
        // Serialised once: every connection holds the very same JSON string of an event.
        for (int i = 0; i < events; i++) {
            assertThat(received.get(1).get(i).json()).isSameAs(received.get(0).get(i).json());
            assertThat(received.get(2).get(i).json()).isSameAs(received.get(0).get(i).json());
        }
        assertThat(hub.publishedCount()).isEqualTo(events);
        assertThat(hub.deliveredCount()).isEqualTo(3L * events);
    }

    @Test
    void aConnectionFollowingRoomsOnDifferentHubsGetsEachRoomInOrder() {
        RoomEventHub hub = hub(4);
        StreamConnection c = new StreamConnection("user-1", 4_096, false);
        List<String> rooms = List.of("room-a", "room-b", "room-c", "room-d", "room-e", "room-f");
        rooms.forEach(r -> subscribe(hub, r, c));
        for (long seq = 1; seq <= 200; seq++) {
            for (String r : rooms) {
                hub.publish(posted(r, seq));
            }
        }
        StepVerifier.create(c.frames().take(200L * rooms.size()).collectList())
                .assertNext(frames -> {
                    for (String r : rooms) {
                        assertThat(frames.stream().filter(f -> f.roomId().equals(r)).map(Frame::seq).toList())
                                .as("frames of %s", r)
                                .containsExactlyElementsOf(LongStream.rangeClosed(1, 200).boxed().toList());
                    }
                })
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void unsubscribeAndDisconnectStopDelivery() {
        RoomEventHub hub = hub(2);
        StreamConnection leaving = new StreamConnection("leaving", 64, false);
        StreamConnection disconnecting = new StreamConnection("disconnecting", 64, false);
        StreamConnection witness = new StreamConnection("witness", 64, false);
        subscribe(hub, "room-a", leaving);
        subscribe(hub, "room-a", disconnecting);
        subscribe(hub, "room-b", disconnecting);
        subscribe(hub, "room-a", witness);
        subscribe(hub, "room-b", witness);

        hub.publish(posted("room-a", 1));
        hub.leave("room-a", leaving);
        hub.disconnect(disconnecting);
        hub.publish(posted("room-a", 2));
        hub.publish(posted("room-b", 1));

        // Once the witness has both later events, the hubs have dealt with them for everyone.
        StepVerifier.create(witness.frames().take(3).collectList())
                .assertNext(frames -> assertThat(frames).extracting(f -> f.roomId() + "@" + f.seq())
                        .containsExactlyInAnyOrder("room-a@1", "room-a@2", "room-b@1"))
                .expectComplete()
                .verify(WAIT);
        assertThat(leaving.rooms()).isEmpty();
        assertThat(disconnecting.rooms()).isEmpty();
        leaving.close(null);
        disconnecting.close(null);
        StepVerifier.create(leaving.frames().map(f -> f.roomId() + "@" + f.seq()))
                .expectNext("room-a@1")
                .expectComplete()
                .verify(WAIT);
        StepVerifier.create(disconnecting.frames().map(f -> f.roomId() + "@" + f.seq()))
                .expectNext("room-a@1")
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void aSlowSubscriberIsDroppedWithoutHoldingUpTheOthers() {
        RoomEventHub hub = hub(2);
        StreamConnection slow = new StreamConnection("slow", 4, false);
        StreamConnection fast = new StreamConnection("fast", 4, false);
        subscribe(hub, "room-a", slow);
        subscribe(hub, "room-a", fast);
        int events = 300;

        // The fast client reads as events come; the slow one never reads. Both have a queue of only 4 frames.
        StepVerifier.create(fast.frames().take(events).map(Frame::seq).collectList())
                .then(() -> LongStream.rangeClosed(1, events).forEach(seq -> hub.publish(posted("room-a", seq))))
                .assertNext(seqs -> assertThat(seqs).containsExactlyElementsOf(LongStream.rangeClosed(1, events).boxed().toList()))
                .expectComplete()
                .verify(WAIT);

        assertThat(slow.isClosed()).isTrue();
        StepVerifier.create(slow.frames().map(Frame::json))
                .expectNext("{\"type\":\"resync\",\"reason\":\"slow_consumer\"}")
                .expectComplete()
                .verify(WAIT);
        // Dropped once and removed: later events do not try it again.
        assertThat(hub.droppedConnections()).isEqualTo(1);
        hub.leave("room-a", fast);
        StreamConnection witness = new StreamConnection("witness", 4, false);
        subscribe(hub, "room-a", witness);
        hub.publish(posted("room-a", events + 1));
        StepVerifier.create(witness.frames().take(1).map(Frame::seq))
                .expectNext((long) events + 1)
                .expectComplete()
                .verify(WAIT);
        assertThat(hub.droppedConnections()).isEqualTo(1);
    }

    @Test
    void memberRemovedClosesOnlyThatUsersSubscriptionsToTheRoom() {
        RoomEventHub hub = hub(1);
        StreamConnection aliceSse = new StreamConnection("alice", 64, true);
        StreamConnection aliceWs = new StreamConnection("alice", 64, false);
        StreamConnection aliceOtherRoomSse = new StreamConnection("alice", 64, true);
        StreamConnection bobSse = new StreamConnection("bob", 64, true);
        subscribe(hub, "room-a", aliceSse);
        subscribe(hub, "room-a", aliceWs);
        subscribe(hub, "room-b", aliceWs);
        subscribe(hub, "room-b", aliceOtherRoomSse);
        subscribe(hub, "room-a", bobSse);

        hub.publish(posted("room-a", 1));
        hub.publish(removed("room-a", "alice", 2));
        hub.publish(posted("room-a", 3));
        hub.publish(posted("room-b", 1));

        // The removed user's single-room stream sees the removal, then ends.
        StepVerifier.create(aliceSse.frames().collectList())
                .assertNext(frames -> assertThat(described(frames)).containsExactly("message.created@1", "member.removed@2"))
                .expectComplete()
                .verify(WAIT);
        // The other members keep the room.
        StepVerifier.create(bobSse.frames().take(3).collectList())
                .assertNext(frames -> {
                    assertThat(bobSse.isClosed()).isFalse();
                    assertThat(described(frames)).containsExactly("message.created@1", "member.removed@2", "message.created@3");
                    assertThat(parse(frames.get(1)).path("member").path("userId").asString()).isEqualTo("alice");
                })
                .expectComplete()
                .verify(WAIT);
        // Her WebSocket drops only that room and keeps following her other room: nothing more of room-a
        // reaches it (with one hub, room-a@4 is fanned out before room-b@2).
        StepVerifier.create(aliceWs.frames().map(f -> f.roomId() + "@" + f.seq()))
                .expectNext("room-a@1", "room-a@2", "room-b@1")
                .then(() -> {
                    assertThat(aliceWs.rooms()).containsExactly("room-b");
                    hub.publish(posted("room-a", 4));
                    hub.publish(posted("room-b", 2));
                })
                .expectNext("room-b@2")
                .then(() -> assertThat(aliceWs.isClosed()).isFalse())
                .thenCancel()
                .verify(WAIT);
        // Her stream of another room is untouched.
        StepVerifier.create(aliceOtherRoomSse.frames().map(Frame::seq))
                .expectNext(1L, 2L)
                .then(() -> assertThat(aliceOtherRoomSse.isClosed()).isFalse())
                .thenCancel()
                .verify(WAIT);
    }

    @Test
    void aConnectionClosedBeforeItsSubscriptionReachesTheHubIsNotKept() {
        RoomEventHub hub = hub(1);
        // The client left while its attach waited for the room's turn; the attach still finishes and subscribes.
        StreamConnection gone = new StreamConnection("gone", 8, true);
        gone.close(null);
        hub.disconnect(gone);
        subscribe(hub, "room-a", gone);
        StreamConnection witness = new StreamConnection("witness", 8, true);
        subscribe(hub, "room-a", witness);

        hub.publish(posted("room-a", 1));
        StepVerifier.create(witness.frames().take(1).map(Frame::seq))
                .expectNext(1L)
                .expectComplete()
                .verify(WAIT);
        // Never held by the hub, so there was nothing to drop when the event came.
        assertThat(hub.droppedConnections()).isZero();
        assertThat(hub.deliveredCount()).isEqualTo(1);
    }

    @Test
    void aWriterThatStopsRequestingIsDroppedWithAResyncWhileTheOthersGetEverything() {
        RoomEventHub hub = hub(1);
        StreamConnection stalled = new StreamConnection("stalled", 4, false);
        StreamConnection reader = new StreamConnection("reader", 4, false);
        subscribe(hub, "room-a", stalled);
        subscribe(hub, "room-a", reader);
        // The stalled connection's writer is subscribed but requests nothing, like a socket that is not writable.
        List<Frame> stalledGot = new ArrayList<>();
        BaseSubscriber<Frame> stalledWriter = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
            }

            @Override
            protected void hookOnNext(Frame frame) {
                stalledGot.add(frame);
            }
        };
        stalled.frames().subscribe(stalledWriter);

        StepVerifier.create(reader.frames().take(100).map(Frame::seq).collectList())
                .then(() -> LongStream.rangeClosed(1, 100).forEach(seq -> hub.publish(posted("room-a", seq))))
                .assertNext(seqs -> assertThat(seqs).containsExactlyElementsOf(LongStream.rangeClosed(1, 100).boxed().toList()))
                .expectComplete()
                .verify(WAIT);

        assertThat(stalled.isClosed()).isTrue();
        stalledWriter.request(Long.MAX_VALUE);
        assertThat(stalledGot).extracting(Frame::json).containsExactly("{\"type\":\"resync\",\"reason\":\"slow_consumer\"}");
        assertThat(stalledWriter.isDisposed()).as("stream ended").isTrue();
        assertThat(hub.droppedConnections()).isEqualTo(1);
    }

    // ---- fed from the room event log of several nodes

    private RoomEventHub logHub() {
        RoomEventHub hub = new RoomEventHub(2, json, true);
        hubs.add(hub);
        return hub;
    }

    private LoggedEvent logged(String roomId, long seq) {
        RoomEvent event = posted(roomId, seq);
        return LoggedEvent.of(event, json.writeValueAsString(event));
    }

    @Test
    void fromTheLogDuplicatesAreDroppedSkippedNumbersSendNothingAndAGapResyncsTheRoom() {
        RoomEventHub hub = logHub();
        StreamConnection c = new StreamConnection("user-1", 64, false);
        subscribe(hub, "room-a", c);
        hub.deliver(logged("room-a", 1));
        hub.deliver(logged("room-a", 1));         // a change stream resumed a little early
        hub.deliver(LoggedEvent.skip("room-a", 2)); // taken, then not used
        hub.deliver(logged("room-a", 3));
        hub.deliver(logged("room-a", 5));         // 4 never came: the log lost it
        hub.deliver(logged("room-a", 6));         // not sent: the connection left the room with the resync
        StepVerifier.create(c.frames().take(3).map(f -> f.seq() >= 0 ? "event@" + f.seq() : parse(f).path("type").asString()
                        + ":" + parse(f).path("reason").asString()))
                .expectNext("event@1", "event@3", "resync:gap")
                .expectComplete()
                .verify(WAIT);
        assertThat(hub.resyncCount()).isEqualTo(1);
        assertThat(c.rooms()).doesNotContain("room-a");
    }

    @Test
    void aLateEventResyncsTheRoomAndLostHistoryResyncsEveryRoom() {
        RoomEventHub hub = logHub();
        StreamConnection inA = new StreamConnection("user-1", 64, false);
        StreamConnection inB = new StreamConnection("user-2", 64, false);
        subscribe(hub, "room-a", inA);
        subscribe(hub, "room-b", inB);
        hub.late("room-a", 7);
        hub.resyncAll("events_lost");
        StepVerifier.create(inA.frames().take(1).map(f -> parse(f).path("reason").asString()))
                .expectNext("late_event").expectComplete().verify(WAIT);
        StepVerifier.create(inB.frames().take(1).map(f -> parse(f).path("reason").asString() + "@" + parse(f).path("roomId").asString()))
                .expectNext("events_lost@room-b").expectComplete().verify(WAIT);
    }

    @Test
    void aClientAheadOfACatchingUpNodeIsNotSentWhatItHasAgain() {
        RoomEventHub hub = logHub();
        hub.deliver(logged("room-a", 1));
        StreamConnection c = new StreamConnection("user-1", 64, false);
        long bound = hub.join("room-a", c, 0).block(WAIT);
        assertThat(bound).isEqualTo(1);
        hub.deliver(logged("room-a", 2));         // kept for the joining connection, which has it already
        hub.joined("room-a", c, List.of(), 3).block(WAIT); // it saw up to 3 on a node further ahead
        hub.deliver(logged("room-a", 3));
        hub.deliver(logged("room-a", 4));
        StepVerifier.create(c.frames().take(1).map(Frame::seq)).expectNext(4L).expectComplete().verify(WAIT);
    }
}
