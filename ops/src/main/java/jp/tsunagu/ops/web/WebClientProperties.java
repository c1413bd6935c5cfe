package jp.tsunagu.ops.web;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * What the web client needs to sign people in (docs/WEB.md). With an issuer set, the client runs the OIDC
 * authorization-code flow with PKCE against it; the server's resource-server settings must trust the same
 * issuer (docs/SECURITY.md).
 *
 * @param issuer the OIDC issuer URL (its {@code /.well-known/openid-configuration} is read by the browser)
 * @param clientId the public client registered for the web client at that issuer; default {@code tsunagu-web}
 * @param scopes scopes asked for; default {@code openid profile}
 */
@ConfigurationProperties("tsunagu.web.oidc")
public record WebClientProperties(String issuer, String clientId, String scopes) {

    public WebClientProperties {
        clientId = clientId == null || clientId.isBlank() ? "tsunagu-web" : clientId;
        scopes = scopes == null || scopes.isBlank() ? "openid profile" : scopes;
        issuer = issuer == null || issuer.isBlank() ? null : issuer.trim();
    }
}
