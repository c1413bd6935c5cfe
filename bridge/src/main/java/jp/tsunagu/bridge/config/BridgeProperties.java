package jp.tsunagu.bridge.config;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

import jp.tsunagu.bridge.inbound.InboundMapping;
import jp.tsunagu.connectors.webhook.WebhookKeys;
import jp.tsunagu.connectors.webhook.WebhookSecret;

/**
 * {@code tsunagu.bridge.*}. Every setting is checked at start-up: a missing or malformed one fails the start naming
 * the property (never showing a secret), rather than deep inside a connector later.
 *
 * @param pollPeriod how often linked rooms are polled; 10 s by default, as the MCS web client polls a timeline
 * @param pollerEnabled run the poller on its schedule (true by default; tests drive it by hand)
 * @param attachmentMaxBytes the largest file of an external message that is imported; 20 MB by default, as
 *                           {@code tsunagu.chat.max-upload-size}: a larger one becomes a note on the message
 * @param mcs the MCS-style accounts: {@code tsunagu.bridge.mcs.instances[0].id|base-url|token-url|client-id|client-secret}
 *            and optionally {@code requests-per-second} (the client-side rate limit, 10 by default as the profile assumes)
 * @param webhook the signed-webhook SNS: {@code tsunagu.bridge.webhook.instances[0].id|url|secrets[0..1]|send-secret}
 * @param outbound how local changes are delivered to the SNS
 * @param leaseTtl how long a node's hold on a link lasts without renewal ({@code bridge_leases}); default 30 s:
 *                 three poll periods, so a live node renews it several times, and a dead node's links move to
 *                 another node within half a minute. Must be longer than the poll period.
 */
@ConfigurationProperties("tsunagu.bridge")
public record BridgeProperties(Duration pollPeriod, Boolean pollerEnabled, DataSize attachmentMaxBytes, Mcs mcs,
                               Webhook webhook, Outbound outbound, Duration leaseTtl) {

    /** What a local user id or facility id may be (as {@code Ids.requireUserId}). */
    private static final Pattern LOCAL_ID = Pattern.compile("[\\p{Alnum}._@:|+-]{1,128}");

    public BridgeProperties {
        pollPeriod = pollPeriod == null ? Duration.ofSeconds(10) : pollPeriod;
        pollerEnabled = pollerEnabled == null || pollerEnabled;
        attachmentMaxBytes = attachmentMaxBytes == null ? DataSize.ofMegabytes(20) : attachmentMaxBytes;
        if (attachmentMaxBytes.toBytes() < 1) {
            throw new IllegalStateException("tsunagu.bridge.attachment-max-bytes must be at least 1 byte");
        }
        mcs = mcs == null ? new Mcs(List.of()) : mcs;
        webhook = webhook == null ? new Webhook(List.of()) : webhook;
        outbound = outbound == null ? new Outbound(null, null, null, null, null) : outbound;
        leaseTtl = leaseTtl == null ? Duration.ofSeconds(30) : leaseTtl;
        if (leaseTtl.compareTo(pollPeriod) <= 0) {
            throw new IllegalStateException("tsunagu.bridge.lease-ttl must be longer than tsunagu.bridge.poll-period");
        }
    }

    /** The user and station mappings of every instance, by instance id. */
    public Map<String, InboundMapping.Instance> mappings() {
        Map<String, InboundMapping.Instance> out = new LinkedHashMap<>();
        mcs.instances().forEach(i -> out.put(i.id(), new InboundMapping.Instance(i.users(), i.stations())));
        webhook.instances().forEach(i -> out.put(i.id(), new InboundMapping.Instance(i.users(), i.stations())));
        return out;
    }

    /**
     * {@code tsunagu.bridge.outbound.*}.
     *
     * @param enabled run outbound delivery on its schedule (true by default; tests drive it by hand)
     * @param tick how often links with new local changes are drained: 1 s, well under the 10 s the MCS web client
     *             takes to show a new message anyway
     * @param sweep how often every active link is drained even without a known change (30 s): the safety net for
     *              missed wake-ups, restarts and other nodes' writes
     * @param retrySteps waits after the 1st, 2nd, … failure of a change; the last repeats (5 s … 1 h)
     * @param giveUpAfter a change still failing this long after its first failure is dead-lettered (24 h)
     */
    public record Outbound(Boolean enabled, Duration tick, Duration sweep, List<Duration> retrySteps,
                           Duration giveUpAfter) {

        public Outbound {
            enabled = enabled == null || enabled;
            tick = tick == null ? Duration.ofSeconds(1) : tick;
            sweep = sweep == null ? Duration.ofSeconds(30) : sweep;
            retrySteps = retrySteps == null || retrySteps.isEmpty() ? jp.tsunagu.bridge.outbound.RetrySchedule.DEFAULT.steps()
                    : List.copyOf(retrySteps);
            giveUpAfter = giveUpAfter == null ? jp.tsunagu.bridge.outbound.RetrySchedule.DEFAULT.giveUpAfter() : giveUpAfter;
        }
    }

    public record Mcs(List<McsInstance> instances) {
        public Mcs {
            instances = instances == null ? List.of() : List.copyOf(instances);
            for (int i = 0; i < instances.size(); i++) {
                instances.get(i).check("tsunagu.bridge.mcs.instances[" + i + "]");
            }
        }
    }

    /**
     * One account of an MCS-style SNS; tuning values take the connector's defaults (docs/CONNECTORS.md).
     *
     * @param users optional: external user id to local user id, for people with an account on both sides (their
     *              mentions there reach them here)
     * @param stations optional: external station id to local facility id (a mention of the station reaches the
     *                 room's members of that facility)
     */
    public record McsInstance(String id, String baseUrl, String tokenUrl, String clientId, String clientSecret,
                              Map<String, String> users, Map<String, String> stations, Double requestsPerSecond) {

        public McsInstance {
            users = users == null ? Map.of() : Map.copyOf(users);
            stations = stations == null ? Map.of() : Map.copyOf(stations);
        }

        /** Fails start-up naming the missing setting, rather than deep inside the OAuth2 client. */
        void check(String prefix) {
            Map<String, String> required = new LinkedHashMap<>();
            required.put("id", id);
            required.put("base-url", baseUrl);
            required.put("token-url", tokenUrl);
            required.put("client-id", clientId);
            required.put("client-secret", clientSecret);
            required.forEach((name, value) -> requireText(prefix + "." + name, value));
            checkMappings(prefix, users, stations);
        }
    }

    public record Webhook(List<WebhookInstance> instances) {
        public Webhook {
            instances = instances == null ? List.of() : List.copyOf(instances);
            for (int i = 0; i < instances.size(); i++) {
                instances.get(i).check("tsunagu.bridge.webhook.instances[" + i + "]");
            }
        }
    }

    /**
     * One SNS that pushes Standard Webhooks to {@code POST /api/v1/bridge/webhooks/{id}} and takes ours at
     * {@code url}.
     *
     * @param url where our signed deliveries go (absolute http or https)
     * @param secrets ours, {@code whsec_...}: webhooks the SNS sends must be signed with one of them. The newest
     *                first; a second one while a rotation is under way
     * @param sendSecret the SNS's, {@code whsec_...}: our deliveries are signed with it
     * @param users optional, as for {@link McsInstance#users()}
     * @param stations optional, as for {@link McsInstance#stations()}
     */
    public record WebhookInstance(String id, URI url, List<String> secrets, String sendSecret,
                                  Map<String, String> users, Map<String, String> stations) {

        public WebhookInstance {
            secrets = secrets == null ? List.of() : List.copyOf(secrets);
            users = users == null ? Map.of() : Map.copyOf(users);
            stations = stations == null ? Map.of() : Map.copyOf(stations);
        }

        /** Our secrets as the verifier takes them. */
        public WebhookKeys receiveKeys() {
            return WebhookKeys.parse(secrets.get(0), secrets.size() > 1 ? secrets.get(1) : null);
        }

        public WebhookKeys sendKeys() {
            return WebhookKeys.parse(sendSecret, null);
        }

        void check(String prefix) {
            requireText(prefix + ".id", id);
            if (url == null) {
                throw new IllegalStateException(prefix + ".url is required");
            }
            if (!url.isAbsolute() || url.getHost() == null
                    || !("http".equalsIgnoreCase(url.getScheme()) || "https".equalsIgnoreCase(url.getScheme()))) {
                throw new IllegalStateException(prefix + ".url must be an absolute http or https URL");
            }
            if (secrets.isEmpty() || secrets.size() > 2) {
                throw new IllegalStateException(prefix + ".secrets must hold one secret, or two during a rotation");
            }
            for (int i = 0; i < secrets.size(); i++) {
                secret(prefix + ".secrets[" + i + "]", secrets.get(i));
            }
            secret(prefix + ".send-secret", sendSecret);
            checkMappings(prefix, users, stations);
        }

        private static void secret(String property, String value) {
            requireText(property, value);
            try {
                WebhookSecret.parse(value);
            } catch (IllegalArgumentException e) {
                // WebhookSecret's messages never contain the secret.
                throw new IllegalStateException(property + " is not a valid secret: " + e.getMessage());
            }
        }
    }

    private static void requireText(String property, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(property + " is required");
        }
    }

    private static void checkMappings(String prefix, Map<String, String> users, Map<String, String> stations) {
        users.forEach((external, local) -> localId(prefix + ".users[" + external + "]", local));
        stations.forEach((external, local) -> localId(prefix + ".stations[" + external + "]", local));
    }

    private static void localId(String property, String value) {
        if (value == null || !LOCAL_ID.matcher(value).matches()) {
            throw new IllegalStateException(property + " must be a local id: 1-128 letters, digits or ._@:|+-");
        }
    }
}
