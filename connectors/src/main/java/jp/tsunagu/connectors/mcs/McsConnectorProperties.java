package jp.tsunagu.connectors.mcs;

import java.time.Duration;

/**
 * One configured account of an MCS-style SNS.
 *
 * @param instanceId stable name of this instance; keys ids, cursors and metrics
 * @param baseUrl the SNS root; API paths are under {@code {baseUrl}/api/v2t}
 * @param tokenUrl OAuth2 token endpoint for client credentials
 * @param connectTimeout TCP connect timeout; 3 s covers a slow regional link, longer means it is down
 * @param responseTimeout time to the response; the MCS web client's own requests finish in well under 10 s
 * @param requestsPerSecond client-side rate limit; the profile assumes ~10 requests/s per account
 * @param maxAttempts in-line attempts for blips (Retry); longer outages are the bridge's schedule's job
 * @param maxConcurrentCalls bulkhead: concurrent calls to this SNS from this node
 */
public record McsConnectorProperties(String instanceId, String baseUrl, String tokenUrl, String clientId,
                                     String clientSecret, Duration connectTimeout, Duration responseTimeout,
                                     double requestsPerSecond, int maxAttempts, int maxConcurrentCalls) {

    public McsConnectorProperties {
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(3) : connectTimeout;
        responseTimeout = responseTimeout == null ? Duration.ofSeconds(10) : responseTimeout;
        requestsPerSecond = requestsPerSecond <= 0 ? 10 : requestsPerSecond;
        maxAttempts = maxAttempts <= 0 ? 3 : maxAttempts;
        maxConcurrentCalls = maxConcurrentCalls <= 0 ? 8 : maxConcurrentCalls;
    }

    /** With defaults for the tuning values. */
    public static McsConnectorProperties of(String instanceId, String baseUrl, String tokenUrl, String clientId,
                                            String clientSecret) {
        return new McsConnectorProperties(instanceId, baseUrl, tokenUrl, clientId, clientSecret, null, null, 0, 0, 0);
    }
}
