package jp.tsunagu.connectors.support;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.reactor.bulkhead.operator.BulkheadOperator;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.github.resilience4j.reactor.ratelimiter.operator.RateLimiterOperator;
import io.github.resilience4j.reactor.retry.RetryOperator;
import io.github.resilience4j.reactor.timelimiter.TimeLimiterOperator;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import jp.tsunagu.connectors.sns.ConnectorException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The Resilience4j decorators of one connector instance, outermost first: Retry → CircuitBreaker →
 * RateLimiter → TimeLimiter → Bulkhead. Applied only at the I/O edge, around each call to the SNS.
 *
 * <p>Retry covers blips only (a few attempts with jittered backoff) and only for failures that may pass:
 * {@link ConnectorException.Retryable} and short {@link ConnectorException.RateLimited} waits, honouring
 * Retry-After. Anything longer is left to the caller's schedule. Errors leave the chain as
 * {@link ConnectorException}s: an open circuit, a full bulkhead or a local rate-limit wait that timed out
 * become {@code Retryable}.
 */
public final class ResilienceChain {

    /** In-line waits longer than this are the bridge's delivery schedule's business, not a blocked call's. */
    public static final Duration MAX_INLINE_WAIT = Duration.ofSeconds(5);
    /** First backoff; doubles per attempt with ±50% jitter so many rooms do not retry in step. */
    private static final Duration BASE_BACKOFF = Duration.ofMillis(200);

    private final Retry retry;
    private final Retry retryCreate;
    private final CircuitBreaker circuitBreaker;
    private final RateLimiter rateLimiter;
    private final double requestsPerSecond;
    private final TimeLimiter timeLimiter;
    private final Bulkhead bulkhead;

    /**
     * @param callTimeout per attempt; a little above the HTTP response timeout so that one wins
     */
    public ResilienceChain(String name, int maxAttempts, double requestsPerSecond, Duration callTimeout,
                           int maxConcurrentCalls) {
        this.retry = Retry.of(name, RetryConfig.custom()
                .maxAttempts(maxAttempts)
                .retryOnException(ResilienceChain::worthRetryingInLine)
                .intervalBiFunction((attempt, outcome) -> outcome.isLeft()
                        && outcome.getLeft() instanceof ConnectorException.RateLimited limited
                        ? limited.retryAfter().toMillis()
                        : backoff(attempt))
                .build());
        // A create that may have reached the SNS is not repeated in line: without an idempotency key on the
        // SNS side a repeat could post the note twice. Only refusals before processing are retried here.
        this.retryCreate = Retry.of(name + "-create", RetryConfig.custom()
                .maxAttempts(maxAttempts)
                .retryOnException(e -> worthRetryingInLine(e) && notSent(e))
                .intervalBiFunction((attempt, outcome) -> outcome.isLeft()
                        && outcome.getLeft() instanceof ConnectorException.RateLimited limited
                        ? limited.retryAfter().toMillis()
                        : backoff(attempt))
                .build());
        this.circuitBreaker = circuitBreaker(name, e -> e instanceof ConnectorException.Retryable || e instanceof TimeoutException);
        this.requestsPerSecond = requestsPerSecond;
        int perPeriod = Math.max(1, (int) Math.round(requestsPerSecond));
        this.rateLimiter = RateLimiter.of(name, RateLimiterConfig.custom()
                .limitForPeriod(perPeriod)
                .limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(MAX_INLINE_WAIT)
                .build());
        this.timeLimiter = TimeLimiter.of(name, TimeLimiterConfig.custom().timeoutDuration(callTimeout).build());
        this.bulkhead = Bulkhead.of(name, BulkheadConfig.custom().maxConcurrentCalls(maxConcurrentCalls).build());
    }

    /**
     * The circuit breaker of one edge: half of the last 20 calls (at least 10) failing means the other side is
     * in trouble, so calls stop for 30 s instead of adding load. {@code failure} says which errors count; any
     * other outcome counts as a success.
     */
    public static CircuitBreaker circuitBreaker(String name, Predicate<Throwable> failure) {
        return CircuitBreaker.of(name, CircuitBreakerConfig.custom()
                .slidingWindowSize(20)
                .minimumNumberOfCalls(10)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(30))
                .recordException(failure)
                .build());
    }

    /** For reads and idempotent writes (edit, delete, stamp): blips are retried in line. */
    public <T> Mono<T> decorate(Mono<T> call) {
        return guard(call).transformDeferred(RetryOperator.of(retry));
    }

    /**
     * For creates (post, reply, upload): retried in line only when the SNS cannot have processed the
     * request (429, connection refused before sending).
     */
    public <T> Mono<T> decorateCreate(Mono<T> call) {
        return guard(call).transformDeferred(RetryOperator.of(retryCreate));
    }

    private <T> Mono<T> guard(Mono<T> call) {
        return call
                .transformDeferred(BulkheadOperator.of(bulkhead))
                .transformDeferred(TimeLimiterOperator.of(timeLimiter))
                .transformDeferred(RateLimiterOperator.of(rateLimiter))
                .onErrorMap(ResilienceChain::asConnectorException)
                .transformDeferred(CircuitBreakerOperator.of(circuitBreaker))
                .onErrorMap(ResilienceChain::asConnectorException);
    }

    public <T> Flux<T> decorate(Flux<T> call) {
        return decorate(call.collectList()).flatMapIterable(list -> list);
    }

    /**
     * Takes a share of the request rate: {@code nodes} nodes call the same account, each at most 1/nodes of it
     * (rounded down, at least one request a second), so together they stay within the account's limit.
     */
    public void shareRate(int nodes) {
        int perPeriod = Math.max(1, (int) Math.floor(requestsPerSecond / Math.max(1, nodes)));
        if (rateLimiter.getRateLimiterConfig().getLimitForPeriod() != perPeriod) {
            rateLimiter.changeLimitForPeriod(perPeriod);
        }
    }

    /** Requests a second this node may make now; for tests and diagnostics. */
    public int rateLimit() {
        return rateLimiter.getRateLimiterConfig().getLimitForPeriod();
    }

    public CircuitBreaker.State circuitState() {
        return circuitBreaker.getState();
    }

    private static boolean worthRetryingInLine(Throwable e) {
        if (e instanceof ConnectorException.RateLimited limited) {
            return limited.retryAfter().compareTo(MAX_INLINE_WAIT) <= 0;
        }
        return e instanceof ConnectorException.Retryable && !(e.getCause() instanceof CallNotPermittedException);
    }

    private static boolean notSent(Throwable e) {
        return e instanceof ConnectorException.RateLimited
                || (e instanceof ConnectorException.Retryable retryable && retryable.notSent());
    }

    /**
     * The wait before attempt {@code attempt + 1} in milliseconds: {@link #BASE_BACKOFF} doubling per attempt,
     * ±50% jitter. For other edges' Resilience4j retries too.
     */
    public static long backoff(int attempt) {
        long base = BASE_BACKOFF.toMillis() << Math.min(attempt - 1, 6);
        return base / 2 + ThreadLocalRandom.current().nextLong(base);
    }

    private static Throwable asConnectorException(Throwable e) {
        if (e instanceof ConnectorException) {
            return e;
        }
        if (e instanceof CallNotPermittedException) {
            return ConnectorException.Retryable.notSent("circuit open: the SNS failed repeatedly", e);
        }
        if (e instanceof BulkheadFullException) {
            return ConnectorException.Retryable.notSent("too many concurrent calls to the SNS", e);
        }
        if (e instanceof RequestNotPermitted) {
            return ConnectorException.Retryable.notSent("local rate limit: no permit within " + MAX_INLINE_WAIT, e);
        }
        if (e instanceof TimeoutException) {
            return new ConnectorException.Retryable("the SNS did not answer in time", e);
        }
        return e;
    }
}
