package jp.tsunagu.connectors.record.fhir;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * One FHIR R4 server that residents' health records are read from (the regional network's). A plain record:
 * the server binds it from {@code tsunagu.record.fhir.*}; defaults are applied here, so a partly filled
 * binding is complete.
 *
 * @param id short name for logs, metrics and cache names; default {@code fhir}
 * @param baseUrl the FHIR base (e.g. {@code https://fhir.tone-net.example/r4}); required, http or https
 * @param tokenUrl OAuth2 token endpoint for client credentials; without it no token is sent
 * @param clientId required with {@code tokenUrl}
 * @param clientSecret required with {@code tokenUrl}
 * @param scope optional scopes, separated by spaces or commas (e.g. {@code system/*.read})
 * @param patientIdentifierSystem the identifier system under which the network's Patient resources carry
 *                                the resident id we hold ({@code Patient?identifier={system}|{residentId}});
 *                                default {@value #DEFAULT_PATIENT_IDENTIFIER_SYSTEM}, which is ours: a
 *                                network that registers residents under its own system (a とねっと number,
 *                                a municipality's OID) sets that system here
 * @param timeout per HTTP call, token request included; default 3 s: the regional server answers a search
 *                in well under a second, and a room view should not wait longer for an excerpt
 * @param cacheTtl how long an answer (and a resident's Patient id) is reused; default 30 s, long enough for
 *                 the several categories and viewers of one room view, short enough that new data shows soon
 * @param cacheMaxEntries bound on cached answers; default 10,000. A safety bound for bursts: within one TTL
 *                        a node sees far fewer queries (a room view asks a few categories), and 10,000
 *                        typical answers (tens of items of a few hundred bytes) are some tens of MB
 * @param maxItems items per query at most (the newest); default 500: 60 days of blood pressure morning and
 *                 evening are 120, of self-measured glucose up to 240, a year of weekly weight 52
 */
public record FhirSourceProperties(String id, String baseUrl, String tokenUrl, String clientId, String clientSecret,
                                   String scope, String patientIdentifierSystem, Duration timeout, Duration cacheTtl,
                                   int cacheMaxEntries, int maxItems) {

    public static final String DEFAULT_ID = "fhir";
    /** Ours: the resident ids of the rooms ({@code externalResidentId}) as the network's Patient identifiers. */
    public static final String DEFAULT_PATIENT_IDENTIFIER_SYSTEM = "urn:tsunagu:resident-id";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(30);
    public static final int DEFAULT_CACHE_MAX_ENTRIES = 10_000;
    public static final int DEFAULT_MAX_ITEMS = 500;

    public FhirSourceProperties {
        id = blank(id) ? DEFAULT_ID : id.trim();
        if (blank(baseUrl)) {
            throw new IllegalArgumentException("tsunagu.record.fhir.base-url is required");
        }
        baseUrl = httpUrl("base-url", baseUrl);
        tokenUrl = blank(tokenUrl) ? null : httpUrl("token-url", tokenUrl);
        if (tokenUrl != null && (blank(clientId) || clientSecret == null || clientSecret.isEmpty())) {
            throw new IllegalArgumentException("tsunagu.record.fhir.client-id and client-secret are required with token-url");
        }
        scope = blank(scope) ? null : scope.trim();
        patientIdentifierSystem = blank(patientIdentifierSystem) ? DEFAULT_PATIENT_IDENTIFIER_SYSTEM
                : patientIdentifierSystem.trim();
        timeout = positive("timeout", timeout, DEFAULT_TIMEOUT);
        cacheTtl = positive("cache-ttl", cacheTtl, DEFAULT_CACHE_TTL);
        cacheMaxEntries = cacheMaxEntries <= 0 ? DEFAULT_CACHE_MAX_ENTRIES : cacheMaxEntries;
        maxItems = maxItems <= 0 ? DEFAULT_MAX_ITEMS : maxItems;
    }

    /** A server without tokens, with the defaults. */
    public static FhirSourceProperties of(String baseUrl) {
        return new FhirSourceProperties(null, baseUrl, null, null, null, null, null, null, null, 0, 0);
    }

    /** A server behind client credentials, with the defaults. */
    public static FhirSourceProperties of(String baseUrl, String tokenUrl, String clientId, String clientSecret) {
        return new FhirSourceProperties(null, baseUrl, tokenUrl, clientId, clientSecret, null, null, null, null, 0, 0);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** Absolute http(s), without a trailing slash, so paths and next links compare as plain prefixes. */
    private static String httpUrl(String name, String value) {
        String v = value.trim();
        while (v.endsWith("/")) {
            v = v.substring(0, v.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tsunagu.record.fhir." + name + ": not a URL: " + value, e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("tsunagu.record.fhir." + name + ": an absolute http(s) URL without query is required: " + value);
        }
        return v;
    }

    private static Duration positive(String name, Duration value, Duration dflt) {
        if (value == null) {
            return dflt;
        }
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("tsunagu.record.fhir." + name + " must be positive: " + value);
        }
        return value;
    }
}
