package jp.tsunagu.chat.config;

import java.util.ArrayList;
import java.util.List;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.server.resource.web.server.authentication.ServerBearerTokenAuthenticationConverter;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.web.server.ServerWebExchange;

import jp.tsunagu.chat.support.ProblemWebExceptionHandler;


/**
 * Bearer-token security for the API. Tokens come from the configured OIDC issuer (or the demo issuer);
 * what a user may do in a room is decided by the handlers, from membership.
 *
 * <p>Browsers cannot set headers on WebSocket or EventSource requests, so those two paths alone also accept
 * the token as the {@code access_token} query parameter. Paths other modules authenticate themselves are declared
 * as {@link PublicPaths} beans.
 */
@Configuration(proxyBeanMethods = false)
public class SecurityConfiguration {

    @Bean
    SecurityWebFilterChain apiSecurity(ServerHttpSecurity http, ProblemWebExceptionHandler problems,
                                       ObjectProvider<PublicPaths> others) {
        List<String> permitted = publicPatterns(others);
        ServerBearerTokenAuthenticationConverter header = new ServerBearerTokenAuthenticationConverter();
        ServerBearerTokenAuthenticationConverter headerOrQuery = new ServerBearerTokenAuthenticationConverter();
        headerOrQuery.setAllowUriQueryParameter(true);
        return http
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(ServerHttpSecurity.RequestCacheSpec::disable)
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .authorizeExchange(auth -> auth
                        .pathMatchers(permitted.toArray(String[]::new)).permitAll()
                        .pathMatchers("/actuator/**").hasAuthority("SCOPE_system_admin")
                        .pathMatchers("/api/**").authenticated()
                        .anyExchange().permitAll())
                .oauth2ResourceServer(oauth -> oauth
                        .bearerTokenConverter(exchange -> isStream(exchange) ? headerOrQuery.convert(exchange) : header.convert(exchange))
                        .authenticationEntryPoint(problems::handle)
                        .accessDeniedHandler(problems::handle)
                        .jwt(jwt -> { }))
                // Refusals render like every other error: ProblemWebExceptionHandler maps them to 401 / 403.
                .exceptionHandling(ex -> ex
                        .authenticationEntryPoint(problems::handle)
                        .accessDeniedHandler(problems::handle))
                .build();
    }

    /** The paths served without a bearer token: the chat module's and every {@link PublicPaths} bean's. */
    static List<String> publicPatterns(ObjectProvider<PublicPaths> others) {
        List<String> permitted = new ArrayList<>(ChatConfiguration.publicPaths());
        others.orderedStream().forEach(p -> permitted.addAll(p.patterns()));
        return permitted;
    }

    private static boolean isStream(ServerWebExchange exchange) {
        String path = exchange.getRequest().getPath().value();
        return path.equals("/api/v1/ws") || (path.startsWith("/api/v1/rooms/") && path.endsWith("/events"));
    }
}
