package jp.tsunagu.connectors.mcs.simulator;

import static jp.tsunagu.connectors.mcs.simulator.SimulatorException.badRequest;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpData;
import org.reactivestreams.Publisher;
import jp.tsunagu.connectors.support.simulator.SimCounters;
import jp.tsunagu.connectors.support.simulator.SimReply;
import jp.tsunagu.connectors.support.simulator.Simulator;
import jp.tsunagu.connectors.support.simulator.SimTokens;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A stateful, in-memory SNS in the shape of the MCS-style API profile (MCS-STYLE-API.md), for tests, benchmarks
 * and the demo.
 *
 * <p>It serves over HTTP on 127.0.0.1 (Reactor Netty, no Spring) what the integration account sees:
 * <ul>
 *   <li>{@code POST {base}/oauth/token} (also accepted under {@code /api/v2t}): OAuth2 client credentials, the
 *       client by HTTP Basic or by the form fields {@code client_id}/{@code client_secret}; answers
 *       {@code {"access_token","token_type":"Bearer","expires_in"}}.</li>
 *   <li>Under {@code {base}/api/v2t}, with {@code Authorization: Bearer}:
 *     <ul>
 *       <li>{@code GET /projects?type=patient|group|direct&page=1&per_page=20} →
 *           {@code {"projects":[{id,type,name,patient_id?,created_at,updated_at}],"page","per_page","total"}}
 *           (only projects the account is a member of; per_page 1..100)</li>
 *       <li>{@code GET /projects/status?after=<ts>} → {@code {"updated","timestamp"}}; without {@code after},
 *           {@code updated} is true. The returned timestamp is later than every change made so far, so it can
 *           be passed as the next {@code after}.</li>
 *       <li>{@code GET /projects/{pid}/members} → {@code {"users":[...]}}</li>
 *       <li>{@code GET /projects/{pid}/messages?page=&per_page=} → {@code {"messages":[...],"page","per_page",
 *           "total"}}, newest first, replies and deleted messages included</li>
 *       <li>{@code GET /projects/{pid}/messages/latest?after=<ts>&per_page=} → {@code {"messages":[...],
 *           "has_more"}}: created or changed strictly after {@code after}, oldest change first, at most
 *           per_page (default and maximum 100); continue from the last item's {@code updated_at}.
 *           {@code after} is required.</li>
 *       <li>{@code POST /projects/{pid}/messages} and {@code POST /projects/{pid}/messages/{mid}/messages}
 *           {@code {body, attachment_ids[], mentions[{type,id}]}} → 201 with the message (a reply to a reply
 *           joins the root's thread)</li>
 *       <li>{@code POST /messages/{id}/update {body}}, {@code POST /messages/{id}/delete},
 *           {@code POST /messages/{id}/reactions {type}}, {@code POST /messages/{id}/reactions/delete {type}}
 *           → 200 with the message. Only the author edits or deletes (403 otherwise); deleting twice and
 *           stamping twice are no-ops.</li>
 *       <li>{@code POST /attachments} (multipart, part {@code file}) → 201
 *           {@code {id,name,content_type,size,url}}; {@code GET url} (bearer needed) → the bytes.</li>
 *     </ul></li>
 * </ul>
 * Timestamps are ISO-8601 at {@code +09:00} with microseconds; ids are numeric strings. Every change (post,
 * edit, delete, stamp) gets a stamp later than any before it, so a poller keyed on {@code updated_at} never
 * misses or double-reads. Errors are JSON {@code {"error": "..."}}: 400 bad input, 401 missing, unknown or
 * expired token, 403 not a member or not the author, 404 unknown project or message, 413 upload too large,
 * 429 with {@code Retry-After} (per-account token bucket), 503 when {@link #down(boolean) down}.
 *
 * <p>The back door ({@link #postAs}, {@link #reactAs} ...) acts as other people of the SNS without HTTP and
 * takes any HTML, hostile or not. Fault injection is thread-safe and can be switched while requests run; the
 * one-shot faults ({@link #failNext}, {@link #delayNext}, {@link #resetNext}, {@link #malformedNext}) apply to
 * API calls only, not to token requests; {@link #down} and {@link #resetConnections} apply to everything.
 * An API call meets them in this order: reset, down (503), {@link #failNext}, bearer check (401), rate limit
 * (429), then the call itself, whose answer {@link #malformedNext} may spoil and {@link #delayNext} may hold
 * back; a call stopped earlier does not use up a later fault.
 */
public final class McsSimulator extends Simulator<McsSimulator> {

    public static final String API_PREFIX = "/api/v2t";

    /** Route names, as counted by {@link #calls(String)}. */
    public static final String ROUTE_PROJECTS = "GET /projects";
    public static final String ROUTE_STATUS = "GET /projects/status";
    public static final String ROUTE_MEMBERS = "GET /projects/{pid}/members";
    public static final String ROUTE_HISTORY = "GET /projects/{pid}/messages";
    public static final String ROUTE_LATEST = "GET /projects/{pid}/messages/latest";
    public static final String ROUTE_POST = "POST /projects/{pid}/messages";
    public static final String ROUTE_REPLY = "POST /projects/{pid}/messages/{mid}/messages";
    public static final String ROUTE_UPDATE = "POST /messages/{id}/update";
    public static final String ROUTE_DELETE = "POST /messages/{id}/delete";
    public static final String ROUTE_REACT = "POST /messages/{id}/reactions";
    public static final String ROUTE_UNREACT = "POST /messages/{id}/reactions/delete";
    public static final String ROUTE_UPLOAD = "POST /attachments";
    public static final String ROUTE_DOWNLOAD = "GET /attachments/{id}/download";
    /** Requests that matched no route (answered 404). */
    public static final String ROUTE_UNKNOWN = "unknown";

    public static final Duration DEFAULT_TOKEN_TTL = SimTokens.DEFAULT_TTL;
    public static final double DEFAULT_RATE_PER_SECOND = 10;
    public static final long MAX_UPLOAD_BYTES = 20L * 1024 * 1024;

    private static final ZoneOffset JST = ZoneOffset.ofHours(9);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSXXX");
    private static final byte[] MALFORMED_BODY = "{\"messages\": [{\"id\": \"1\", \"body\": \"<p>trunc"
            .getBytes(StandardCharsets.UTF_8);

    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private final JsonMapper mapper = MAPPER;
    private final SimState state;

    private volatile double ratePerSecond = DEFAULT_RATE_PER_SECOND;
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();

    private volatile boolean resetAll;

    private final SimCounters calls = new SimCounters();


    /** A simulator on the system clock. */
    public McsSimulator() {
        this(Clock.system(JST));
    }

    /** A simulator whose timestamps and token expiry follow {@code clock} (stamps still never repeat). */
    public McsSimulator(Clock clock) {
        this(new SimState(clock));
    }

    private McsSimulator(SimState state) {
        super("mcs-simulator", MAPPER, state::now, "mcs");
        this.state = state;
    }

    // ==== lifecycle =================================================================================================

    /** {@code baseUrl() + "/api/v2t"}: the prefix of every API path. */
    public String apiUrl() {
        return baseUrl() + API_PREFIX;
    }

    // ==== accounts and tokens =======================================================================================

    /**
     * Registers (or changes the secret of) an OAuth2 client. Its integration account is the user with the same
     * id, created with no station if it does not exist; add it to projects with {@link #addMember}.
     */
    public McsSimulator addClient(String clientId, String secret) {
        if (!state.hasUser(clientId)) {
            state.addUser(clientId, clientId, "", null, List.of());
        }
        return addClient(clientId, secret, clientId);
    }

    /** Registers an OAuth2 client acting as the existing user {@code userId}. */
    public McsSimulator addClient(String clientId, String secret, String userId) {
        if (!state.hasUser(userId)) {
            throw new IllegalArgumentException("unknown user " + userId);
        }
        tokens.addClient(clientId, secret, userId);
        return this;
    }

    // ==== directory and content (back door) =========================================================================

    public McsSimulator addStation(String id, String name) {
        state.addStation(id, name);
        return this;
    }

    /** Adds or replaces a user; {@code stationId} may be null; professions as MCS names them (看護師 ...). */
    public McsSimulator addUser(String id, String lastName, String firstName, String stationId,
                                String... professions) {
        state.addUser(id, lastName, firstName, stationId, Arrays.asList(professions));
        return this;
    }

    /** Creates a project of type {@code patient}, {@code group} or {@code direct}; returns its id. */
    public String createProject(String type, String name) {
        return state.createProject(type, name, null);
    }

    /** Creates a project; a patient project carries {@code patientId} as {@code patient_id}. */
    public String createProject(String type, String name, String patientId) {
        return state.createProject(type, name, patientId);
    }

    /** Adds a user (or an integration account's user) to a project; counts as a change for its status. */
    public McsSimulator addMember(String projectId, String userId) {
        state.addMember(projectId, userId);
        return this;
    }

    /** Takes a user out of a project: the integration account then gets 403 there. */
    public McsSimulator removeMember(String projectId, String userId) {
        state.removeMember(projectId, userId);
        return this;
    }

    /** Removes a project: 404 from then on. */
    public McsSimulator removeProject(String projectId) {
        state.removeProject(projectId);
        return this;
    }

    /** Every live project, oldest first. */
    public List<Project> projects() {
        return state.allProjects();
    }

    /** Posts as a member of the project; the HTML is stored as given, hostile or not. Returns the message id. */
    public String postAs(String userId, String projectId, String html) {
        return postAs(userId, projectId, html, List.of(), List.of());
    }

    public String postAs(String userId, String projectId, String html, List<String> attachmentIds,
                         List<Mention> mentions) {
        return state.post(userId, projectId, null, html, attachmentIds, mentions).id();
    }

    /** Replies in the thread of {@code parentId}; returns the reply's id. */
    public String replyAs(String userId, String projectId, String parentId, String html) {
        return state.post(userId, projectId, parentId, html, List.of(), List.of()).id();
    }

    /** Edits the user's own message. */
    public Message editAs(String userId, String messageId, String html) {
        return state.edit(userId, messageId, html);
    }

    /** Deletes the user's own message. */
    public Message deleteAs(String userId, String messageId) {
        return state.delete(userId, messageId);
    }

    /** Gives ({@code add}) or takes back a stamp: good, viewed, accepted, thanked or completed. */
    public Message reactAs(String userId, String messageId, String type, boolean add) {
        return state.react(userId, messageId, type, add);
    }

    /** Stores a file as if {@code userId} had uploaded it; returns the attachment id for {@link #postAs}. */
    public String uploadAs(String userId, String name, String contentType, byte[] bytes) {
        return state.upload(userId, name, contentType, bytes).id();
    }

    /**
     * Adds an item to the project's timeline whose JSON is exactly {@code json} (valid JSON, any shape): for
     * testing how a connector treats a message it cannot read. It comes in history and in {@code latest} like
     * any new message, and cannot be edited, deleted or stamped. Returns its internal id.
     */
    public String injectRawMessage(String projectId, String json) {
        try {
            mapper.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        return state.injectRaw(projectId, json);
    }

    /** The project's messages as they are now, oldest first (replies and deleted ones included). */
    public List<Message> messages(String projectId) {
        return state.messages(projectId);
    }

    public Message message(String messageId) {
        return state.message(messageId);
    }

    /** The stored bytes of an attachment (a copy), or null if there is none with that id. */
    public byte[] attachmentBytes(String id) {
        SimState.AttachmentRec a = state.attachment(id);
        return a == null ? null : a.bytes().clone();
    }

    // ==== fault injection ===========================================================================================

    /** While on, every request's connection (token requests too) is closed (RST) without an answer. */
    public McsSimulator resetConnections(boolean reset) {
        this.resetAll = reset;
        return this;
    }

    /** Per-account token bucket (burst of max(1, rate)); {@code 0} turns the limit off. Default 10/s. */
    public McsSimulator rateLimit(double perSecond) {
        if (!(perSecond >= 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate must be zero or positive: " + perSecond);
        }
        this.ratePerSecond = perSecond;
        buckets.clear();
        return this;
    }

    /** Turns off every fault (down, resets, pending one-shot faults); keeps rate limit and token TTL. */
    @Override
    public McsSimulator clearFaults() {
        resetAll = false;
        return super.clearFaults();
    }

    // ==== counters ==================================================================================================

    /** Requests received on a route (one of the {@code ROUTE_*} names), whatever they were answered. */
    public long calls(String route) {
        return calls.get(route);
    }

    /** Requests received per route, sorted by route name. */
    public Map<String, Long> callCounts() {
        return calls.snapshot();
    }

    /** All API requests received (token requests not included). */
    public long totalCalls() {
        return calls.total();
    }

    public McsSimulator resetCounters() {
        calls.clear();
        resetTokenRequests();
        return this;
    }

    // ==== HTTP ======================================================================================================

    @Override
    protected void routes(HttpServerRoutes r) {
        String a = API_PREFIX;
        r.post(TOKEN_PATH, this::token)
                .post(a + TOKEN_PATH, this::token)
                .get(a + "/projects/status", api(ROUTE_STATUS, false, this::status))
                .get(a + "/projects", api(ROUTE_PROJECTS, false, this::projectsRoute))
                .get(a + "/projects/{pid}/members", api(ROUTE_MEMBERS, false, this::members))
                .get(a + "/projects/{pid}/messages/latest", api(ROUTE_LATEST, false, this::latest))
                .get(a + "/projects/{pid}/messages", api(ROUTE_HISTORY, false, this::history))
                .post(a + "/projects/{pid}/messages/{mid}/messages", api(ROUTE_REPLY, true, this::reply))
                .post(a + "/projects/{pid}/messages", api(ROUTE_POST, true, this::post))
                .post(a + "/messages/{id}/update", api(ROUTE_UPDATE, true, this::update))
                .post(a + "/messages/{id}/delete", api(ROUTE_DELETE, false, this::delete))
                .post(a + "/messages/{id}/reactions/delete", api(ROUTE_UNREACT, true, c -> react(c, false)))
                .post(a + "/messages/{id}/reactions", api(ROUTE_REACT, true, c -> react(c, true)))
                .post(a + "/attachments", api(ROUTE_UPLOAD, false, this::upload))
                .get(a + "/attachments/{id}/download", api(ROUTE_DOWNLOAD, false, this::download))
                .route(req -> true, this::unknown);
    }

    /** Counting, faults, auth and rate limit around one API route. */
    private BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> api(
            String route, boolean readBody, Function<Call, Mono<SimReply>> handler) {
        return (req, res) -> {
            calls.increment(route);
            if (resetAll || takeReset()) {
                return SimReply.resetConnection(req);
            }
            if (isDown()) {
                return send(res, error(503, "service unavailable"));
            }
            Integer failStatus = takeFailure();
            if (failStatus != null) {
                return send(res, injectedFailure(failStatus));
            }
            SimTokens.Auth auth = tokens.authenticate(req);
            if (auth.refusal() != null) {
                return send(res, auth.refusal());
            }
            String userId = auth.account();
            long retryAfter = throttle(userId);
            if (retryAfter > 0) {
                return send(res, error(429, "rate limit exceeded").header("Retry-After", Long.toString(retryAfter)));
            }
            Duration delay = takeDelay();
            boolean malformed = takeMalformed();
            Mono<String> body = readBody
                    ? req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                    : Mono.just("");
            Mono<SimReply> reply = body
                    .flatMap(b -> handler.apply(new Call(req, userId, b)))
                    .onErrorResume(e -> Mono.just(errorReply(e)));
            if (malformed) {
                reply = reply.map(r -> new SimReply(200, SimReply.JSON, MALFORMED_BODY, Map.of()));
            }
            if (delay != null) {
                reply = reply.delayUntil(r -> Mono.delay(delay));
            }
            return reply.flatMap(r -> send(res, r));
        };
    }

    private Publisher<Void> unknown(HttpServerRequest req, HttpServerResponse res) {
        calls.increment(ROUTE_UNKNOWN);
        if (resetAll) {
            return SimReply.resetConnection(req);
        }
        if (isDown()) {
            return send(res, error(503, "service unavailable"));
        }
        return send(res, error(404, "no such route: " + req.method() + " " + req.fullPath()));
    }

    private Publisher<Void> token(HttpServerRequest req, HttpServerResponse res) {
        countTokenRequest();
        if (resetAll) {
            return SimReply.resetConnection(req);
        }
        if (isDown()) {
            return send(res, error(503, "service unavailable"));
        }
        return req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                .map(body -> tokens.issue(req, body))
                .onErrorResume(e -> Mono.just(errorReply(e)))
                .flatMap(r -> send(res, r));
    }

    /** 0 when the call may go on, else the seconds to wait. */
    private long throttle(String account) {
        double rate = ratePerSecond;
        if (rate == 0) {
            return 0;
        }
        TokenBucket b = buckets.computeIfAbsent(account, k -> new TokenBucket(rate));
        return b.tryAcquire();
    }

    private SimReply injectedFailure(int status) {
        SimReply r = error(status, "injected failure " + status);
        if (status == 429) {
            r = r.header("Retry-After", "1");
        } else if (status == 401) {
            r = r.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        }
        return r;
    }

    private static Mono<Void> send(HttpServerResponse res, SimReply r) {
        return r.send(res);
    }

    // ==== API handlers ==============================================================================================

    private Mono<SimReply> projectsRoute(Call c) {
        String type = c.query("type");
        if (type != null && !SimState.PROJECT_TYPES.contains(type)) {
            throw badRequest("type: must be patient, group or direct");
        }
        int page = c.intQuery("page", 1, 1, 1_000_000);
        int perPage = c.intQuery("per_page", 20, 1, 100);
        List<Project> all = state.visibleProjects(c.userId(), type);
        ObjectNode n = mapper.createObjectNode();
        ArrayNode items = n.putArray("projects");
        long from = (long) (page - 1) * perPage;
        for (long i = from; i < from + perPage && i < all.size(); i++) {
            items.add(projectJson(all.get((int) i)));
        }
        n.put("page", page);
        n.put("per_page", perPage);
        n.put("total", all.size());
        return Mono.just(json(200, n));
    }

    private Mono<SimReply> status(Call c) {
        SimState.Status s = state.status(c.userId(), c.timeQuery("after", false));
        ObjectNode n = mapper.createObjectNode();
        n.put("updated", s.updated());
        n.put("timestamp", time(s.timestamp()));
        return Mono.just(json(200, n));
    }

    private Mono<SimReply> members(Call c) {
        ObjectNode n = mapper.createObjectNode();
        ArrayNode users = n.putArray("users");
        for (User u : state.members(c.userId(), c.param("pid"))) {
            users.add(userJson(u));
        }
        return Mono.just(json(200, n));
    }

    private Mono<SimReply> history(Call c) {
        int page = c.intQuery("page", 1, 1, 1_000_000);
        int perPage = c.intQuery("per_page", 20, 1, 100);
        SimState.Page p = state.history(c.userId(), c.param("pid"), page, perPage);
        ObjectNode n = mapper.createObjectNode();
        ArrayNode items = n.putArray("messages");
        p.items().forEach(m -> items.add(messageJson(m, c.userId())));
        n.put("page", page);
        n.put("per_page", perPage);
        n.put("total", p.total());
        return Mono.just(json(200, n));
    }

    private Mono<SimReply> latest(Call c) {
        Instant after = c.timeQuery("after", true);
        int perPage = c.intQuery("per_page", 100, 1, 100);
        SimState.Page p = state.latest(c.userId(), c.param("pid"), after, perPage);
        ObjectNode n = mapper.createObjectNode();
        ArrayNode items = n.putArray("messages");
        p.items().forEach(m -> items.add(messageJson(m, c.userId())));
        n.put("has_more", p.more());
        return Mono.just(json(200, n));
    }

    private Mono<SimReply> post(Call c) {
        return postOrReply(c, null);
    }

    private Mono<SimReply> reply(Call c) {
        return postOrReply(c, c.param("mid"));
    }

    private Mono<SimReply> postOrReply(Call c, String parentId) {
        JsonNode in = jsonObject(c.body());
        String body = text(in, "body");
        if (body == null) {
            throw badRequest("body: required");
        }
        Message m = state.post(c.userId(), c.param("pid"), parentId, body, ids(in, "attachment_ids"),
                mentions(in));
        return Mono.just(json(201, messageJson(m, c.userId())));
    }

    private Mono<SimReply> update(Call c) {
        JsonNode in = jsonObject(c.body());
        String body = text(in, "body");
        if (body == null) {
            throw badRequest("body: required");
        }
        return Mono.just(json(200, messageJson(state.edit(c.userId(), c.param("id"), body), c.userId())));
    }

    private Mono<SimReply> delete(Call c) {
        return Mono.just(json(200, messageJson(state.delete(c.userId(), c.param("id")), c.userId())));
    }

    private Mono<SimReply> react(Call c, boolean add) {
        String type = text(jsonObject(c.body()), "type");
        if (type == null) {
            throw badRequest("type: required");
        }
        return Mono.just(json(200, messageJson(state.react(c.userId(), c.param("id"), type, add), c.userId())));
    }

    private Mono<SimReply> upload(Call c) {
        if (!c.req().isMultipart()) {
            throw badRequest("a multipart/form-data body with a part named file is required");
        }
        return c.req().receiveForm(b -> b.maxSize(MAX_UPLOAD_BYTES))
                .filter(d -> "file".equals(d.getName()))
                .map(McsSimulator::copyPart)
                .collectList()
                .onErrorMap(e -> !(e instanceof SimulatorException), e -> {
                    String msg = String.valueOf(e.getMessage());
                    return msg.toLowerCase().contains("exceed")
                            ? new SimulatorException(413, "file: larger than " + MAX_UPLOAD_BYTES + " bytes")
                            : badRequest("malformed multipart body: " + msg);
                })
                .map(parts -> {
                    if (parts.isEmpty()) {
                        throw badRequest("file: a part named file is required");
                    }
                    Part p = parts.get(0);
                    Attachment a = state.upload(c.userId(), p.name(), p.contentType(), p.bytes());
                    return json(201, attachmentJson(a));
                });
    }

    private static Part copyPart(HttpData d) {
        if (!(d instanceof FileUpload f)) {
            throw badRequest("file: must be a file part (with a filename)");
        }
        try {
            return new Part(f.getFilename(), f.getContentType(), f.get());
        } catch (java.io.IOException e) {
            throw badRequest("file: unreadable: " + e.getMessage());
        }
    }

    private Mono<SimReply> download(Call c) {
        SimState.AttachmentRec a = state.attachment(c.param("id"));
        if (a == null) {
            throw SimulatorException.notFound("attachment not found: " + c.param("id"));
        }
        return Mono.just(new SimReply(200, a.meta().contentType(), a.bytes(), Map.of()));
    }

    // ==== JSON ======================================================================================================

    private JsonNode messageJson(Message m, String self) {
        if (m.rawJson() != null) {
            return mapper.readTree(m.rawJson());
        }
        ObjectNode n = mapper.createObjectNode();
        n.put("id", m.id());
        n.put("project_id", m.projectId());
        if (m.parentId() != null) {
            n.put("parent_id", m.parentId());
        }
        n.put("body", m.body());
        n.put("created_at", time(m.createdAt()));
        n.put("updated_at", time(m.updatedAt()));
        if (m.deleted()) {
            n.put("deleted", true);
        }
        n.set("user", userJson(m.user()));
        ArrayNode attachments = n.putArray("attachments");
        m.attachments().forEach(a -> attachments.add(attachmentJson(a)));
        ArrayNode reactions = n.putArray("reactions");
        m.reactions().forEach((type, who) -> {
            ObjectNode r = reactions.addObject();
            r.put("type", type);
            r.put("count", who.size());
            r.put("self_reacted", who.contains(self));
        });
        ArrayNode mentions = n.putArray("mentions");
        m.mentions().forEach(x -> {
            ObjectNode o = mentions.addObject();
            o.put("type", x.type());
            o.put("id", x.id());
        });
        return n;
    }

    private ObjectNode userJson(User u) {
        ObjectNode n = mapper.createObjectNode();
        n.put("id", u.id());
        n.put("last_name", u.lastName());
        n.put("first_name", u.firstName());
        if (u.station() == null) {
            n.putNull("station");
        } else {
            ObjectNode s = n.putObject("station");
            s.put("id", u.station().id());
            s.put("name", u.station().name());
        }
        ArrayNode categories = n.putArray("specialist_categories");
        u.professions().forEach(p -> categories.addObject().put("name", p));
        return n;
    }

    private ObjectNode projectJson(Project p) {
        ObjectNode n = mapper.createObjectNode();
        n.put("id", p.id());
        n.put("type", p.type());
        n.put("name", p.name());
        if (p.patientId() != null) {
            n.put("patient_id", p.patientId());
        }
        n.put("created_at", time(p.createdAt()));
        n.put("updated_at", time(p.updatedAt()));
        return n;
    }

    private ObjectNode attachmentJson(Attachment a) {
        ObjectNode n = mapper.createObjectNode();
        n.put("id", a.id());
        n.put("name", a.name());
        n.put("content_type", a.contentType());
        n.put("size", a.size());
        n.put("url", apiUrl() + "/attachments/" + a.id() + "/download");
        return n;
    }

    private JsonNode jsonObject(String body) {
        if (body == null || body.isBlank()) {
            throw badRequest("request body: a JSON object is required");
        }
        JsonNode n;
        try {
            n = mapper.readTree(body);
        } catch (JacksonException e) {
            throw badRequest("request body: not valid JSON");
        }
        if (n == null || !n.isObject()) {
            throw badRequest("request body: a JSON object is required");
        }
        return n;
    }

    private static String text(JsonNode in, String field) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isString()) {
            throw badRequest(field + ": must be a string");
        }
        return v.stringValue();
    }

    private static List<String> ids(JsonNode in, String field) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw badRequest(field + ": must be an array of ids");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v.values()) {
            if (e.isString() && !e.stringValue().isBlank()) {
                out.add(e.stringValue());
            } else if (e.isIntegralNumber()) {
                out.add(e.asString());
            } else {
                throw badRequest(field + ": must be an array of ids");
            }
        }
        return out;
    }

    private static List<Mention> mentions(JsonNode in) {
        JsonNode v = in.get("mentions");
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw badRequest("mentions: must be an array of {type, id}");
        }
        List<Mention> out = new ArrayList<>();
        for (JsonNode e : v.values()) {
            if (!e.isObject()) {
                throw badRequest("mentions: must be an array of {type, id}");
            }
            String type = text(e, "type");
            JsonNode idNode = e.get("id");
            String id = idNode == null || idNode.isNull() ? null
                    : idNode.isString() || idNode.isIntegralNumber() ? idNode.asString() : null;
            if (type == null || !SimState.MENTION_TYPES.contains(type)) {
                throw badRequest("mentions: type must be user, station or project");
            }
            if (id == null && !"project".equals(type)) {
                throw badRequest("mentions: id required for a " + type + " mention");
            }
            out.add(new Mention(type, id));
        }
        return out;
    }

    private SimReply json(int status, JsonNode n) {
        return SimReply.json(mapper, status, n);
    }

    private SimReply error(int status, String message) {
        ObjectNode n = mapper.createObjectNode();
        n.put("error", message);
        return json(status, n);
    }

    private SimReply errorReply(Throwable e) {
        if (e instanceof SimulatorException s) {
            return error(s.status(), s.getMessage());
        }
        return error(500, "internal error: " + e);
    }

    static String time(Instant t) {
        return TIME.format(t.atOffset(JST));
    }

    private static String first(List<String> values) {
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    // ==== types =====================================================================================================

    public record Station(String id, String name) {
    }

    /** A person of the SNS; {@code station} may be null; {@code professions} are specialist categories. */
    public record User(String id, String lastName, String firstName, Station station, List<String> professions) {
    }

    /** {@code type} is patient, group or direct; {@code patientId} only for patient projects, may be null. */
    public record Project(String id, String type, String name, String patientId, Instant createdAt,
                          Instant updatedAt, List<String> memberIds) {
    }

    public record Attachment(String id, String name, String contentType, long size) {
    }

    /** A mention of a user, a whole station, or the whole project. */
    public record Mention(String type, String id) {

        public static Mention user(String userId) {
            return new Mention("user", userId);
        }

        public static Mention station(String stationId) {
            return new Mention("station", stationId);
        }

        public static Mention project(String projectId) {
            return new Mention("project", projectId);
        }
    }

    /**
     * A message as stored now. {@code reactions} maps each given stamp type to who gave it, in the order
     * good, viewed, accepted, thanked, completed. {@code rawJson} is set only for
     * {@link #injectRawMessage injected} items (then {@code user} is null).
     */
    public record Message(String id, String projectId, String parentId, User user, String body, Instant createdAt,
                          Instant updatedAt, boolean deleted, List<Attachment> attachments,
                          Map<String, List<String>> reactions, List<Mention> mentions, String rawJson) {

        public int reactionCount(String type) {
            List<String> who = reactions.get(type);
            return who == null ? 0 : who.size();
        }
    }

    private record Part(String name, String contentType, byte[] bytes) {
    }

    private record Call(HttpServerRequest req, String userId, String body) {

        String param(String name) {
            return req.param(name);
        }

        String query(String name) {
            return first(new QueryStringDecoder(req.uri()).parameters().get(name));
        }

        int intQuery(String name, int dflt, int min, int max) {
            String v = query(name);
            if (v == null || v.isEmpty()) {
                return dflt;
            }
            try {
                int i = Integer.parseInt(v);
                if (i >= min && i <= max) {
                    return i;
                }
            } catch (NumberFormatException ignored) {
                // answered below
            }
            throw badRequest(name + ": must be an integer from " + min + " to " + max);
        }

        Instant timeQuery(String name, boolean required) {
            String v = query(name);
            if (v == null || v.isEmpty()) {
                if (required) {
                    throw badRequest(name + ": required (ISO-8601 timestamp with offset)");
                }
                return null;
            }
            try {
                return OffsetDateTime.parse(v).toInstant();
            } catch (DateTimeParseException e) {
                throw badRequest(name + ": not an ISO-8601 timestamp with offset (is '+' URL-encoded?): " + v);
            }
        }
    }

    /** Refills at {@code rate} per second up to a burst of max(1, rate). */
    private static final class TokenBucket {

        private final double rate;
        private final double capacity;
        private double tokens;
        private long last = System.nanoTime();

        TokenBucket(double rate) {
            this.rate = rate;
            this.capacity = Math.max(1.0, rate);
            this.tokens = capacity;
        }

        /** 0 if a token was taken, else whole seconds until one is there (at least 1). */
        synchronized long tryAcquire() {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - last) / 1e9 * rate);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - tokens) / rate));
        }
    }
}
