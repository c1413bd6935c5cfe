package jp.tsunagu.connectors.mcs;

import org.springframework.http.HttpStatus;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;

import jp.tsunagu.connectors.sns.ConnectorException;
import reactor.core.publisher.Mono;

/**
 * Adds the client-credentials bearer token (Spring Security's reactive OAuth2 client) and, when the SNS
 * answers 401 because the token expired early or was revoked, forgets it, fetches a fresh one and retries
 * the request once. A second 401 goes back to the caller, who reports the credentials as failing.
 */
final class ClientCredentialsFilter implements ExchangeFilterFunction {

    private final ReactiveOAuth2AuthorizedClientManager manager;
    private final ReactiveOAuth2AuthorizedClientService clients;
    private final String registrationId;

    ClientCredentialsFilter(ReactiveOAuth2AuthorizedClientManager manager, ReactiveOAuth2AuthorizedClientService clients,
                            String registrationId) {
        this.manager = manager;
        this.clients = clients;
        this.registrationId = registrationId;
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
                .switchIfEmpty(Mono.error(() -> new ConnectorException.AuthFailed("no token from the SNS's token endpoint", null)))
                .onErrorMap(OAuth2AuthorizationException.class, e -> isCredentialProblem(e)
                        ? new ConnectorException.AuthFailed("the SNS refused the client credentials: "
                                + e.getError().getErrorCode(), e)
                        : ConnectorException.Retryable.notSent("token endpoint failed: " + e.getMessage(), e));
    }

    private static boolean isCredentialProblem(OAuth2AuthorizationException e) {
        String code = e.getError().getErrorCode();
        return "invalid_client".equals(code) || "unauthorized_client".equals(code) || "invalid_grant".equals(code);
    }
}
