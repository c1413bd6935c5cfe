package jp.tsunagu.connectors.support;

import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.function.BiFunction;

import org.springframework.http.HttpStatus;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.security.oauth2.client.AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ClientCredentialsReactiveOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.InMemoryReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.endpoint.WebClientReactiveClientCredentialsTokenResponseClient;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.WebClient;

import reactor.core.publisher.Mono;

/**
 * Adds the client-credentials bearer token (Spring Security's reactive OAuth2 client) and, when the server
 * answers 401 because the token expired early or was revoked, forgets it, fetches a fresh one and retries
 * the request once. A second 401 goes back to the caller, who reports the credentials as failing.
 *
 * <p>Token endpoint failures leave as the connector's own exceptions ({@link TokenFailures}); transport
 * errors on the way to the token endpoint pass through unchanged, as they would from any other request.
 */
public final class ClientCredentialsFilter implements ExchangeFilterFunction {

    /**
     * How token failures reach the connector's callers, in the connector's own exception types.
     *
     * @param refused the token endpoint refused the client (invalid_client, unauthorized_client,
     *                invalid_grant) or gave no token
     * @param failed the token endpoint failed otherwise (5xx, an answer that is not a token response)
     */
    public record TokenFailures(BiFunction<String, Throwable, RuntimeException> refused,
                                BiFunction<String, Throwable, RuntimeException> failed) {
    }

    private final ReactiveOAuth2AuthorizedClientManager manager;
    private final ReactiveOAuth2AuthorizedClientService clients;
    private final String registrationId;
    private final TokenFailures failures;

    private ClientCredentialsFilter(ReactiveOAuth2AuthorizedClientManager manager, ReactiveOAuth2AuthorizedClientService clients,
                                    String registrationId, TokenFailures failures) {
        this.manager = manager;
        this.clients = clients;
        this.registrationId = registrationId;
        this.failures = failures;
    }

    /**
     * A filter with its own in-memory token cache for one client (HTTP Basic client authentication).
     *
     * @param registrationId names the client in the token cache and in errors; one per connector instance
     * @param scopes requested scopes; empty for the server's default
     * @param connector the HTTP connector token requests go through (the connector's own pool and timeouts)
     * @param clock decides when a cached token is too old (Spring refreshes a minute before expiry)
     */
    public static ClientCredentialsFilter create(String registrationId, String tokenUrl, String clientId,
                                                 String clientSecret, Collection<String> scopes,
                                                 ClientHttpConnector connector, Clock clock, TokenFailures failures) {
        ClientRegistration registration = ClientRegistration.withRegistrationId(registrationId)
                .tokenUri(tokenUrl)
                .clientId(clientId)
                .clientSecret(clientSecret)
                .scope(scopes == null ? List.of() : scopes)
                .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
                .authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
                .build();
        var registrations = new InMemoryReactiveClientRegistrationRepository(registration);
        var clients = new InMemoryReactiveOAuth2AuthorizedClientService(registrations);
        var tokenClient = new WebClientReactiveClientCredentialsTokenResponseClient();
        tokenClient.setWebClient(WebClient.builder().clientConnector(connector).build());
        var provider = new ClientCredentialsReactiveOAuth2AuthorizedClientProvider();
        provider.setAccessTokenResponseClient(tokenClient);
        provider.setClock(clock);
        var manager = new AuthorizedClientServiceReactiveOAuth2AuthorizedClientManager(registrations, clients);
        manager.setAuthorizedClientProvider(provider);
        return new ClientCredentialsFilter(manager, clients, registrationId, failures);
    }

    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
        return withToken(request, next).flatMap(response -> {
            if (response.statusCode().value() != HttpStatus.UNAUTHORIZED.value()) {
                return Mono.just(response);
            }
            return response.releaseBody()
                    .then(clients.removeAuthorizedClient(registrationId, registrationId))
                    .then(withToken(request, next));
        });
    }

    private Mono<ClientResponse> withToken(ClientRequest request, ExchangeFunction next) {
        return token().flatMap(token -> next.exchange(ClientRequest.from(request)
                .headers(h -> h.setBearerAuth(token)).build()));
    }

    private Mono<String> token() {
        OAuth2AuthorizeRequest authorize = OAuth2AuthorizeRequest.withClientRegistrationId(registrationId)
                .principal(registrationId).build();
        return manager.authorize(authorize)
                .map(client -> client.getAccessToken().getTokenValue())
                .switchIfEmpty(Mono.error(() -> failures.refused().apply("no token from the token endpoint", null)))
                .onErrorMap(OAuth2AuthorizationException.class, e -> isCredentialProblem(e)
                        ? failures.refused().apply("the token endpoint refused the client credentials: "
                                + e.getError().getErrorCode(), e)
                        : failures.failed().apply("token endpoint failed: " + e.getMessage(), e));
    }

    private static boolean isCredentialProblem(OAuth2AuthorizationException e) {
        String code = e.getError().getErrorCode();
        return "invalid_client".equals(code) || "unauthorized_client".equals(code) || "invalid_grant".equals(code);
    }
}
