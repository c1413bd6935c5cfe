package jp.tsunagu.chat.notify;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

/** Push notifications as operators watch them: pushes sent and failed, subscriptions expired, and how long it took. */
public final class NotificationMetrics implements MeterBinder {

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile Timer latency;

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("tsunagu.push.sent", sent, AtomicLong::get)
                .description("pushes the push services took (201), one per device").register(registry);
        FunctionCounter.builder("tsunagu.push.failed", failed, AtomicLong::get)
                .description("pushes refused or not answered (each attempt)").register(registry);
        FunctionCounter.builder("tsunagu.push.expired", expired, AtomicLong::get)
                .description("subscriptions the push service said are gone (404/410), forgotten").register(registry);
        FunctionCounter.builder("tsunagu.notifications.dropped", dropped, AtomicLong::get)
                .description("notifications not sent: read, acknowledged, quiet hours, no device, ...").register(registry);
        latency = Timer.builder("tsunagu.push.latency")
                .description("from the post to the push service's answer, first round only")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    void sent(int devices) {
        sent.addAndGet(devices);
    }

    void failed() {
        failed.incrementAndGet();
    }

    void expired() {
        expired.incrementAndGet();
    }

    void dropped() {
        dropped.incrementAndGet();
    }

    void latency(Duration d) {
        Timer t = latency;
        if (t != null && !d.isNegative()) {
            t.record(d);
        }
    }

    public long sentCount() {
        return sent.get();
    }

    public long expiredCount() {
        return expired.get();
    }

    public long failedCount() {
        return failed.get();
    }
}
