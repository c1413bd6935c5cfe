package jp.tsunagu.connectors.push;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import jp.tsunagu.connectors.push.simulator.PushServiceSimulator;
import jp.tsunagu.connectors.push.simulator.SimulatedDevice;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One push to one device against the push service simulator, which checks the VAPID token and decrypts as a
 * browser would (the independent check, with Node's web-push-testing and http_ece, is in ops/src/test/e2e).
 */
class WebPushSenderTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private PushServiceSimulator service;
    private WebPushSender sender;
    private SimulatedDevice device;

    @BeforeEach
    void start() {
        service = new PushServiceSimulator().start(0);
        sender = new WebPushSender(VapidKeys.generate(), "mailto:ops@example.org", Duration.ofSeconds(2),
                Duration.ofSeconds(5), Clock.systemUTC());
        device = service.subscribe();
    }

    @AfterEach
    void stop() {
        service.close();
    }

    private PushResult send(SimulatedDevice to, String payload) {
        return sender.send(new PushTarget(to.endpoint(), to.p256dh(), to.auth()),
                payload.getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(5), WebPushSender.Urgency.HIGH, "u123").block(WAIT);
    }

    @Test
    void aPushIsSignedEncryptedAndDeliveredWithItsHeaders() {
        assertThat(send(device, "{\"type\":\"message\",\"roomId\":\"r1\"}")).isEqualTo(new PushResult.Delivered(201));
        assertThat(send(device, "二通目")).isEqualTo(new PushResult.Delivered(201));

        assertThat(service.received(device.id())).extracting(PushServiceSimulator.Push::payload)
                .containsExactly("{\"type\":\"message\",\"roomId\":\"r1\"}", "二通目");
        PushServiceSimulator.Push first = service.received(device.id()).get(0);
        assertThat(first.headers()).containsEntry("TTL", "300").containsEntry("Urgency", "high")
                .containsEntry("Topic", "u123").containsEntry("Content-Encoding", "aes128gcm");
        assertThat(service.refused()).isZero();
    }

    @Test
    void pushesEncryptedOnManyThreadsAtOnceAllDecrypt() {
        java.util.List<SimulatedDevice> devices = java.util.stream.IntStream.range(0, 40).mapToObj(i -> service.subscribe()).toList();
        java.util.List<PushResult> results = reactor.core.publisher.Flux.fromIterable(devices)
                .flatMap(d -> reactor.core.publisher.Flux.range(0, 5)
                        .flatMap(i -> reactor.core.publisher.Mono.defer(() -> sender.send(
                                        new PushTarget(d.endpoint(), d.p256dh(), d.auth()),
                                        ("n" + i).getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(1),
                                        WebPushSender.Urgency.NORMAL, null))
                                .subscribeOn(reactor.core.scheduler.Schedulers.parallel())))
                .collectList().block(Duration.ofSeconds(60));

        assertThat(results).hasSize(200).allMatch(r -> r instanceof PushResult.Delivered);
        assertThat(service.refusals()).isEmpty();
    }

    @Test
    void aGoneSubscriptionIsGone() {
        service.expire(device.id());
        assertThat(send(device, "x")).isEqualTo(new PushResult.Gone(410));
    }

    @Test
    void throttlingAndServerErrorsAreRetriedLaterAsTheServiceSays() {
        service.failNext(device.id(), 429, 120);
        service.failNext(device.id(), 503, null);

        assertThat(send(device, "x")).isInstanceOfSatisfying(PushResult.RetryLater.class,
                r -> assertThat(r.after()).isEqualTo(Duration.ofSeconds(120)));
        assertThat(send(device, "x")).isInstanceOfSatisfying(PushResult.RetryLater.class,
                r -> assertThat(r.after()).isEqualTo(WebPushSender.DEFAULT_RETRY_AFTER));
        assertThat(send(device, "x")).isEqualTo(new PushResult.Delivered(201));
    }

    @Test
    void aRefusalThatRetryingCannotMendIsRejected() {
        service.failNext(device.id(), 413, null);
        assertThat(send(device, "x")).isInstanceOfSatisfying(PushResult.Rejected.class,
                r -> assertThat(r.status()).isEqualTo(413));
    }

    @Test
    void aSubscriptionWithBrokenKeysIsRejectedWithoutACall() {
        PushResult r = sender.send(new PushTarget(device.endpoint(), "not-a-key", device.auth()), new byte[]{1},
                Duration.ofMinutes(1), WebPushSender.Urgency.NORMAL, null).block(WAIT);
        assertThat(r).isInstanceOf(PushResult.Rejected.class);
        assertThat(service.received(device.id())).isEmpty();
    }

    @Test
    void aServiceThatDoesNotAnswerIsRetriedLater() {
        String closed = "http://127.0.0.1:9/push/x";
        PushResult r = sender.send(new PushTarget(closed, device.p256dh(), device.auth()), new byte[]{1},
                Duration.ofMinutes(1), WebPushSender.Urgency.NORMAL, null).block(WAIT);
        assertThat(r).isInstanceOf(PushResult.RetryLater.class);
    }

    @Test
    void aServiceThatKeepsFailingIsNotCalledWhileItsCircuitIsOpen() {
        for (int i = 0; i < 20; i++) {
            service.failNext(device.id(), 500, null);
        }
        for (int i = 0; i < 10; i++) {
            assertThat(send(device, "x")).isInstanceOf(PushResult.RetryLater.class);
        }
        PushResult open = send(device, "x");
        assertThat(open).isInstanceOfSatisfying(PushResult.RetryLater.class,
                r -> assertThat(r.reason()).contains("circuit open"));
    }
}
