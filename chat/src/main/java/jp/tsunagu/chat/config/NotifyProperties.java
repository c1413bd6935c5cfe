package jp.tsunagu.chat.config;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Push notifications ({@code tsunagu.notify.*}).
 *
 * @param enabled           false: no notifications are queued or sent (nothing is enqueued by posts either)
 * @param shards            sender shards, each sent by the one node holding its lease; 8 leaves room for up to 8
 *                          nodes to share the work, and a lease each is cheap
 * @param poll              how often a node takes the notifications due in its shards (retries, repeats,
 *                          reminders, another node's); those enqueued on this node leave at once. 1 s bounds the
 *                          delay of a notification enqueued on another node; {@code 0} turns sending off here
 * @param urgentRepeatEvery between the sends of an urgent notification nobody acknowledged (the 5 minutes)
 * @param urgentRepeats     sends after the first (the 6: half an hour, past both escalation steps)
 * @param dueReminderBefore how long before its due time a request's assignees are reminded, once
 * @param keepFinished      how long sent and dropped records are kept
 * @param messageTtl        how long a push service keeps a notification for a phone that is off (12 h: a
 *                          night's news is still news in the morning; older, the inbox tells it better)
 * @param vapid             the server's identity towards push services
 * @param endpointHosts     push services a subscription may point at: host names or suffixes ({@code .push.apple.com});
 *                          {@code *} allows any. The server POSTs to the endpoint a browser gave, so without this list
 *                          a signed-in user could make it call any address
 * @param allowHttp         accept {@code http:} endpoints (a push service stand-in in tests and the demo only)
 * @param connectTimeout    to a push service
 * @param responseTimeout   of a push service
 */
@ConfigurationProperties("tsunagu.notify")
public record NotifyProperties(Boolean enabled, Integer shards, Duration poll, Duration urgentRepeatEvery,
                               Integer urgentRepeats, Duration dueReminderBefore, Duration keepFinished,
                               Duration messageTtl, Vapid vapid, List<String> endpointHosts, Boolean allowHttp,
                               Duration connectTimeout, Duration responseTimeout) {

    /**
     * The push services of the browsers people use: Chrome and Edge on Android and desktops (FCM), Firefox
     * (Mozilla autopush), Safari and iOS home-screen apps (Apple), Edge on Windows (WNS).
     */
    public static final List<String> KNOWN_PUSH_SERVICES = List.of("fcm.googleapis.com", "android.googleapis.com",
            "updates.push.services.mozilla.com", ".push.apple.com", ".notify.windows.com");

    public NotifyProperties {
        enabled = enabled == null || enabled;
        shards = shards == null ? 8 : shards;
        poll = poll == null ? Duration.ofSeconds(1) : poll;
        urgentRepeatEvery = urgentRepeatEvery == null ? Duration.ofMinutes(5) : urgentRepeatEvery;
        urgentRepeats = urgentRepeats == null ? 6 : urgentRepeats;
        dueReminderBefore = dueReminderBefore == null ? Duration.ofHours(1) : dueReminderBefore;
        keepFinished = keepFinished == null ? Duration.ofDays(1) : keepFinished;
        messageTtl = messageTtl == null ? Duration.ofHours(12) : messageTtl;
        vapid = vapid == null ? new Vapid(null, null, null) : vapid;
        endpointHosts = endpointHosts == null || endpointHosts.isEmpty() ? KNOWN_PUSH_SERVICES : List.copyOf(endpointHosts);
        allowHttp = allowHttp != null && allowHttp;
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(5) : connectTimeout;
        responseTimeout = responseTimeout == null ? Duration.ofSeconds(10) : responseTimeout;
        if (shards < 1 || urgentRepeats < 0 || poll.isNegative() || urgentRepeatEvery.isNegative()
                || urgentRepeatEvery.isZero() || dueReminderBefore.isNegative() || keepFinished.isNegative()) {
            throw new IllegalStateException("tsunagu.notify: shards must be at least 1 and intervals positive");
        }
    }

    /**
     * @param subject    the VAPID {@code sub}: a {@code mailto:} or {@code https:} contact the push services' operators
     *                   can reach (Apple's refuses tokens without a usable one); set it in production
     * @param publicKey  bring your own key pair (base64url, uncompressed P-256 point) with {@code privateKey} (PKCS#8);
     *                   without them the pair made on the first start and kept in the database is used
     * @param privateKey see {@code publicKey}
     */
    public record Vapid(String subject, String publicKey, String privateKey) {

        public Vapid {
            subject = subject == null || subject.isBlank() ? "mailto:push-operators@tsunagu.invalid" : subject;
        }
    }
}
