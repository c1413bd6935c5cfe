package jp.tsunagu.connectors.webhook;

import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.regex.Pattern;

/**
 * Checks that a received webhook is authentic, fresh and not a replay, the Standard Webhooks way (spec 1.0.0,
 * "Verifying signatures").
 *
 * <p>In order: the three headers are present and well formed; {@code webhook-timestamp} is within the tolerance
 * of this server's clock, either way; one of the {@code v1} signatures in {@code webhook-signature} is the
 * HMAC-SHA256 of {@code id.timestamp.body} under one of the active secrets (compared in constant time with
 * {@link MessageDigest#isEqual}); and {@code webhook-id} was not accepted before. Only a request that passes all
 * of that is remembered in the replay cache, so forged requests can neither fill it nor block a genuine id.
 *
 * <p>{@link #verify} never throws on bad input: it returns a {@link Refused} naming why. Thread-safe.
 *
 * <h2>The replay cache bound</h2>
 * A request stamped {@code t} is accepted only while {@code |now - t| <= tolerance}, so its id must be
 * remembered until {@code t + tolerance} and no longer: after that the timestamp check refuses it on its own.
 * An id therefore stays at most {@code 2 × tolerance} (a request stamped {@code tolerance} ahead), so the cache
 * needs {@code peak accepted rate × 2 × tolerance} entries. When it is full of live ids, new requests are
 * refused with {@link Reason#REPLAY_CACHE_FULL} rather than forgetting a live id, which would re-open a replay:
 * fail closed. Only authentic requests take entries, so only the genuine sender can fill it.
 */
public final class WebhookVerifier {

    /** The spec's recommended tolerance (its reference libraries use 5 minutes both ways). */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    /**
     * Room for 20,000 live ids: over the default 10-minute worst-case lifetime ({@code 2 × 5 min}) that is a
     * sustained 33 accepted webhooks a second, over three times the ~10 requests a second the MCS-style profile
     * assumes per account. At up to 128 characters an id, that is a few megabytes at most.
     */
    public static final int DEFAULT_REPLAY_CAPACITY = 20_000;

    /** Integer Unix seconds, as the spec defines the header; 12 digits reach the year 33658 without overflow. */
    private static final Pattern TIMESTAMP = Pattern.compile("[0-9]{1,12}");

    private final List<WebhookSecret> secrets;
    private final Clock clock;
    private final Duration tolerance;
    private final ReplayCache seen;

    /** A verifier with the default tolerance and cache size, on the system clock. */
    public WebhookVerifier(WebhookKeys keys) {
        this(keys, Clock.systemUTC(), DEFAULT_TOLERANCE, DEFAULT_REPLAY_CAPACITY);
    }

    /**
     * @param keys the secrets accepted: the current one and, while rotating, the previous one
     * @param clock the time requests are judged against
     * @param tolerance how far {@code webhook-timestamp} may be from {@code clock}, in the past or the future
     * @param replayCapacity how many accepted ids may be remembered at once (see the class comment)
     * @throws IllegalArgumentException if the tolerance is not positive or the capacity is below 1
     */
    public WebhookVerifier(WebhookKeys keys, Clock clock, Duration tolerance, int replayCapacity) {
        this.secrets = Objects.requireNonNull(keys, "keys").accepted();
        this.clock = Objects.requireNonNull(clock, "clock");
        if (tolerance.isNegative() || tolerance.isZero()) {
            throw new IllegalArgumentException("tolerance must be positive");
        }
        if (replayCapacity < 1) {
            throw new IllegalArgumentException("replayCapacity must be at least 1");
        }
        this.tolerance = tolerance;
        this.seen = new ReplayCache(replayCapacity);
    }

    /**
     * Verifies one received webhook.
     *
     * @param headers the request headers; names are matched ignoring case, and several {@code webhook-signature}
     *                lines are read as one space-separated list
     * @param body the raw body bytes exactly as received (not re-serialised JSON)
     * @return {@link Verified}, or {@link Refused} with the first reason found; never null, never throws for bad
     *         input (null headers or body are refused as missing)
     */
    public Verification verify(Map<String, List<String>> headers, byte[] body) {
        if (headers == null || body == null) {
            return new Refused(Reason.MISSING_HEADER, null, "no headers or no body");
        }
        List<String> ids = values(headers, WebhookSigner.ID_HEADER);
        List<String> timestamps = values(headers, WebhookSigner.TIMESTAMP_HEADER);
        List<String> signatures = values(headers, WebhookSigner.SIGNATURE_HEADER);
        for (var header : List.of(Map.entry(WebhookSigner.ID_HEADER, ids),
                Map.entry(WebhookSigner.TIMESTAMP_HEADER, timestamps),
                Map.entry(WebhookSigner.SIGNATURE_HEADER, signatures))) {
            if (header.getValue().isEmpty()) {
                return new Refused(Reason.MISSING_HEADER, null, header.getKey() + " is missing");
            }
        }
        if (ids.size() > 1 || timestamps.size() > 1) {
            // Which one would the sender have signed? Refuse rather than guess.
            return new Refused(Reason.MALFORMED_HEADER, null, "webhook-id or webhook-timestamp is repeated");
        }
        String id = ids.get(0);
        if (!WebhookSigner.VALID_ID.matcher(id).matches()) {
            return new Refused(Reason.MALFORMED_HEADER, null,
                    "webhook-id must be 1-128 visible ASCII characters without '.'");
        }
        String timestamp = timestamps.get(0);
        if (!TIMESTAMP.matcher(timestamp).matches()) {
            return new Refused(Reason.BAD_TIMESTAMP, id, "webhook-timestamp is not integer Unix seconds");
        }
        Instant sentAt = Instant.ofEpochSecond(Long.parseLong(timestamp));
        Instant now = clock.instant();
        if (sentAt.isBefore(now.minus(tolerance))) {
            return new Refused(Reason.EXPIRED, id, "webhook-timestamp is more than " + tolerance + " old");
        }
        if (sentAt.isAfter(now.plus(tolerance))) {
            return new Refused(Reason.EXPIRED, id, "webhook-timestamp is more than " + tolerance + " ahead");
        }
        int matched = matchingSecret(id, timestamp, body, signatures);
        if (matched < 0) {
            return new Refused(Reason.FORGED, id, "no v1 signature matches an active secret");
        }
        return switch (seen.add(id, sentAt.plus(tolerance), now)) {
            case ADDED -> new Verified(id, sentAt, matched > 0);
            case PRESENT -> new Refused(Reason.REPLAYED, id, "webhook-id was already accepted");
            case FULL -> new Refused(Reason.REPLAY_CACHE_FULL, id, "too many webhooks within the tolerance window");
        };
    }

    /** How many accepted ids are remembered now (expired ones may linger until the next verification). */
    public int replayCacheSize() {
        return seen.size();
    }

    /** The index in the active secrets of one that signed the request, or -1. */
    private int matchingSecret(String id, String timestamp, byte[] body, List<String> headerLines) {
        List<byte[]> candidates = new ArrayList<>();
        for (String line : headerLines) {
            for (String entry : line.trim().split("\\s+")) {
                int comma = entry.indexOf(',');
                // Other versions (v1a: ed25519) may sit beside v1; the spec lets a receiver skip them.
                if (comma < 0 || !entry.substring(0, comma).equals(WebhookSigner.SCHEME_V1)) {
                    continue;
                }
                try {
                    candidates.add(Base64.getDecoder().decode(entry.substring(comma + 1)));
                } catch (IllegalArgumentException notBase64) {
                    // A garbled entry cannot match; another entry still may.
                }
            }
        }
        for (int i = 0; i < secrets.size(); i++) {
            byte[] expected = WebhookSigner.hmac(secrets.get(i), id, timestamp, body);
            for (byte[] candidate : candidates) {
                if (MessageDigest.isEqual(expected, candidate)) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** All non-blank values of a header, its name matched ignoring case (plain maps are case-sensitive). */
    private static List<String> values(Map<String, List<String>> headers, String name) {
        List<String> values = new ArrayList<>(1);
        headers.forEach((key, list) -> {
            if (key != null && key.equalsIgnoreCase(name) && list != null) {
                for (String value : list) {
                    if (value != null && !value.isBlank()) {
                        values.add(value.strip());
                    }
                }
            }
        });
        return values;
    }

    /** The outcome of {@link #verify}. */
    public sealed interface Verification permits Verified, Refused {
        /** True for {@link Verified}. */
        boolean accepted();
    }

    /**
     * An authentic, fresh, first-seen webhook.
     *
     * @param timestamp the sender's {@code webhook-timestamp}
     * @param withPreviousSecret true if only the secret being rotated out matched: the sender has not switched yet
     */
    public record Verified(String webhookId, Instant timestamp, boolean withPreviousSecret) implements Verification {
        @Override
        public boolean accepted() {
            return true;
        }
    }

    /**
     * A refused webhook; the HTTP layer answers 401 (503 for {@link Reason#REPLAY_CACHE_FULL}).
     *
     * @param webhookId the request's id when it was well formed, else null; not proof of who sent it
     * @param detail for logs: which header and why; never contains a secret or the body
     */
    public record Refused(Reason reason, String webhookId, String detail) implements Verification {
        @Override
        public boolean accepted() {
            return false;
        }
    }

    /** Why a webhook was refused. */
    public enum Reason {
        /** {@code webhook-id}, {@code webhook-timestamp} or {@code webhook-signature} is absent or blank. */
        MISSING_HEADER,
        /** {@code webhook-id} or {@code webhook-timestamp} is repeated, or the id has a full stop or is too long. */
        MALFORMED_HEADER,
        /** {@code webhook-timestamp} is not integer Unix seconds. */
        BAD_TIMESTAMP,
        /** {@code webhook-timestamp} is further than the tolerance from now, in the past or in the future. */
        EXPIRED,
        /** No {@code v1} signature matches an active secret: wrong secret, tampered body, id or timestamp. */
        FORGED,
        /** This {@code webhook-id} was accepted already within the tolerance window. */
        REPLAYED,
        /** The replay cache is full of live ids; the request is authentic but cannot be checked for replay now. */
        REPLAY_CACHE_FULL
    }

    /** Accepted ids until their timestamp leaves the tolerance window; bounded, failing closed when full. */
    private static final class ReplayCache {

        enum Added { ADDED, PRESENT, FULL }

        private record Entry(Instant expiry, String id) {
        }

        private final int capacity;
        private final Map<String, Instant> expiries = new HashMap<>();
        // Expiries are not in arrival order (timestamps vary within the window), hence a heap rather than a queue.
        private final PriorityQueue<Entry> byExpiry = new PriorityQueue<>((a, b) -> a.expiry.compareTo(b.expiry));

        ReplayCache(int capacity) {
            this.capacity = capacity;
        }

        synchronized Added add(String id, Instant expiry, Instant now) {
            while (!byExpiry.isEmpty() && byExpiry.peek().expiry.isBefore(now)) {
                expiries.remove(byExpiry.poll().id);
            }
            if (expiries.containsKey(id)) {
                return Added.PRESENT;
            }
            if (expiries.size() >= capacity) {
                return Added.FULL;
            }
            expiries.put(id, expiry);
            byExpiry.add(new Entry(expiry, id));
            return Added.ADDED;
        }

        synchronized int size() {
            return expiries.size();
        }
    }
}
