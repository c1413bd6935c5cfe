package jp.tsunagu.connectors.support.simulator;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import reactor.netty.http.server.HttpServerRequest;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A simulator's OAuth2 client-credentials token endpoint and bearer check. The client authenticates by HTTP
 * Basic or by the form fields {@code client_id}/{@code client_secret}; the answer is
 * {@code {"access_token","token_type":"Bearer","expires_in"}}. Errors follow RFC 6749/6750: 400
 * {@code invalid_request}/{@code unsupported_grant_type}, 401 {@code invalid_client} (with
 * {@code WWW-Authenticate: Basic}), 401 {@code invalid_token} on API calls (with {@code WWW-Authenticate: Bearer}).
 */
public final class SimTokens {

    public static final Duration DEFAULT_TTL = Duration.ofHours(1);

    /** Who a bearer token stands for, or the 401 to answer instead. */
    public record Auth(String account, SimReply refusal) {
    }

    private record Client(String secret, String account) {
    }

    private record Token(String clientId, Instant expiresAt) {
    }

    private final JsonMapper mapper;
    private final Supplier<Instant> now;
    private final String realm;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Client> clients = new ConcurrentHashMap<>();
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private volatile Duration ttl = DEFAULT_TTL;

    /**
     * @param now the simulator's clock for token expiry
     * @param realm the Basic realm named in {@code invalid_client} answers
     */
    public SimTokens(JsonMapper mapper, Supplier<Instant> now, String realm) {
        this.mapper = mapper;
        this.now = now;
        this.realm = realm;
    }

    /** Registers (or changes the secret of) a client whose tokens stand for {@code account}. */
    public void addClient(String clientId, String secret, String account) {
        if (clientId == null || clientId.isBlank() || secret == null) {
            throw new IllegalArgumentException("client id and secret are required");
        }
        clients.put(clientId, new Client(secret, account));
    }

    /** TTL of tokens issued from now on; {@link Duration#ZERO} issues tokens already expired. */
    public void ttl(Duration ttl) {
        if (ttl == null || ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must be zero or positive");
        }
        this.ttl = ttl;
    }

    /** Forgets every issued token: the next API call of each client gets 401. */
    public void revokeAll() {
        tokens.clear();
    }

    /** Answers a token request whose form body is {@code body}. */
    public SimReply issue(HttpServerRequest req, String body) {
        Map<String, List<String>> form = new QueryStringDecoder(body, StandardCharsets.UTF_8, false).parameters();
        String grant = first(form.get("grant_type"));
        if (grant == null) {
            return oauthError(400, "invalid_request", "grant_type is required");
        }
        if (!"client_credentials".equals(grant)) {
            return oauthError(400, "unsupported_grant_type", "only client_credentials is supported");
        }
        String id = first(form.get("client_id"));
        String secret = first(form.get("client_secret"));
        String auth = req.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String decoded = new String(Base64.getDecoder().decode(auth.substring(6).trim()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                if (colon < 0) {
                    return invalidClient();
                }
                id = URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8);
                secret = URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return invalidClient();
            }
        }
        Client client = id == null ? null : clients.get(id);
        if (client == null || secret == null || !MessageDigest.isEqual(
                client.secret().getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8))) {
            return invalidClient();
        }
        Duration lifetime = ttl;
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        tokens.put(token, new Token(id, now.get().plus(lifetime)));
        ObjectNode n = mapper.createObjectNode();
        n.put("access_token", token);
        n.put("token_type", "Bearer");
        n.put("expires_in", (lifetime.toMillis() + 999) / 1000);
        return SimReply.json(mapper, 200, n).header("Cache-Control", "no-store");
    }

    /** The account the request's bearer token was issued for, or the 401 to answer. */
    public Auth authenticate(HttpServerRequest req) {
        String value = bearer(req);
        if (value == null) {
            return refused("invalid_request", "a bearer token is required");
        }
        Token t = tokens.get(value);
        Client client = t == null ? null : clients.get(t.clientId());
        if (client == null) {
            return refused("invalid_token", "unknown access token");
        }
        if (!now.get().isBefore(t.expiresAt())) {
            tokens.remove(value);
            return refused("invalid_token", "the access token expired");
        }
        return new Auth(client.account(), null);
    }

    /** A 401 as an API call with a bad token gets it. */
    public SimReply unauthorized(String code, String description) {
        return oauthError(401, code, description).header("WWW-Authenticate", "Bearer error=\"" + code + "\"");
    }

    private Auth refused(String code, String description) {
        return new Auth(null, unauthorized(code, description));
    }

    private SimReply invalidClient() {
        return oauthError(401, "invalid_client", "unknown client or wrong secret")
                .header("WWW-Authenticate", "Basic realm=\"" + realm + "\"");
    }

    private SimReply oauthError(int status, String code, String description) {
        ObjectNode n = mapper.createObjectNode();
        n.put("error", code);
        n.put("error_description", description);
        return SimReply.json(mapper, status, n);
    }

    private static String bearer(HttpServerRequest req) {
        String auth = req.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String v = auth.substring(7).trim();
        return v.isEmpty() ? null : v;
    }

    private static String first(List<String> values) {
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
