package jp.tsunagu.ops.web;

import java.net.URI;
import java.util.List;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

import jp.tsunagu.chat.config.PublicPaths;

import static org.springframework.web.reactive.function.server.RouterFunctions.route;

/**
 * The web client: static files under {@code classpath:/static/app/} (served by WebFlux's resource handling at
 * {@code /app/}), {@code /} sending browsers there, and {@code GET /api/v1/client-config}, which tells the
 * client how to sign in. The config is public: it holds nothing secret (a public client id and an issuer URL).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(WebClientProperties.class)
public class WebClientConfiguration {

    static final String CONFIG_PATH = "/api/v1/client-config";

    /** Sign-in options for the client: the demo's user picker, and/or OIDC with PKCE. */
    public record ClientConfig(boolean demo, String issuer, String clientId, String scopes) {
    }

    @Bean
    PublicPaths webClientPublicPaths() {
        return new PublicPaths(List.of(CONFIG_PATH));
    }

    @Bean
    RouterFunction<ServerResponse> webClientRoutes(WebClientProperties oidc, Environment env) {
        // The demo issuer only runs in the demo profile (DemoIssuerConfiguration refuses to start elsewhere).
        ClientConfig config = new ClientConfig(env.getProperty("tsunagu.demo.issuer.enabled", Boolean.class, false),
                oidc.issuer(), oidc.clientId(), oidc.scopes());
        // WebFlux serves static files but not a folder's index.html: the client's entry page is routed here.
        ClassPathResource index = new ClassPathResource("static/app/index.html");
        return route()
                .GET("/", request -> ServerResponse.status(HttpStatus.FOUND).location(URI.create("/app/")).build())
                .GET("/app", request -> ServerResponse.status(HttpStatus.FOUND).location(URI.create("/app/")).build())
                .GET("/app/", request -> ServerResponse.ok().contentType(MediaType.TEXT_HTML)
                        .header("Cache-Control", "no-cache").bodyValue(index))
                .GET(CONFIG_PATH, request -> ServerResponse.ok().bodyValue(config))
                .build();
    }
}
