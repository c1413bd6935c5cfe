package jp.tsunagu.connectors.record.fhir.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import io.netty.handler.codec.http.QueryStringDecoder;
import jp.tsunagu.connectors.support.simulator.SimCounters;
import jp.tsunagu.connectors.support.simulator.SimReply;
import jp.tsunagu.connectors.support.simulator.Simulator;
import jp.tsunagu.connectors.support.simulator.SimTokens;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.cfg.JsonNodeFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * An in-memory FHIR R4 server for tests, integration tests and the demo: the searches a health-record
 * client makes of a Japanese regional network, over HTTP on 127.0.0.1 (Reactor Netty, no Spring).
 *
 * <ul>
 *   <li>{@code POST /oauth/token}: OAuth2 client credentials ({@link #addClient}); every FHIR request needs
 *       {@code Authorization: Bearer} with a token from here.</li>
 *   <li>{@code GET /fhir/{type}?...}: search, answering a {@code searchset} Bundle with {@code total},
 *       {@code self} and {@code next} links ({@code _count}, default {@value #DEFAULT_PAGE_SIZE}, at most
 *       {@value #MAX_PAGE_SIZE}; pages continue with {@code _offset}). Supported parameters:
 *     <ul>
 *       <li>Patient: {@code identifier} ({@code system|value} or {@code value})</li>
 *       <li>Observation: {@code subject}, {@code patient}, {@code category}, {@code code}, {@code date}</li>
 *       <li>MedicationRequest: {@code subject}, {@code patient}, {@code status}, {@code code}, {@code authoredon}</li>
 *       <li>MedicationDispense: {@code subject}, {@code patient}, {@code status}, {@code code}, {@code whenhandedover}</li>
 *       <li>AllergyIntolerance: {@code patient}, {@code clinical-status}, {@code date}</li>
 *       <li>Condition: {@code subject}, {@code patient}, {@code clinical-status}, {@code onset-date}</li>
 *       <li>DocumentReference: {@code subject}, {@code patient}, {@code type}, {@code status}, {@code date}</li>
 *       <li>all: {@code _count}, {@code _sort} (a date parameter, {@code -} for newest first; ties by id),
 *           {@code _offset}</li>
 *     </ul>
 *     Tokens match {@code system|code}, {@code code} or {@code |code}; commas mean "or". Dates take the prefixes
 *     eq (default), ge, gt, le, lt; a date without time is a day in Japan time, a partial date (year, month)
 *     the whole period. A repeated parameter must match every time ({@code date=ge…&date=le…}). An unknown
 *     parameter is answered 400 (strict handling), so a client's typo shows in its tests.</li>
 *   <li>{@code GET /fhir/{type}/{id}}: read.</li>
 *   <li>{@code GET /fhir/metadata}: a short CapabilityStatement (no token needed).</li>
 * </ul>
 * Errors are OperationOutcomes: 400 bad search, 401 token missing or unknown or expired, 404 unknown type or
 * id, 503 while {@link #down(boolean) down}.
 *
 * <p>Data comes from {@code collection} (or any) Bundles ({@link #loadBundle}), whose dates can be shifted by
 * whole days so that fixed demo data always ends today: every full date and date-time is moved except birth
 * dates ({@code birthDate}, {@code deceasedDateTime}); partial dates (year, year-month) stay. The bundle's
 * {@code timestamp} is its anchor: the day of its newest data ({@link #anchorDate}).
 *
 * <p>Fault injection for other modules' tests (thread-safe, switchable while requests run) applies to FHIR
 * requests, not token requests, in this order: {@link #resetNext} (connection dropped), {@link #down} (503),
 * {@link #failNext} (any status), bearer check (401), then the answer, which {@link #malformedNext} may spoil
 * and {@link #delay}/{@link #delayNext} hold back. A request stopped earlier does not use up a later fault.
 */
public final class FhirSimulator extends Simulator<FhirSimulator> {

    public static final String FHIR_PATH = "/fhir";
    public static final int DEFAULT_PAGE_SIZE = 50;
    public static final int MAX_PAGE_SIZE = 100;
    public static final String FHIR_JSON = "application/fhir+json; charset=utf-8";

    private static final ZoneId JAPAN = ZoneId.of("Asia/Tokyo");
    private static final Set<String> NOT_SHIFTED = Set.of("birthDate", "deceasedDateTime");
    private static final Pattern FULL_DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final Pattern DATE_TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})");
    private static final byte[] MALFORMED_BODY = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[{\"resource\":{\"resourceTy"
            .getBytes(StandardCharsets.UTF_8);

    // FHIR decimals keep their precision through load and answer ("7.40" stays "7.40").
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private final JsonMapper mapper = MAPPER;
    private final Map<String, Map<String, ObjectNode>> resources = new ConcurrentHashMap<>();

    private volatile Duration delay = Duration.ZERO;

    private final SimCounters requests = new SimCounters();
    /** When this instance was made: its CapabilityStatement's date, since the instance is what it describes. */
    private final Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    public FhirSimulator() {
        super("fhir-simulator", MAPPER, Instant::now, "fhir");
    }

    /** {@code baseUrl() + "/fhir"}: the FHIR base a client is configured with. */
    public String fhirBaseUrl() {
        return baseUrl() + FHIR_PATH;
    }

    // ==== clients ===================================================================================================

    /** Registers (or changes the secret of) an OAuth2 client allowed to read everything. */
    public FhirSimulator addClient(String clientId, String secret) {
        tokens.addClient(clientId, secret, clientId);
        return this;
    }

    // ==== data ======================================================================================================

    /**
     * Stores every resource of a Bundle (each needs resourceType and id; a resource with the same type and id
     * is replaced), its dates moved by {@code shiftDays}. Returns how many resources were stored.
     */
    public int loadBundle(String json, int shiftDays) {
        JsonNode bundle = bundle(json);
        List<ObjectNode> loaded = new ArrayList<>();
        for (JsonNode entry : bundle.path("entry").values()) {
            JsonNode resource = entry.get("resource");
            if (resource == null || !resource.isObject() || text(resource, "resourceType") == null || text(resource, "id") == null) {
                throw new IllegalArgumentException("every entry needs a resource with resourceType and id");
            }
            ObjectNode copy = (ObjectNode) resource.deepCopy();
            shift(copy, shiftDays);
            loaded.add(copy);
        }
        loaded.forEach(this::store);
        return loaded.size();
    }

    /** {@link #loadBundle(String, int)} from a stream (UTF-8), which is closed. */
    public int loadBundle(InputStream json, int shiftDays) {
        return loadBundle(read(json), shiftDays);
    }

    /** Loads a Bundle shifted so that its {@link #anchorDate anchor} falls on {@code newest}. */
    public int loadBundleAsOf(InputStream json, LocalDate newest) {
        String text = read(json);
        return loadBundle(text, (int) ChronoUnit.DAYS.between(anchorDate(text), newest));
    }

    /** The day of a Bundle's newest data: its {@code timestamp}, in Japan time. */
    public static LocalDate anchorDate(String bundleJson) {
        String timestamp = text(bundle(bundleJson), "timestamp");
        if (timestamp == null) {
            throw new IllegalArgumentException("the Bundle has no timestamp to anchor its dates");
        }
        return Dates.range(timestamp).start().atZone(JAPAN).toLocalDate();
    }

    /** Stores (or replaces) one resource as given, unshifted: for tests that need a particular shape. */
    public FhirSimulator put(String resourceJson) {
        JsonNode n;
        try {
            n = mapper.readTree(resourceJson);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        if (!(n instanceof ObjectNode o) || text(o, "resourceType") == null || text(o, "id") == null) {
            throw new IllegalArgumentException("a resource with resourceType and id is required");
        }
        store(o);
        return this;
    }

    /** Removes every resource. */
    public FhirSimulator clear() {
        resources.clear();
        return this;
    }

    /** How many resources of the type are stored. */
    public int count(String resourceType) {
        Map<String, ObjectNode> byId = resources.get(resourceType);
        return byId == null ? 0 : byId.size();
    }

    private void store(ObjectNode resource) {
        resources.computeIfAbsent(text(resource, "resourceType"), k -> new ConcurrentHashMap<>())
                .put(text(resource, "id"), resource);
    }

    private static JsonNode bundle(String json) {
        JsonNode bundle;
        try {
            bundle = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        if (bundle == null || !"Bundle".equals(text(bundle, "resourceType"))) {
            throw new IllegalArgumentException("not a FHIR Bundle");
        }
        return bundle;
    }

    /** Moves every full date and date-time below {@code node} by {@code days}, birth dates excepted. */
    private static void shift(JsonNode node, int days) {
        if (days == 0) {
            return;
        }
        if (node instanceof ObjectNode o) {
            for (String name : List.copyOf(o.propertyNames())) {
                JsonNode v = o.get(name);
                if (v.isString() && !NOT_SHIFTED.contains(name)) {
                    String shifted = shifted(v.stringValue(), days);
                    if (shifted != null) {
                        o.set(name, StringNode.valueOf(shifted));
                    }
                } else {
                    shift(v, days);
                }
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                JsonNode v = a.get(i);
                String shifted = v.isString() ? shifted(v.stringValue(), days) : null;
                if (shifted != null) {
                    a.set(i, StringNode.valueOf(shifted));
                } else {
                    shift(v, days);
                }
            }
        }
    }

    private static String shifted(String value, int days) {
        if (FULL_DATE.matcher(value).matches()) {
            return LocalDate.parse(value).plusDays(days).toString();
        }
        if (DATE_TIME.matcher(value).matches()) {
            // The date part moves; time and offset are kept as written.
            return LocalDate.parse(value.substring(0, 10)).plusDays(days) + value.substring(10);
        }
        return null;
    }

    // ==== fault injection ===========================================================================================

    /** Every FHIR answer is held back by {@code delay} until set back to {@link Duration#ZERO}. */
    public FhirSimulator delay(Duration delay) {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("delay must be zero or positive");
        }
        this.delay = delay;
        return this;
    }

    /** Turns off every fault (down, delay, pending one-shot faults). */
    @Override
    public FhirSimulator clearFaults() {
        delay = Duration.ZERO;
        return super.clearFaults();
    }

    // ==== counters ==================================================================================================

    /** FHIR requests received (token requests not included), whatever they were answered. */
    public long requestCount() {
        return requests.total();
    }

    /** FHIR requests received for one resource type ({@code metadata} for the CapabilityStatement). */
    public long requestCount(String resourceType) {
        return requests.get(resourceType);
    }

    /** Requests received per resource type, sorted by type. */
    public Map<String, Long> requestCounts() {
        return requests.snapshot();
    }

    public FhirSimulator resetCounters() {
        requests.clear();
        resetTokenRequests();
        return this;
    }

    // ==== HTTP ======================================================================================================

    @Override
    protected void routes(HttpServerRoutes r) {
        r.post(TOKEN_PATH, this::token)
                .get(FHIR_PATH + "/metadata", this::metadata)
                .get(FHIR_PATH + "/{type}", (req, res) -> fhir(req, res, req.param("type"), null))
                .get(FHIR_PATH + "/{type}/{id}", (req, res) -> fhir(req, res, req.param("type"), req.param("id")))
                .route(req -> true, (req, res) -> fhirError(404, "not-found", "no such route: " + req.method() + " " + req.fullPath()).send(res));
    }

    private Publisher<Void> token(HttpServerRequest req, HttpServerResponse res) {
        countTokenRequest();
        if (isDown()) {
            return fhirError(503, "transient", "service unavailable").send(res);
        }
        return req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                .map(body -> tokens.issue(req, body))
                .flatMap(reply -> reply.send(res));
    }

    private Publisher<Void> metadata(HttpServerRequest req, HttpServerResponse res) {
        requests.increment("metadata");
        ObjectNode cs = mapper.createObjectNode();
        cs.put("resourceType", "CapabilityStatement");
        cs.put("status", "active");
        // R4 requires a date (1..1), and for kind "instance" an implementation (cpb-2, cpb-14).
        cs.put("date", started.toString());
        cs.put("kind", "instance");
        cs.putObject("software").put("name", "Tsunagu FHIR simulator");
        cs.putObject("implementation").put("description", "In-memory FHIR R4 server for tests and the demo")
                .put("url", fhirBaseUrl());
        cs.put("fhirVersion", "4.0.1");
        ArrayNode formats = cs.putArray("format");
        formats.add("application/fhir+json");
        ObjectNode rest = cs.putArray("rest").addObject();
        rest.put("mode", "server");
        Search.PARAMS.forEach((type, params) -> {
            ObjectNode resource = rest.withArray("resource").addObject();
            resource.put("type", type);
            resource.withArray("interaction").addObject().put("code", "read");
            resource.withArray("interaction").addObject().put("code", "search-type");
            params.forEach((name, param) -> resource.withArray("searchParam").addObject()
                    .put("name", name).put("type", param.kind().fhirType()));
        });
        return fhirJson(200, cs).send(res);
    }

    /** Counting, faults and auth around one FHIR request. */
    private Publisher<Void> fhir(HttpServerRequest req, HttpServerResponse res, String type, String id) {
        requests.increment(type);
        if (takeReset()) {
            return SimReply.resetConnection(req);
        }
        if (isDown()) {
            return fhirError(503, "transient", "service unavailable").send(res);
        }
        Integer failStatus = takeFailure();
        if (failStatus != null) {
            return fhirError(failStatus, "exception", "injected failure " + failStatus).send(res);
        }
        SimTokens.Auth auth = tokens.authenticate(req);
        if (auth.refusal() != null) {
            return auth.refusal().send(res);
        }
        Duration extra = takeDelay();
        boolean malformed = takeMalformed();
        SimReply reply;
        try {
            reply = id == null ? search(type, req.uri()) : read(type, id);
        } catch (SearchException e) {
            reply = fhirError(e.status, e.code, e.getMessage());
        }
        if (malformed) {
            reply = new SimReply(200, FHIR_JSON, MALFORMED_BODY, Map.of());
        }
        Duration wait = extra == null ? delay : delay.plus(extra);
        Mono<SimReply> answer = Mono.just(reply);
        if (!wait.isZero()) {
            answer = answer.delayElement(wait);
        }
        return answer.flatMap(r -> r.send(res));
    }

    private SimReply read(String type, String id) {
        if (!Search.PARAMS.containsKey(type)) {
            throw new SearchException(404, "not-supported", "unknown resource type " + type);
        }
        ObjectNode resource = resources.getOrDefault(type, Map.of()).get(id);
        if (resource == null) {
            throw new SearchException(404, "not-found", type + "/" + id + " is not known");
        }
        return fhirJson(200, resource);
    }

    private SimReply search(String type, String uri) {
        Map<String, Search.Param> supported = Search.PARAMS.get(type);
        if (supported == null) {
            throw new SearchException(404, "not-supported", "unknown resource type " + type);
        }
        QueryStringDecoder query = new QueryStringDecoder(uri, StandardCharsets.UTF_8);
        int count = DEFAULT_PAGE_SIZE;
        int offset = 0;
        String sort = null;
        List<Search.Criterion> criteria = new ArrayList<>();
        for (Map.Entry<String, List<String>> p : query.parameters().entrySet()) {
            String name = p.getKey();
            String value = p.getValue().get(p.getValue().size() - 1);
            switch (name) {
                case "_count" -> count = Math.min(MAX_PAGE_SIZE, intParam(name, value, 1));
                case "_offset" -> offset = intParam(name, value, 0);
                case "_sort" -> {
                    sort = value;
                    Search.Param byDate = supported.get(value.startsWith("-") ? value.substring(1) : value);
                    if (byDate == null || byDate.kind() != Search.Kind.DATE) {
                        throw new SearchException(400, "not-supported", "_sort: a date parameter of " + type + " is required: " + value);
                    }
                }
                default -> {
                    Search.Param param = supported.get(name);
                    if (param == null) {
                        throw new SearchException(400, "not-supported", "unknown search parameter " + name + " for " + type);
                    }
                    for (String v : p.getValue()) {
                        criteria.add(Search.criterion(param, v));
                    }
                }
            }
        }
        List<ObjectNode> matches = new ArrayList<>();
        for (ObjectNode r : resources.getOrDefault(type, Map.of()).values()) {
            if (criteria.stream().allMatch(c -> c.test(r))) {
                matches.add(r);
            }
        }
        matches.sort(order(supported, sort));

        ObjectNode bundle = mapper.createObjectNode();
        bundle.put("resourceType", "Bundle");
        bundle.put("type", "searchset");
        bundle.put("total", matches.size());
        ArrayNode links = bundle.putArray("link");
        links.addObject().put("relation", "self").put("url", baseUrl() + uri);
        if (offset + count < matches.size()) {
            links.addObject().put("relation", "next").put("url", baseUrl() + withOffset(uri, offset + count));
        }
        List<ObjectNode> page = matches.subList(Math.min(offset, matches.size()), Math.min(offset + count, matches.size()));
        // FHIR JSON has no empty arrays: a page without matches has no "entry" at all.
        ArrayNode entries = page.isEmpty() ? null : bundle.putArray("entry");
        for (ObjectNode r : page) {
            ObjectNode entry = entries.addObject();
            entry.put("fullUrl", fhirBaseUrl() + "/" + type + "/" + text(r, "id"));
            entry.set("resource", r);
            entry.putObject("search").put("mode", "match");
        }
        return fhirJson(200, bundle);
    }

    private static Comparator<ObjectNode> order(Map<String, Search.Param> supported, String sort) {
        Comparator<ObjectNode> byId = Comparator.comparing(r -> text(r, "id"));
        if (sort == null) {
            return byId;
        }
        boolean descending = sort.startsWith("-");
        Search.Param param = supported.get(descending ? sort.substring(1) : sort);
        Comparator<Instant> instants = descending ? Comparator.reverseOrder() : Comparator.naturalOrder();
        return Comparator.comparing((ObjectNode r) -> Search.dateOf(param, r), Comparator.nullsLast(instants)).thenComparing(byId);
    }

    private static String withOffset(String uri, int offset) {
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        List<String> kept = new ArrayList<>();
        if (q >= 0) {
            for (String part : uri.substring(q + 1).split("&")) {
                if (!part.isEmpty() && !part.startsWith("_offset=")) {
                    kept.add(part);
                }
            }
        }
        kept.add("_offset=" + offset);
        return path + "?" + String.join("&", kept);
    }

    private static int intParam(String name, String value, int min) {
        try {
            int i = Integer.parseInt(value);
            if (i >= min) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new SearchException(400, "invalid", name + ": an integer of at least " + min + " is required");
    }

    private SimReply fhirJson(int status, JsonNode body) {
        return new SimReply(status, FHIR_JSON, mapper.writeValueAsBytes(body), Map.of());
    }

    private SimReply fhirError(int status, String code, String diagnostics) {
        ObjectNode outcome = mapper.createObjectNode();
        outcome.put("resourceType", "OperationOutcome");
        ObjectNode issue = outcome.putArray("issue").addObject();
        issue.put("severity", "error");
        issue.put("code", code);
        issue.put("diagnostics", diagnostics);
        return fhirJson(status, outcome);
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isString() ? v.stringValue() : null;
    }

    /** A search the simulator refuses, with its HTTP status and OperationOutcome issue code. */
    static final class SearchException extends RuntimeException {
        private final int status;
        private final String code;

        SearchException(int status, String code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }
}
