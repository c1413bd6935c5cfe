package jp.tsunagu.chat.realtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;

import jp.tsunagu.chat.realtime.StreamConnection.Frame;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import static org.assertj.core.api.Assertions.assertThat;

class StreamConnectionTests {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Frame SLOW_CONSUMER = Frame.control("{\"type\":\"resync\",\"reason\":\"slow_consumer\"}");
    private static final Frame HEARTBEAT = Frame.control("{\"type\":\"heartbeat\"}");

    private static Frame event(long seq) {
        return new Frame("room-1", seq, "{\"type\":\"message.created\",\"roomId\":\"room-1\",\"seq\":" + seq + "}");
    }

    @Test
    void framesQueuedBeforeAndAfterSubscriptionArriveInOfferOrder() {
        StreamConnection connection = new StreamConnection("u1", 16, false);
        for (long seq = 1; seq <= 10; seq++) {
            assertThat(connection.offer(event(seq))).isTrue();
        }
        StepVerifier.create(connection.frames())
                .expectNextSequence(IntStream.rangeClosed(1, 10).mapToObj(StreamConnectionTests::event).toList())
                .then(() -> {
                    for (long seq = 11; seq <= 20; seq++) {
                        assertThat(connection.offer(event(seq))).isTrue();
                    }
                })
                .expectNextSequence(IntStream.rangeClosed(11, 20).mapToObj(StreamConnectionTests::event).toList())
                .then(() -> connection.close(null))
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void framesOfferedFromTwoThreadsKeepEachThreadsOrderAndNoneIsLost() throws Exception {
        StreamConnection connection = new StreamConnection("u1", 4_096, false);
        List<Frame> received = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch complete = new CountDownLatch(1);
        connection.frames().subscribe(received::add, e -> { }, complete::countDown);
        // One thread stands for the replay on the room's turn, the other for a hub's live fan-out.
        Thread replay = new Thread(() -> IntStream.range(0, 1_000).forEach(i -> connection.offer(new Frame("a", i, "a" + i))));
        Thread live = new Thread(() -> IntStream.range(0, 1_000).forEach(i -> connection.offer(new Frame("b", i, "b" + i))));
        replay.start();
        live.start();
        replay.join();
        live.join();
        connection.close(null);
        assertThat(complete.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(received).hasSize(2_000);
        assertThat(received.stream().filter(f -> f.roomId().equals("a")).map(Frame::seq).toList())
                .containsExactlyElementsOf(LongStream.range(0, 1_000).boxed().toList());
        assertThat(received.stream().filter(f -> f.roomId().equals("b")).map(Frame::seq).toList())
                .containsExactlyElementsOf(LongStream.range(0, 1_000).boxed().toList());
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 10, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void anOfferDoesNotWaitForAnotherThreadThatIsWritingToTheSameConnection() throws Exception {
        StreamConnection connection = new StreamConnection("u1", 16, false);
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Frame> received = Collections.synchronizedList(new ArrayList<>());
        connection.frames().subscribe(f -> {
            received.add(f);
            if (f.seq() == 1) {
                // The writer is busy with the first frame (a socket write on the thread that offered it).
                writing.countDown();
                await(release);
            }
        });
        Thread first = new Thread(() -> connection.offer(event(1)));
        first.start();
        assertThat(writing.await(5, TimeUnit.SECONDS)).isTrue();
        // A hub offering meanwhile returns at once (a lock here held the hub for the other thread's write);
        // the thread already writing delivers the frame after its own, in order.
        assertThat(connection.offer(event(2))).isTrue();
        assertThat(received).containsExactly(event(1));
        release.countDown();
        first.join();
        assertThat(received).containsExactly(event(1), event(2));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aFullQueueEndsTheStreamWithAResyncFrameInsteadOfBufferingMore() {
        int capacity = 5;
        StreamConnection connection = new StreamConnection("u1", capacity, false);
        StepVerifier.create(connection.frames(), 0)
                .thenRequest(2)
                .then(() -> {
                    assertThat(connection.offer(event(1))).isTrue();
                    assertThat(connection.offer(event(2))).isTrue();
                })
                .expectNext(event(1), event(2))
                .then(() -> {
                    // No demand now: the next frames wait in the queue, which holds exactly `capacity` of them.
                    for (long seq = 3; seq < 3 + capacity; seq++) {
                        assertThat(connection.offer(event(seq))).as("frame %d fits", seq).isTrue();
                    }
                    assertThat(connection.isClosed()).isFalse();
                    assertThat(connection.offer(event(3 + capacity))).as("frame beyond the capacity").isFalse();
                    assertThat(connection.isClosed()).isTrue();
                    assertThat(connection.offer(event(100))).as("frame after the overflow").isFalse();
                })
                .thenRequest(Long.MAX_VALUE)
                // The queued frames are skipped: the client reloads anyway, and they would only delay the hint.
                .expectNext(SLOW_CONSUMER)
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void aConnectionNobodyReadsYetHoldsAtMostItsCapacity() {
        for (int capacity : new int[] {1, 3, 10, 100, StreamConnection.DEFAULT_QUEUE_CAPACITY}) {
            StreamConnection connection = new StreamConnection("u1", capacity, false);
            int accepted = 0;
            while (connection.offer(event(accepted + 1))) {
                accepted++;
                if (accepted > capacity * 4) {
                    break;
                }
            }
            assertThat(accepted).as("frames accepted with capacity %d", capacity).isEqualTo(capacity);
            StepVerifier.create(connection.frames())
                    .expectNext(SLOW_CONSUMER)
                    .expectComplete()
                    .verify(WAIT);
        }
    }

    @Test
    void aReplayLongerThanTheQueueIsQueuedWholeWhileLiveFramesStillGetOnlyTheCapacity() {
        int capacity = 4;
        StreamConnection connection = new StreamConnection("u1", capacity, true);
        List<Frame> replay = LongStream.rangeClosed(1, 100).mapToObj(StreamConnectionTests::event).toList();
        Frame subscribed = Frame.control("{\"type\":\"subscribed\",\"roomId\":\"room-1\",\"seq\":100}");

        // Nobody reads yet (an SSE replay runs before the response is written).
        assertThat(connection.offerReplay(replay)).isTrue();
        assertThat(connection.offer(subscribed)).isTrue();
        for (long seq = 101; seq < 101 + capacity - 1; seq++) {
            assertThat(connection.offer(event(seq))).as("live frame %d", seq).isTrue();
        }
        assertThat(connection.offer(event(200))).as("live frame beyond the capacity").isFalse();
        StepVerifier.create(connection.frames())
                .expectNext(SLOW_CONSUMER)
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void onceTheReplayIsTakenTheQueueIsBackToItsCapacity() {
        int capacity = 4;
        StreamConnection connection = new StreamConnection("u1", capacity, false);
        List<Frame> replay = LongStream.rangeClosed(1, 100).mapToObj(StreamConnectionTests::event).toList();
        assertThat(connection.offerReplay(replay)).isTrue();
        StepVerifier.create(connection.frames(), 0)
                .thenRequest(100)
                .expectNextSequence(replay)
                .then(() -> {
                    for (long seq = 101; seq < 101 + capacity; seq++) {
                        assertThat(connection.offer(event(seq))).as("live frame %d", seq).isTrue();
                    }
                    assertThat(connection.offer(event(200))).as("live frame beyond the capacity").isFalse();
                })
                .thenRequest(Long.MAX_VALUE)
                .expectNext(SLOW_CONSUMER)
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void aReplayToAClosedConnectionIsRefused() {
        StreamConnection connection = new StreamConnection("u1", 4, false);
        connection.close(null);
        assertThat(connection.offerReplay(List.of(event(1)))).isFalse();
        StepVerifier.create(connection.frames()).expectComplete().verify(WAIT);
    }

    @Test
    void closeSendsWhatIsQueuedThenTheFinalFrameThenEnds() {
        StreamConnection connection = new StreamConnection("u1", 8, true);
        Frame bye = Frame.control("{\"type\":\"resync\",\"reason\":\"removed\"}");
        connection.offer(event(1));
        connection.offer(event(2));
        connection.close(bye);
        assertThat(connection.isClosed()).isTrue();
        assertThat(connection.offer(event(3))).isFalse();
        connection.close(Frame.control("{\"type\":\"second close\"}"));
        StepVerifier.create(connection.frames())
                .expectNext(event(1), event(2), bye)
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void closeWithoutAFinalFrameEndsALiveStream() {
        StreamConnection connection = new StreamConnection("u1", 8, true);
        StepVerifier.create(connection.frames())
                .then(() -> connection.offer(event(1)))
                .expectNext(event(1))
                .then(() -> connection.close(null))
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void heartbeatsInterleaveWithFramesAndStopWhenTheFramesEnd() {
        StreamConnection connection = new StreamConnection("u1", 8, false);
        StepVerifier.withVirtualTime(() -> connection.frames(
                        Flux.interval(Duration.ofSeconds(25)).map(i -> HEARTBEAT).share()))
                .expectSubscription()
                .expectNoEvent(Duration.ofSeconds(24))
                .thenAwait(Duration.ofSeconds(1))
                .expectNext(HEARTBEAT)
                .then(() -> connection.offer(event(1)))
                .expectNext(event(1))
                .thenAwait(Duration.ofSeconds(50))
                .expectNext(HEARTBEAT, HEARTBEAT)
                .then(() -> connection.close(null))
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void aStalledConnectionDoesNotBreakTheSharedHeartbeatOfTheOthers() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        Flux<Frame> heartbeat = Flux.interval(Duration.ofSeconds(25), Duration.ofSeconds(25), time)
                .map(i -> HEARTBEAT)
                .share();

        // A client that stopped reading: its writer asked for one frame and never for more.
        StreamConnection stalled = new StreamConnection("stalled", 8, false);
        AtomicReference<Throwable> stalledError = new AtomicReference<>();
        stalled.frames(heartbeat).subscribe(new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                subscription.request(1);
            }

            @Override
            protected void hookOnError(Throwable error) {
                stalledError.set(error);
            }
        });

        StreamConnection healthy = new StreamConnection("healthy", 8, false);
        List<Frame> received = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> healthyError = new AtomicReference<>();
        healthy.frames(heartbeat).subscribe(received::add, healthyError::set);

        // Four hours of heartbeats.
        int ticks = 4 * 60 * 60 / 25;
        time.advanceTimeBy(Duration.ofSeconds(25L * ticks));

        assertThat(healthyError.get()).as("error on the healthy connection").isNull();
        assertThat(stalledError.get()).as("error on the stalled connection").isNull();
        assertThat(received).hasSize(ticks).containsOnly(HEARTBEAT);
        healthy.close(null);
        stalled.close(null);
        time.dispose();
    }
}
