package jp.tsunagu.chat.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class RoomLinearizerTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final RoomLinearizer linearizer = new RoomLinearizer();

    /** A task that records its start and end, fails the test on overlap, and finishes after a tiny async delay. */
    private static Mono<Integer> recording(int n, AtomicBoolean running, AtomicInteger overlaps, List<Integer> order) {
        return Mono.defer(() -> {
            if (!running.compareAndSet(false, true)) {
                overlaps.incrementAndGet();
            }
            order.add(n);
            long micros = ThreadLocalRandom.current().nextLong(0, 300);
            Mono<Long> pause = micros < 50 ? Mono.just(0L) : Mono.delay(Duration.ofNanos(micros * 1_000));
            return pause.map(ignored -> {
                running.set(false);
                return n;
            });
        });
    }

    @Test
    void tasksOfOneRoomSubmittedFromSeveralThreadsRunOneAtATimeInSubmissionOrder() throws Exception {
        int tasks = 1_000;
        AtomicBoolean running = new AtomicBoolean();
        AtomicInteger overlaps = new AtomicInteger();
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        List<Integer> results = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(tasks);
        // The linearizer queues a task when its Mono is subscribed; taking the ticket and subscribing under one
        // lock makes the ticket order the submission order, while submitters and completions run on many threads.
        Object submission = new Object();
        int[] next = {0};
        ExecutorService submitters = Executors.newFixedThreadPool(4);
        try {
            for (int t = 0; t < 4; t++) {
                submitters.execute(() -> {
                    for (int i = 0; i < tasks / 4; i++) {
                        synchronized (submission) {
                            int n = next[0]++;
                            linearizer.run("room-a", () -> recording(n, running, overlaps, order))
                                    .subscribe(results::add, e -> done.countDown(), done::countDown);
                        }
                        if (ThreadLocalRandom.current().nextInt(10) == 0) {
                            Thread.yield();
                        }
                    }
                });
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).as("all tasks finished").isTrue();
        } finally {
            submitters.shutdownNow();
        }
        assertThat(overlaps).as("tasks of one room overlapping").hasValue(0);
        assertThat(order).containsExactlyElementsOf(IntStream.range(0, tasks).boxed().toList());
        assertThat(results).hasSize(tasks);
        assertThat(linearizer.busyRooms()).as("rooms left in the tails map").isZero();
    }

    @Test
    void differentRoomsRunInParallel() {
        Sinks.One<String> bStarted = Sinks.one();
        // Room a's task can only finish once room b's task has started: serialising rooms would hang here.
        Mono<String> a = linearizer.run("room-a", () -> bStarted.asMono().map(b -> "a after " + b));
        Mono<String> b = linearizer.run("room-b", () -> Mono.fromSupplier(() -> {
            bStarted.tryEmitValue("b");
            return "b";
        }));
        StepVerifier.create(Mono.zip(a, b))
                .assertNext(t -> assertThat(t.getT1()).isEqualTo("a after b"))
                .expectComplete()
                .verify(WAIT);
        assertThat(linearizer.busyRooms()).isZero();
    }

    @Test
    void aLaterTaskOfTheSameRoomWaitsForTheEarlierOne() {
        Sinks.One<String> release = Sinks.one();
        AtomicBoolean secondStarted = new AtomicBoolean();
        Mono<String> first = linearizer.run("room-a", release::asMono);
        Mono<String> second = linearizer.run("room-a", () -> {
            secondStarted.set(true);
            return Mono.just("second");
        });
        StepVerifier.create(first)
                .then(() -> second.subscribe())
                .then(() -> assertThat(secondStarted).as("second task started before the first ended").isFalse())
                .then(() -> release.tryEmitValue("first"))
                .expectNext("first")
                .expectComplete()
                .verify(WAIT);
        assertThat(secondStarted).isTrue();
        assertThat(linearizer.busyRooms()).isZero();
    }

    @Test
    void aCancelledCallerNeitherStopsItsStartedTaskNorLetsTheNextOneStartEarly() {
        Sinks.One<String> release = Sinks.one();
        AtomicBoolean firstStarted = new AtomicBoolean();
        AtomicBoolean firstCancelled = new AtomicBoolean();
        AtomicBoolean firstStored = new AtomicBoolean();
        AtomicBoolean secondStarted = new AtomicBoolean();

        Disposable caller = linearizer.run("room-a", () -> {
            firstStarted.set(true);
            return release.asMono()
                    .doOnNext(v -> firstStored.set(true))
                    .doOnCancel(() -> firstCancelled.set(true));
        }).subscribe();
        assertThat(firstStarted).isTrue();
        caller.dispose();

        Mono<String> second = linearizer.run("room-a", () -> {
            secondStarted.set(true);
            // The second task sees the first task's effect: it ran to its end first.
            return Mono.just(firstStored.get() ? "after first" : "overtook first");
        });
        StepVerifier.create(second)
                .then(() -> {
                    assertThat(firstCancelled).as("task cancelled with its caller").isFalse();
                    assertThat(secondStarted).as("next task started while the first still ran").isFalse();
                    release.tryEmitValue("stored");
                })
                .expectNext("after first")
                .expectComplete()
                .verify(WAIT);
        assertThat(firstStored).isTrue();
        assertThat(linearizer.busyRooms()).isZero();
    }

    @Test
    void aCallerCancelledWhileQueuedDoesNotLetTheTasksBehindItOvertake() {
        Sinks.One<String> release = Sinks.one();
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        linearizer.run("room-a", () -> release.asMono().doOnNext(order::add)).subscribe();
        Disposable queued = linearizer.run("room-a", () -> Mono.fromSupplier(() -> {
            order.add("queued");
            return "queued";
        })).subscribe();
        queued.dispose();
        Mono<String> last = linearizer.run("room-a", () -> Mono.fromSupplier(() -> {
            order.add("last");
            return "last";
        }));
        StepVerifier.create(last)
                .then(() -> {
                    assertThat(order).isEmpty();
                    release.tryEmitValue("first");
                })
                .expectNext("last")
                .expectComplete()
                .verify(WAIT);
        assertThat(order).first().isEqualTo("first");
        assertThat(order).last().isEqualTo("last");
        assertThat(linearizer.busyRooms()).isZero();
    }

    @Test
    void aFailingTaskReportsItsOwnErrorAndDoesNotBlockTheNext() {
        IllegalStateException failure = new IllegalStateException("write failed");
        StepVerifier.create(linearizer.run("room-a", () -> Mono.delay(Duration.ofMillis(5)).then(Mono.error(failure))))
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(failure))
                .verify(WAIT);
        StepVerifier.create(linearizer.run("room-a", () -> {
                    throw new IllegalArgumentException("bad request");
                }))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessage("bad request"))
                .verify(WAIT);
        StepVerifier.create(linearizer.run("room-a", Mono::<String>empty))
                .expectComplete()
                .verify(WAIT);
        StepVerifier.create(linearizer.run("room-a", () -> Mono.just("next")))
                .expectNext("next")
                .expectComplete()
                .verify(WAIT);
        assertThat(linearizer.busyRooms()).isZero();
    }

    @Test
    void anErrorWhileOthersAreQueuedLetsThemRunInOrder() {
        Sinks.One<String> release = Sinks.one();
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        Mono<String> failing = linearizer.run("room-a", () -> release.asMono()
                .doOnNext(order::add)
                .then(Mono.error(new IllegalStateException("boom"))));
        Mono<String> next = linearizer.run("room-a", () -> Mono.fromSupplier(() -> {
            order.add("next");
            return "next";
        }));
        StepVerifier.create(failing)
                .then(next::subscribe)
                .then(() -> release.tryEmitValue("failing"))
                .expectErrorMessage("boom")
                .verify(WAIT);
        StepVerifier.create(linearizer.run("room-a", () -> Mono.just("after")))
                .expectNext("after")
                .expectComplete()
                .verify(WAIT);
        assertThat(order).containsExactly("failing", "next");
    }

    @Test
    void manySynchronousTasksQueuedBehindASlowOneCompleteWithoutExhaustingTheStack() {
        Sinks.One<String> release = Sinks.one();
        linearizer.run("room-a", release::asMono).subscribe();
        int queued = 20_000;
        AtomicInteger ran = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        for (int i = 0; i < queued; i++) {
            linearizer.run("room-a", () -> Mono.fromSupplier(ran::incrementAndGet))
                    .subscribe(v -> { }, e -> failed.incrementAndGet());
        }
        release.tryEmitValue("go");
        StepVerifier.create(linearizer.run("room-a", () -> Mono.just(ran.get())))
                .expectNext(queued)
                .expectComplete()
                .verify(WAIT);
        assertThat(failed).hasValue(0);
        assertThat(linearizer.busyRooms()).isZero();
    }

    @Test
    void aRoomWithLimitTasksWaitingRefusesTheNextAtOnceWithoutRunningItAndAdmitsAgainWhenOneEnds() {
        Sinks.Empty<Void> gate = Sinks.empty();
        List<java.util.concurrent.CompletableFuture<Integer>> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            held.add(linearizer.run("r", 3, () -> new IllegalStateException("busy"), () -> gate.asMono().thenReturn(n))
                    .toFuture());
        }
        assertThat(linearizer.queued("r")).isEqualTo(3);
        AtomicBoolean ran = new AtomicBoolean();
        StepVerifier.create(linearizer.run("r", 3, () -> new IllegalStateException("busy"), () -> {
                    ran.set(true);
                    return Mono.just(99);
                }))
                .expectErrorMessage("busy").verify(WAIT);
        assertThat(ran).isFalse();
        assertThat(linearizer.queued("r")).isEqualTo(3);
        StepVerifier.create(linearizer.run("other", 3, () -> new IllegalStateException("busy"), () -> Mono.just(1)))
                .expectNext(1).expectComplete().verify(WAIT);

        gate.tryEmitEmpty();
        assertThat(held.stream().map(java.util.concurrent.CompletableFuture::join).toList()).containsExactly(0, 1, 2);
        assertThat(linearizer.queued("r")).isZero();
        StepVerifier.create(linearizer.run("r", 3, () -> new IllegalStateException("busy"), () -> Mono.just(7)))
                .expectNext(7).expectComplete().verify(WAIT);
        assertThat(linearizer.queued("r")).isZero();
        assertThat(linearizer.busyRooms()).isZero();
    }

    @Test
    void failedAndUnboundedTasksCountWhileQueuedAndLeaveNoCountBehind() {
        StepVerifier.create(linearizer.run("r", () -> Mono.error(new IllegalArgumentException("no"))))
                .expectErrorMessage("no").verify(WAIT);
        StepVerifier.create(linearizer.run("r", 1, () -> new IllegalStateException("busy"), () -> {
                    throw new IllegalArgumentException("thrown");
                }))
                .expectErrorMessage("thrown").verify(WAIT);
        assertThat(linearizer.queued("r")).isZero();
        StepVerifier.create(linearizer.run("r", 1, () -> new IllegalStateException("busy"), () -> Mono.just(1)))
                .expectNext(1).expectComplete().verify(WAIT);
    }
}
