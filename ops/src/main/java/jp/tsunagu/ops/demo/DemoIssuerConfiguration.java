package jp.tsunagu.ops.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.env.Profiles;
import org.springframework.http.ResponseEntity;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.identity.LocalJwtIssuer;
import jp.tsunagu.chat.room.DirectoryUser;
import jp.tsunagu.chat.room.UserDirectory;
import jp.tsunagu.chat.support.ApiException;
import reactor.core.publisher.Mono;

/**
 * The demo's built-in token issuer: signs tokens for the seeded demo users so the server can be tried
 * without an identity provider. It refuses to exist outside the {@code demo} profile, so a production
 * configuration cannot switch it on by accident.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "tsunagu.demo.issuer.enabled", havingValue = "true")
public class DemoIssuerConfiguration {

    /** A working day of visits: long enough not to interrupt a demo, short enough to be obviously a demo. */
    static final Duration TOKEN_TTL = Duration.ofHours(8);

    public DemoIssuerConfiguration(Environment environment) {
        if (!environment.acceptsProfiles(Profiles.of("demo"))) {
            throw new IllegalStateException("tsunagu.demo.issuer.enabled is set but the 'demo' profile is not active: "
                    + "the demo issuer signs tokens for anyone and must never run in production");
        }
    }

    /**
     * With {@code tsunagu.demo.issuer.key-file} set, the signing key is read from that PEM file (created when
     * missing), so tokens survive a restart and another process with the file (the load tool) can mint tokens
     * this server trusts; without it, a fresh key per start.
     */
    @Bean
    LocalJwtIssuer demoJwtIssuer(Environment environment) {
        String uri = environment.getProperty("tsunagu.demo.issuer.uri", "urn:tsunagu:demo");
        String keyFile = environment.getProperty("tsunagu.demo.issuer.key-file");
        return keyFile == null || keyFile.isBlank() ? LocalJwtIssuer.withNewKey(uri)
                : LocalJwtIssuer.withKeyFile(uri, Path.of(keyFile));
    }

    @Bean
    ReactiveJwtDecoder demoJwtDecoder(LocalJwtIssuer issuer) {
        return issuer.decoder();
    }

    /** Demo sign-in: pick a seeded user, get a token. Exists only with the demo issuer. */
    @RestController
    @Tag(name = "demo")
    @ConditionalOnProperty(name = "tsunagu.demo.issuer.enabled", havingValue = "true")
    public static class DemoController {

        private final LocalJwtIssuer issuer;
        private final UserDirectory directory;
        private final DemoDataLoader loader;

        public DemoController(LocalJwtIssuer issuer, UserDirectory directory, DemoDataLoader loader) {
            this.issuer = issuer;
            this.directory = directory;
            this.loader = loader;
        }

        public record TokenRequest(String user) {
        }

        public record TokenResponse(String access_token, String token_type, long expires_in) {
        }

        @Operation(summary = "Demo users", description = "The seeded people you can sign in as.")
        @GetMapping("/demo/users")
        public List<DemoData.User> users() {
            return loader.data().users();
        }

        @Operation(summary = "Demo token", description = "A bearer token for a seeded demo user.")
        @PostMapping("/demo/token")
        public Mono<ResponseEntity<TokenResponse>> token(@RequestBody TokenRequest request) {
            if (request == null || request.user() == null || request.user().isBlank()) {
                throw ApiException.invalid("user", "is required");
            }
            boolean seeded = loader.data().users().stream().anyMatch(u -> u.id().equals(request.user()));
            if (!seeded) {
                throw ApiException.invalid("user", "is not a demo user");
            }
            return directory.find(request.user())
                    .switchIfEmpty(Mono.error(() -> ApiException.invalid("user", "is not a demo user")))
                    .map(DirectoryUser::toCareUser)
                    .map(user -> ResponseEntity.ok(new TokenResponse(issuer.mint(user, TOKEN_TTL), "Bearer",
                            TOKEN_TTL.toSeconds())));
        }

        @Operation(summary = "The demo issuer's signing keys (JWKS)")
        @GetMapping("/demo/jwks.json")
        public Map<String, Object> jwks() {
            return issuer.jwks();
        }
    }
}
