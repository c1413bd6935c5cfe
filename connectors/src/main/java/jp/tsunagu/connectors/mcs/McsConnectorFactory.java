package jp.tsunagu.connectors.mcs;

import java.time.Clock;
import java.util.List;

import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;

import io.netty.channel.ChannelOption;
import jp.tsunagu.connectors.sns.ConnectorException;
import jp.tsunagu.connectors.support.ClientCredentialsFilter;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import jp.tsunagu.connectors.support.ResilienceChain;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * Builds one {@link McsConnector} per configured account: its own connection pool, token cache and
 * Resilience4j chain, so one slow or failing SNS account never starves another.
 */
public final class McsConnectorFactory {

    private final JsonMapper json;
    private final Clock clock;

    public McsConnectorFactory(JsonMapper json, Clock clock) {
        this.json = json;
        this.clock = clock;
    }

    public McsConnector create(McsConnectorProperties p) {
        // Pool sized to the bulkhead: more connections than concurrent calls would never be used.
        ConnectionProvider pool = ConnectionProvider.builder("mcs-" + p.instanceId())
                .maxConnections(p.maxConcurrentCalls()).build();
        HttpClient http = HttpClient.create(pool)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) p.connectTimeout().toMillis())
                .responseTimeout(p.responseTimeout());
        ReactorClientHttpConnector connector = new ReactorClientHttpConnector(http);

        var tokens = ClientCredentialsFilter.create(p.instanceId(), p.tokenUrl(), p.clientId(), p.clientSecret(),
                List.of(), connector, clock,
                new ClientCredentialsFilter.TokenFailures(ConnectorException.AuthFailed::new,
                        ConnectorException.Retryable::notSent));

        WebClient web = WebClient.builder()
                .baseUrl(p.baseUrl())
                .clientConnector(connector)
                .filter(tokens)
                .codecs(c -> c.defaultCodecs().maxInMemorySize((int) McsConnector.MAX_FILE + 1024))
                .build();
        ResilienceChain chain = new ResilienceChain("mcs-" + p.instanceId(), p.maxAttempts(), p.requestsPerSecond(),
                p.responseTimeout().plusSeconds(2), p.maxConcurrentCalls());
        return new McsConnector(p, web, chain, new McsMapping(json, new HtmlSanitizer()), clock);
    }
}
