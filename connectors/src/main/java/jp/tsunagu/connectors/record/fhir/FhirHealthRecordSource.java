package jp.tsunagu.connectors.record.fhir;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.reactor.bulkhead.operator.BulkheadOperator;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.github.resilience4j.reactor.retry.RetryOperator;
import io.github.resilience4j.reactor.timelimiter.TimeLimiterOperator;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.netty.channel.ChannelOption;
import jp.tsunagu.connectors.record.HealthRecordException;
import jp.tsunagu.connectors.record.HealthRecordSource;
import jp.tsunagu.connectors.record.RecordItem;
import jp.tsunagu.connectors.record.RecordQuery;
import jp.tsunagu.connectors.support.ClientCredentialsFilter;
import jp.tsunagu.connectors.support.ResilienceChain;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.JsonNode;

/**
 * Health records from a FHIR R4 server (JP Core shapes), read with FHIR searches over a reactive WebClient.
 *
 * <p>A read resolves the resident to the server's Patient ({@code Patient?identifier={system}|{residentId}},
 * cached like answers), searches the category (see {@link FhirSearch}; docs/CONNECTORS.md has the table),
 * follows {@code next} links until {@link FhirSourceProperties#maxItems()} items, maps the resources
 * ({@link FhirMapping}) and answers newest first. What the server returns that is not of the asked patient,
 * category or dates is dropped here, whatever the server did with the search parameters.
 *
 * <p>Each HTTP call goes through Resilience4j, outermost first: Retry (5xx and I/O blips, {@value #MAX_ATTEMPTS}
 * attempts, jittered backoff; not timeouts, which would only make the reader wait longer) → CircuitBreaker →
 * TimeLimiter ({@link FhirSourceProperties#timeout()}, the token request included) → Bulkhead
 * ({@value #MAX_CONCURRENT_CALLS} calls). Answers are cached (Caffeine, {@link FhirSourceProperties#cacheTtl()});
 * concurrent reads of the same query share one fetch; failures are not cached.
 *
 * <p>Errors are {@link HealthRecordException}s only: {@code Unavailable} for timeouts, connection errors,
 * 5xx after retries, an open circuit, a full bulkhead, token endpoint failures and 401/403 (after one token
 * refresh) or any other refusal; {@code Malformed} for answers that are not JSON, not a Bundle, resources
 * missing what their category needs, a next link off the server, several Patients for one resident;
 * {@code UnknownResident} when no Patient carries the resident's identifier. Nothing blocks.
 */
public final class FhirHealthRecordSource implements HealthRecordSource, AutoCloseable {

    /** A page of 100 resources stays well under a megabyte on a regional link; the answer limit takes 5 of them. */
    static final int PAGE_SIZE = 100;
    /**
     * Pages read at most for one query: the default item limit needs 5; a server with smaller pages still
     * gets ten times that, and a server whose next links never end cannot keep a read going.
     */
    static final int MAX_PAGES = 50;
    /** Two retries cover a blip (a restarted pod, a dropped connection) within a reader's patience. */
    static final int MAX_ATTEMPTS = 3;
    /**
     * Calls to the server in flight from this node: a room view reads a few categories at once; 16 lets
     * several views load together, and more would only queue at a regional server whose limits are unknown.
     */
    static final int MAX_CONCURRENT_CALLS = 16;
    /** Largest answer read; a page of {@value #PAGE_SIZE} resources with narratives is far below. */
    static final int MAX_ANSWER_BYTES = 4 * 1024 * 1024;

    private static final MediaType FHIR_JSON = MediaType.parseMediaType("application/fhir+json");
    private static final Comparator<RecordItem> NEWEST_FIRST = Comparator
            .comparing(RecordItem::effective, Comparator.nullsLast(Comparator.<OffsetDateTime>reverseOrder()))
            .thenComparing(RecordItem::id);

    private final FhirSourceProperties properties;
    private final WebClient web;
    private final ConnectionProvider pool;
    private final FhirMapping mapping;
    private final AsyncCache<RecordQuery, List<RecordItem>> answers;
    private final AsyncCache<String, String> patients;
    private final Retry retry;
    private final CircuitBreaker circuitBreaker;
    private final TimeLimiter timeLimiter;
    private final Bulkhead bulkhead;

    /** A source with its own connection pool, token cache, answer cache and Resilience4j chain. */
    public static FhirHealthRecordSource create(FhirSourceProperties properties) {
        return create(properties, Ticker.systemTicker());
    }

    /** With the cache on {@code ticker} (tests move time without waiting). */
    static FhirHealthRecordSource create(FhirSourceProperties p, Ticker ticker) {
        // Pool sized to the bulkhead: more connections than concurrent calls would never be used.
        ConnectionProvider pool = ConnectionProvider.builder("fhir-" + p.id())
                .maxConnections(MAX_CONCURRENT_CALLS)
                .pendingAcquireTimeout(p.timeout())
                .build();
        HttpClient http = HttpClient.create(pool)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) p.timeout().toMillis());
        ReactorClientHttpConnector connector = new ReactorClientHttpConnector(http);
        WebClient.Builder web = WebClient.builder()
                .clientConnector(connector)
                .codecs(c -> c.defaultCodecs().maxInMemorySize(MAX_ANSWER_BYTES));
        if (p.tokenUrl() != null) {
            List<String> scopes = p.scope() == null ? List.of() : List.of(p.scope().split("[\\s,]+"));
            web.filter(ClientCredentialsFilter.create("fhir-" + p.id(), p.tokenUrl(), p.clientId(), p.clientSecret(),
                    scopes, connector, Clock.systemUTC(), new ClientCredentialsFilter.TokenFailures(
                            HealthRecordException.Unavailable::new, HealthRecordException.Unavailable::new)));
        }
        return new FhirHealthRecordSource(p, web.build(), pool, ticker);
    }

    private FhirHealthRecordSource(FhirSourceProperties properties, WebClient web, ConnectionProvider pool, Ticker ticker) {
        this.properties = properties;
        this.web = web;
        this.pool = pool;
        this.mapping = new FhirMapping(properties.baseUrl());
        this.answers = cache(properties, ticker);
        this.patients = cache(properties, ticker);
        String name = "fhir-" + properties.id();
        this.retry = Retry.of(name, RetryConfig.custom()
                .maxAttempts(MAX_ATTEMPTS)
                .retryOnException(FhirHealthRecordSource::blip)
                .intervalBiFunction((attempt, outcome) -> ResilienceChain.backoff(attempt))
                .build());
        // The SNS connectors' thresholds: an open circuit also spares every reader the wait for the timeout.
        this.circuitBreaker = ResilienceChain.circuitBreaker(name,
                e -> blip(e) || e instanceof TimeoutException || e instanceof HealthRecordException.Unavailable);
        this.timeLimiter = TimeLimiter.of(name, TimeLimiterConfig.custom().timeoutDuration(properties.timeout()).build());
        this.bulkhead = Bulkhead.of(name, BulkheadConfig.custom().maxConcurrentCalls(MAX_CONCURRENT_CALLS).build());
    }

    private static <K, V> AsyncCache<K, V> cache(FhirSourceProperties p, Ticker ticker) {
        return Caffeine.newBuilder()
                .expireAfterWrite(p.cacheTtl())
                .maximumSize(p.cacheMaxEntries())
                .ticker(ticker)
                .buildAsync();
    }

    @Override
    public String id() {
        return properties.id();
    }

    /**
     * The query's items, newest first, at most {@link FhirSourceProperties#maxItems()}; from the cache when
     * the same query was answered within the TTL. Fails with a {@link HealthRecordException} only (a null
     * query is a programming error: NullPointerException at once).
     */
    @Override
    public Mono<List<RecordItem>> read(RecordQuery query) {
        Objects.requireNonNull(query, "query");
        return cached(answers, query, this::fetch)
                .onErrorMap(e -> !(e instanceof HealthRecordException), FhirHealthRecordSource::unexpected);
    }

    /** The circuit's state, for health checks. */
    public CircuitBreaker.State circuitState() {
        return circuitBreaker.getState();
    }

    /** Closes the connection pool. */
    @Override
    public void close() {
        pool.dispose();
    }

    CircuitBreaker circuitBreaker() {
        return circuitBreaker;
    }

    private Mono<List<RecordItem>> fetch(RecordQuery q) {
        FhirSearch.Plan plan = FhirSearch.plan(q.category());
        return patientId(q.residentId()).flatMap(patientId -> {
            URI first = FhirSearch.firstPage(properties.baseUrl(), plan, patientId, q.from(), q.to(),
                    Math.min(PAGE_SIZE, properties.maxItems()));
            return pages(first, q, plan, patientId, new ArrayList<>(), 1);
        }).map(items -> {
            items.sort(NEWEST_FIRST);
            return List.copyOf(items.size() > properties.maxItems() ? items.subList(0, properties.maxItems()) : items);
        });
    }

    private Mono<String> patientId(String residentId) {
        return cached(patients, residentId, r -> get(FhirSearch.patient(properties.baseUrl(),
                properties.patientIdentifierSystem(), r))
                .map(bundle -> mapping.patientId(bundle, properties.patientIdentifierSystem(), r)));
    }

    /**
     * The cached answer, or one fetch shared by all who ask while it runs. A failed fetch is dropped from the
     * cache before its error reaches anyone (Caffeine drops it too, but only after the callbacks registered
     * later, ours among them, have run), so the next read asks the server again.
     */
    private static <K, V> Mono<V> cached(AsyncCache<K, V> cache, K key, Function<K, Mono<V>> fetch) {
        return Mono.defer(() -> {
            CompletableFuture<V> future = cache.get(key, (k, executor) -> fetch.apply(k).toFuture());
            // suppressCancel: one reader giving up must not cancel the fetch others share.
            return Mono.fromFuture(future, true).doOnError(e -> cache.asMap().remove(key, future));
        });
    }

    /** Reads pages one after the other, keeping what concerns the query, until enough or no next link. */
    private Mono<List<RecordItem>> pages(URI page, RecordQuery q, FhirSearch.Plan plan, String patientId,
                                         List<RecordItem> kept, int pageNumber) {
        return get(page).flatMap(bundle -> {
            for (JsonNode resource : mapping.resources(bundle)) {
                if (!mapping.concerns(resource, plan, q.category(), patientId)) {
                    continue;
                }
                OffsetDateTime effective = mapping.effective(resource);
                if (FhirMapping.within(effective, q.from(), q.to())) {
                    kept.add(mapping.item(resource, q.category(), effective));
                }
            }
            Optional<URI> next = mapping.next(bundle);
            if (next.isEmpty() || kept.size() >= properties.maxItems() || pageNumber >= MAX_PAGES) {
                return Mono.just(kept);
            }
            return pages(next.get(), q, plan, patientId, kept, pageNumber + 1);
        });
    }

    /** One GET through the Resilience4j chain: the Bundle, or a {@link HealthRecordException}. */
    private Mono<JsonNode> get(URI uri) {
        return web.get().uri(uri).accept(FHIR_JSON, MediaType.APPLICATION_JSON)
                .exchangeToMono(response -> response.statusCode().is2xxSuccessful()
                        ? response.bodyToMono(String.class).defaultIfEmpty("").map(mapping::bundle)
                        : refused(response))
                .transformDeferred(BulkheadOperator.of(bulkhead))
                .transformDeferred(TimeLimiterOperator.of(timeLimiter))
                .transformDeferred(CircuitBreakerOperator.of(circuitBreaker))
                .transformDeferred(RetryOperator.of(retry))
                .onErrorMap(e -> !(e instanceof HealthRecordException), e -> asHealthRecordException(e, uri));
    }

    private static <T> Mono<T> refused(ClientResponse response) {
        int status = response.statusCode().value();
        return response.releaseBody().then(Mono.error(() -> status >= 500
                ? new ServerError(status)
                : new HealthRecordException.Unavailable(switch (status) {
                    case 401 -> "the FHIR server refused the token (HTTP 401, also after a fresh one)";
                    case 403 -> "the FHIR server does not let this client read (HTTP 403)";
                    default -> "the FHIR server refused the search (HTTP " + status + ")";
                }, null)));
    }

    /** 5xx and I/O failures may pass in a moment; a timeout or a refusal will not. */
    private static boolean blip(Throwable e) {
        if (e instanceof ServerError) {
            return true;
        }
        boolean io = e instanceof WebClientRequestException;
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException || c instanceof io.netty.handler.timeout.TimeoutException) {
                return false;
            }
            io |= c instanceof IOException;
        }
        return io;
    }

    private static HealthRecordException asHealthRecordException(Throwable e, URI uri) {
        String what = uri.getPath();
        if (e instanceof CallNotPermittedException) {
            return new HealthRecordException.Unavailable("circuit open: the FHIR server failed repeatedly, calls paused", e);
        }
        if (e instanceof BulkheadFullException) {
            return new HealthRecordException.Unavailable("too many concurrent calls to the FHIR server", e);
        }
        if (e instanceof TimeoutException) {
            return new HealthRecordException.Unavailable("the FHIR server did not answer " + what + " in time", e);
        }
        if (e instanceof ServerError server) {
            return new HealthRecordException.Unavailable("the FHIR server failed on " + what + " (HTTP " + server.status + ")", e);
        }
        if (e instanceof DataBufferLimitException) {
            return new HealthRecordException.Malformed("the FHIR server's answer is larger than " + MAX_ANSWER_BYTES + " bytes", e);
        }
        return new HealthRecordException.Unavailable("cannot read " + what + " from the FHIR server: " + e, e);
    }

    private static HealthRecordException unexpected(Throwable e) {
        return new HealthRecordException.Unavailable("health-record read failed: " + e, e);
    }

    /** A 5xx answer, retried in line; leaves as {@link HealthRecordException.Unavailable}. */
    private static final class ServerError extends RuntimeException {
        private final int status;

        ServerError(int status) {
            super("HTTP " + status, null, false, false);
            this.status = status;
        }
    }
}
