package jp.tsunagu.ops.support;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

import jp.tsunagu.chat.identity.LocalJwtIssuer;

/** A token issuer the tests control: real RS256 tokens, verified by the server like any OIDC issuer's. */
@TestConfiguration(proxyBeanMethods = false)
public class TestIssuerConfiguration {

    public static final LocalJwtIssuer ISSUER = LocalJwtIssuer.withNewKey("urn:tsunagu:test");

    @Bean
    LocalJwtIssuer testJwtIssuer() {
        return ISSUER;
    }

    @Bean
    ReactiveJwtDecoder testJwtDecoder() {
        return ISSUER.decoder();
    }
}
