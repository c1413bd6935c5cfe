package jp.tsunagu.connectors.support.simulator;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import reactor.netty.http.server.HttpServerRoutes;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every simulator of an external system offers: its own server on 127.0.0.1, a client-credentials token
 * endpoint at {@value #TOKEN_PATH}, and the fault injection other modules' tests use. Fault injection is
 * thread-safe and can be switched while requests run; the one-shot faults apply to API calls only, not to
 * token requests (the subclass says in which order a call meets them and how a failure reads).
 *
 * @param <S> the simulator itself, so that the fluent setters keep its type
 */
public abstract class Simulator<S extends Simulator<S>> implements AutoCloseable {

    public static final String TOKEN_PATH = "/oauth/token";

    protected final SimTokens tokens;
    private final SimServer server;
    private volatile boolean down;
    private final Armed<Integer> failNext = new Armed<>();
    private final Armed<Duration> delayNext = new Armed<>();
    private final Armed<Boolean> resetNext = new Armed<>();
    private final Armed<Boolean> malformedNext = new Armed<>();
    private final LongAdder tokenRequests = new LongAdder();

    /**
     * @param name names the server's threads
     * @param now the simulator's clock for token expiry
     * @param realm the Basic realm of refused token requests
     */
    protected Simulator(String name, JsonMapper mapper, Supplier<Instant> now, String realm) {
        this.server = new SimServer(name);
        this.tokens = new SimTokens(mapper, now, realm);
    }

    /** The routes served, the token endpoint among them. */
    protected abstract void routes(HttpServerRoutes routes);

    @SuppressWarnings("unchecked")
    protected final S self() {
        return (S) this;
    }

    // ==== lifecycle =================================================================================================

    /** Binds 127.0.0.1:{@code port} (0 for a free port) and serves until {@link #close()}. */
    public S start(int port) {
        server.start(port, this::routes);
        return self();
    }

    public int port() {
        return server.port();
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String baseUrl() {
        return server.baseUrl();
    }

    /** {@code baseUrl() + "/oauth/token"}. */
    public String tokenUrl() {
        return baseUrl() + TOKEN_PATH;
    }

    @Override
    public void close() {
        server.close();
    }

    // ==== tokens ====================================================================================================

    /** TTL of tokens issued from now on (default one hour); {@link Duration#ZERO} issues tokens already expired. */
    public S tokenTtl(Duration ttl) {
        tokens.ttl(ttl);
        return self();
    }

    /** Forgets every issued token: the next API call of each client gets 401. */
    public S revokeTokens() {
        tokens.revokeAll();
        return self();
    }

    public long tokenRequests() {
        return tokenRequests.sum();
    }

    protected final void countTokenRequest() {
        tokenRequests.increment();
    }

    protected final void resetTokenRequests() {
        tokenRequests.reset();
    }

    // ==== fault injection ===========================================================================================

    /** While down, every request (token requests too) is answered 503. */
    public S down(boolean down) {
        this.down = down;
        return self();
    }

    /** The next {@code n} API calls are answered {@code status} with the simulator's error body. */
    public S failNext(int n, int status) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status " + status);
        }
        failNext.arm(n, status);
        return self();
    }

    /** The next {@code n} API calls take effect at once but are answered only after {@code delay}. */
    public S delayNext(int n, Duration delay) {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("delay must be zero or positive");
        }
        delayNext.arm(n, delay);
        return self();
    }

    /** The next {@code n} API calls are dropped: connection closed before anything is done or answered. */
    public S resetNext(int n) {
        resetNext.arm(n, Boolean.TRUE);
        return self();
    }

    /** The next {@code n} API calls take effect but are answered 200 with a body that is not valid JSON. */
    public S malformedNext(int n) {
        malformedNext.arm(n, Boolean.TRUE);
        return self();
    }

    /** Turns off every fault (down, pending one-shot faults); keeps token TTL. */
    public S clearFaults() {
        down = false;
        failNext.arm(0, null);
        delayNext.arm(0, null);
        resetNext.arm(0, null);
        malformedNext.arm(0, null);
        return self();
    }

    protected final boolean isDown() {
        return down;
    }

    /** The status armed by {@link #failNext}, consuming one shot, or null. */
    protected final Integer takeFailure() {
        return failNext.take();
    }

    /** The delay armed by {@link #delayNext}, consuming one shot, or null. */
    protected final Duration takeDelay() {
        return delayNext.take();
    }

    /** Whether {@link #resetNext} is armed, consuming one shot. */
    protected final boolean takeReset() {
        return resetNext.take() != null;
    }

    /** Whether {@link #malformedNext} is armed, consuming one shot. */
    protected final boolean takeMalformed() {
        return malformedNext.take() != null;
    }
}
