package jp.tsunagu.connectors.support.simulator;

import java.util.concurrent.atomic.AtomicReference;

/** A one-shot fault armed for the next n requests; taking it is atomic. */
public final class Armed<T> {

    private record Pending<T>(int remaining, T value) {
    }

    private final AtomicReference<Pending<T>> ref = new AtomicReference<>();

    /** Arms {@code value} for the next {@code n} takes; 0 disarms. */
    public void arm(int n, T value) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be zero or positive: " + n);
        }
        ref.set(n == 0 ? null : new Pending<>(n, value));
    }

    /** The armed value, consuming one shot, or null if none is armed. */
    public T take() {
        while (true) {
            Pending<T> p = ref.get();
            if (p == null) {
                return null;
            }
            Pending<T> next = p.remaining() > 1 ? new Pending<>(p.remaining() - 1, p.value()) : null;
            if (ref.compareAndSet(p, next)) {
                return p.value();
            }
        }
    }
}
