package jp.tsunagu.chat.handler;

import java.math.BigInteger;
import java.net.URI;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.notify.NotifyProfile;
import jp.tsunagu.chat.notify.NotifyProfileStore;
import jp.tsunagu.chat.notify.QuietHours;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.NotifyAudience;
import jp.tsunagu.chat.room.NotifyLevel;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A person's notification settings: their devices (Web Push subscriptions), do-not-disturb, weekly quiet hours,
 * their level in each room, and which room a device shows now. Everything here is the caller's own: another
 * person's device is "not found", a room the caller is not an active member of is "not found" (as everywhere).
 * Errors: 400 naming the field for bad input; 404 as said.
 */
public final class NotificationHandler {

    /** A device says again which room it shows about every minute while it does; unsaid, it lapses after this. */
    public static final Duration VIEWING_HOLDS = Duration.ofMinutes(2);
    /** Do-not-disturb is for a shift, a night, a holiday; a month away is a level of "none" or unsubscribing. */
    static final Duration LONGEST_DND = Duration.ofDays(30);
    /** What the Push API's endpoints stay within (FCM's are about 200 characters). */
    static final int MAX_ENDPOINT = 1_000;
    /** A person signs in on a phone, a tablet and a desk or two; 20 is far above that and bounds each fan-out. */
    static final int MAX_DEVICES = 20;

    /** {@code PushSubscription.toJSON()}, and a label for the device list. */
    public record Subscribe(String endpoint, Keys keys, String userAgent) {
    }

    public record Keys(String p256dh, String auth) {
    }

    public record Device(String id, Instant createdAt, String userAgent) {
    }

    public record VapidKey(String publicKey) {
    }

    /** {@code dndUntil}: ISO-8601 (without an offset: Japan time) or null for off. */
    public record SettingsInput(String dndUntil, QuietHoursInput quietHours) {
    }

    /** {@code days}: mon..sun, the days the window starts on; {@code from}/{@code to}: HH:mm, Japan time. */
    public record QuietHoursInput(List<String> days, String from, String to) {
    }

    public record Settings(Instant dndUntil, QuietHoursInput quietHours, List<RoomLevel> rooms) {
    }

    /**
     * @param level         the level in effect
     * @param defaultLevel  the room kind's default
     * @param chosen        whether the person chose {@code level} (else it is the default)
     */
    public record RoomLevel(String roomId, String roomName, String kind, String level, String defaultLevel,
                            boolean chosen) {
    }

    public record LevelInput(String level) {
    }

    private final NotifyProfileStore profiles;
    private final RoomStore rooms;
    private final MembershipStore memberships;
    private final RoomAccess access;
    private final String vapidPublicKey;
    private final List<String> endpointHosts;
    private final boolean allowHttp;
    private final Clock clock;

    public NotificationHandler(NotifyProfileStore profiles, RoomStore rooms, MembershipStore memberships,
                               RoomAccess access, String vapidPublicKey, List<String> endpointHosts, boolean allowHttp,
                               Clock clock) {
        this.profiles = profiles;
        this.rooms = rooms;
        this.memberships = memberships;
        this.access = access;
        this.vapidPublicKey = vapidPublicKey;
        this.endpointHosts = List.copyOf(endpointHosts);
        this.allowHttp = allowHttp;
        this.clock = clock;
    }

    /** The server's VAPID public key: a browser subscribes with it as {@code applicationServerKey}. */
    public VapidKey vapidKey() {
        return new VapidKey(vapidPublicKey);
    }

    /** The caller's devices, newest first. */
    public Flux<Device> devices(CareUser user) {
        return profiles.find(user.id()).flatMapIterable(p -> p.devices().entrySet().stream()
                .map(e -> new Device(e.getKey(), e.getValue().createdAt(), e.getValue().userAgent()))
                .sorted(Comparator.comparing(Device::createdAt).reversed()).toList());
    }

    /**
     * Files a device's subscription under the caller; subscribing the same endpoint again refreshes its keys (the
     * browser renewed them) and keeps its id. 400 naming the field for an endpoint that is not an allowed push
     * service, or keys that are not a P-256 point and a 16-byte secret; 409 beyond {@value #MAX_DEVICES} devices.
     */
    public Mono<Device> subscribe(CareUser user, Subscribe in) {
        if (in == null) {
            throw ApiException.invalid("endpoint", "is required");
        }
        String endpoint = endpoint(in.endpoint());
        if (in.keys() == null) {
            throw ApiException.invalid("keys", "is required: {p256dh, auth} from PushSubscription.toJSON()");
        }
        String p256dh = p256dh(in.keys().p256dh());
        String auth = auth(in.keys().auth());
        String label = in.userAgent() == null ? null : in.userAgent().strip();
        if (label != null && label.length() > 200) {
            throw ApiException.invalid("userAgent", "must be at most 200 characters");
        }
        String id = Ids.derived("push-device", endpoint);
        Instant now = clock.instant();
        return profiles.find(user.id()).map(p -> p.devices()).defaultIfEmpty(Map.of()).flatMap(devices -> {
            if (!devices.containsKey(id) && devices.size() >= MAX_DEVICES) {
                throw ApiException.conflict("too-many-devices", "at most " + MAX_DEVICES
                        + " devices receive notifications; remove one first");
            }
            NotifyProfile.Device old = devices.get(id);
            NotifyProfile.Device device = new NotifyProfile.Device(endpoint, p256dh, auth,
                    old == null ? now : old.createdAt(), label, null, null);
            return profiles.addDevice(user.id(), id, device).thenReturn(new Device(id, device.createdAt(), label));
        });
    }

    /** Forgets one of the caller's devices; 404 if it is not theirs. */
    public Mono<Void> unsubscribe(CareUser user, String deviceId) {
        String id = Ids.require("deviceId", deviceId);
        return profiles.removeDevice(user.id(), id).flatMap(removed -> removed ? Mono.<Void>empty()
                : Mono.error(ApiException.notFound("device")));
    }

    /**
     * Which room one of the caller's devices shows now (null: none), as its WebSocket says; it lapses after
     * {@link #VIEWING_HOLDS} unless said again. A device that is not the caller's changes nothing.
     */
    public Mono<Boolean> viewing(CareUser user, String deviceId, String roomId) {
        String id = Ids.require("device", deviceId);
        String room = roomId == null ? null : Ids.require("roomId", roomId);
        return profiles.setViewing(user.id(), id, room, clock.instant().plus(VIEWING_HOLDS));
    }

    /** Do-not-disturb, quiet hours and the caller's level in each of their rooms. */
    public Mono<Settings> settings(CareUser user) {
        Mono<NotifyProfile> profile = profiles.find(user.id())
                .defaultIfEmpty(new NotifyProfile(user.id(), null, null, null, null));
        Mono<List<RoomLevel>> levels = memberships.activeOf(user.id(), RoomHandler.MAX_ROOMS_PER_USER)
                .map(Membership::roomId).collectList()
                .flatMap(ids -> Mono.zip(rooms.names(ids), rooms.audiences(ids)))
                .map(t -> t.getT2().entrySet().stream()
                        .map(e -> level(e.getKey(), t.getT1().getOrDefault(e.getKey(), ""), e.getValue(), user.id()))
                        .sorted(Comparator.comparing(RoomLevel::roomName)).toList());
        return Mono.zip(profile, levels).map(t -> view(t.getT1(), t.getT2()));
    }

    /**
     * Replaces do-not-disturb and quiet hours (either null: off). 400 for a do-not-disturb end in the past or more
     * than 30 days ahead, or quiet hours without days, with a bad time, or starting when they end.
     */
    public Mono<Settings> updateSettings(CareUser user, SettingsInput in) {
        Instant now = clock.instant();
        Instant dnd = null;
        if (in != null && in.dndUntil() != null && !in.dndUntil().isBlank()) {
            dnd = RequestAssignees.japanTime("dndUntil", in.dndUntil());
            if (!dnd.isAfter(now)) {
                throw ApiException.invalid("dndUntil", "must be in the future (null turns do-not-disturb off)");
            }
            if (dnd.isAfter(now.plus(LONGEST_DND))) {
                throw ApiException.invalid("dndUntil", "must be at most 30 days ahead");
            }
        }
        QuietHours quiet = in == null || in.quietHours() == null ? null : quietHours(in.quietHours());
        return profiles.setQuiet(user.id(), dnd, quiet).then(settings(user));
    }

    /** The caller's level in a room; 404 if they are not an active member. */
    public Mono<RoomLevel> roomLevel(CareUser user, String roomId) {
        Ids.require("roomId", roomId);
        return access.require(user, roomId).flatMap(member -> rooms.audience(roomId)
                .map(a -> level(member.room(), a, user.id())));
    }

    /**
     * Sets the caller's level in a room: {@code all}, {@code mentions}, {@code none}, or {@code default} for the
     * room kind's. 400 for another level; 404 if they are not an active member.
     */
    public Mono<RoomLevel> setRoomLevel(CareUser user, String roomId, LevelInput in) {
        Ids.require("roomId", roomId);
        String code = in == null ? null : in.level();
        NotifyLevel level = "default".equalsIgnoreCase(code == null ? "" : code.strip()) ? null
                : NotifyLevel.parse(code).orElseThrow(() -> ApiException.invalid("level",
                        "must be all, mentions, none or default"));
        return access.require(user, roomId).flatMap(member -> rooms.setNotifyLevel(roomId, user.id(), level)
                .map(a -> level(member.room(), a, user.id())));
    }

    private static RoomLevel level(CareRoom room, NotifyAudience audience, String userId) {
        return level(room.id(), room.name() == null ? "" : room.name(), audience, userId);
    }

    private static RoomLevel level(String roomId, String name, NotifyAudience audience, String userId) {
        return new RoomLevel(roomId, name, audience.kind().name().toLowerCase(Locale.ROOT),
                audience.level(userId).code(), NotifyLevel.defaultFor(audience.kind()).code(),
                audience.chosen().containsKey(userId));
    }

    private static Settings view(NotifyProfile p, List<RoomLevel> rooms) {
        QuietHours q = p.quietHours();
        QuietHoursInput quiet = q == null ? null : new QuietHoursInput(
                q.days().stream().map(d -> d.name().substring(0, 3).toLowerCase(Locale.ROOT)).toList(),
                q.from().toString(), q.to().toString());
        return new Settings(p.dndUntil(), quiet, rooms);
    }

    private static QuietHours quietHours(QuietHoursInput in) {
        if (in.days() == null || in.days().isEmpty()) {
            throw ApiException.invalid("quietHours.days", "must name at least one day (mon..sun)");
        }
        List<DayOfWeek> days = new ArrayList<>();
        for (int i = 0; i < in.days().size(); i++) {
            days.add(day("quietHours.days[" + i + "]", in.days().get(i)));
        }
        LocalTime from = time("quietHours.from", in.from());
        LocalTime to = time("quietHours.to", in.to());
        if (from.equals(to)) {
            throw ApiException.invalid("quietHours.to", "must differ from quietHours.from (a whole day is do-not-disturb)");
        }
        return new QuietHours(days, from, to);
    }

    private static DayOfWeek day(String field, String value) {
        String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        for (DayOfWeek d : DayOfWeek.values()) {
            if (d.name().toLowerCase(Locale.ROOT).startsWith(v) && v.length() >= 3) {
                return d;
            }
        }
        throw ApiException.invalid(field, "must be one of mon, tue, wed, thu, fri, sat, sun");
    }

    private static LocalTime time(String field, String value) {
        try {
            if (value == null || !value.strip().matches("\\d{2}:\\d{2}")) {
                throw new DateTimeParseException("not HH:mm", String.valueOf(value), 0);
            }
            return LocalTime.parse(value.strip());
        } catch (DateTimeParseException e) {
            throw ApiException.invalid(field, "must be a time HH:mm (Japan time), e.g. 22:00");
        }
    }

    /** An absolute URL of an allowed push service, https unless the stand-in of a test or the demo is allowed. */
    private String endpoint(String value) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalid("endpoint", "is required");
        }
        if (value.length() > MAX_ENDPOINT) {
            throw ApiException.invalid("endpoint", "must be at most " + MAX_ENDPOINT + " characters");
        }
        URI uri;
        try {
            uri = new URI(value.strip());
        } catch (java.net.URISyntaxException e) {
            throw ApiException.invalid("endpoint", "must be a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(allowHttp && scheme.equals("http"))) {
            throw ApiException.invalid("endpoint", "must be an https URL of a push service");
        }
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        if (host.isEmpty() || uri.getUserInfo() != null) {
            throw ApiException.invalid("endpoint", "must be a URL of a push service");
        }
        boolean allowed = endpointHosts.stream().anyMatch(h -> h.equals("*")
                || (h.startsWith(".") ? host.endsWith(h) : host.equals(h)));
        if (!allowed) {
            throw ApiException.invalid("endpoint", "is not a push service this server sends to (" + host + ")");
        }
        return uri.toString();
    }

    /** An uncompressed P-256 point (65 bytes from 0x04) on the curve, base64url. */
    private static String p256dh(String value) {
        byte[] key = base64url("keys.p256dh", value);
        if (key.length != 65 || key[0] != 4 || !onP256(key)) {
            throw ApiException.invalid("keys.p256dh", "must be the browser's P-256 public key (65 bytes, base64url)");
        }
        return value.strip();
    }

    private static String auth(String value) {
        if (base64url("keys.auth", value).length != 16) {
            throw ApiException.invalid("keys.auth", "must be the browser's 16-byte authentication secret (base64url)");
        }
        return value.strip();
    }

    private static byte[] base64url(String field, String value) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalid(field, "is required");
        }
        try {
            return Base64.getUrlDecoder().decode(value.strip().replace("=", ""));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(field, "must be base64url");
        }
    }

    // P-256 (SEC 2, 2.4.2): y² = x³ - 3x + b over p. A key off the curve would fail only when the first push is
    // encrypted; refusing it here tells the client at once.
    private static final BigInteger P = new BigInteger("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
    private static final BigInteger B = new BigInteger("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16);

    private static boolean onP256(byte[] point) {
        BigInteger x = new BigInteger(1, java.util.Arrays.copyOfRange(point, 1, 33));
        BigInteger y = new BigInteger(1, java.util.Arrays.copyOfRange(point, 33, 65));
        if (x.compareTo(P) >= 0 || y.compareTo(P) >= 0) {
            return false;
        }
        BigInteger left = y.multiply(y).mod(P);
        BigInteger right = x.pow(3).subtract(x.multiply(BigInteger.valueOf(3))).add(B).mod(P);
        return left.equals(right);
    }
}
