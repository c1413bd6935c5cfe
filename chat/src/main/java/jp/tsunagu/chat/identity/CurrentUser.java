package jp.tsunagu.chat.identity;

import java.security.Principal;

import org.springframework.core.MethodParameter;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.web.reactive.BindingContext;
import org.springframework.web.reactive.result.method.HandlerMethodArgumentResolver;
import org.springframework.web.server.ServerWebExchange;

import jp.tsunagu.chat.room.UserDirectory;
import jp.tsunagu.chat.support.ApiException;
import reactor.core.publisher.Mono;

/**
 * Resolves the signed-in {@link CareUser} for controllers and streams, and keeps the user directory in
 * step with what the identity provider says.
 */
public final class CurrentUser implements HandlerMethodArgumentResolver {

    private final CareUserResolver resolver;
    private final UserDirectory directory;

    public CurrentUser(CareUserResolver resolver, UserDirectory directory) {
        this.resolver = resolver;
        this.directory = directory;
    }

    public Mono<CareUser> of(Principal principal) {
        if (principal instanceof JwtAuthenticationToken token) {
            CareUser user = resolver.resolve(token.getToken());
            return directory.remember(user).thenReturn(user);
        }
        return Mono.error(ApiException.forbidden("no signed-in user"));
    }

    public Mono<CareUser> of(ServerWebExchange exchange) {
        return exchange.getPrincipal().flatMap(this::of)
                .switchIfEmpty(Mono.error(() -> ApiException.forbidden("no signed-in user")));
    }

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        return parameter.getParameterType() == CareUser.class;
    }

    @Override
    public Mono<Object> resolveArgument(MethodParameter parameter, BindingContext bindingContext, ServerWebExchange exchange) {
        return of(exchange).cast(Object.class);
    }
}
