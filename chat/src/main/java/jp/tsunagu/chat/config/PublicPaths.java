package jp.tsunagu.chat.config;

import java.util.List;

/**
 * Paths another module serves without a bearer token, because it authenticates them itself (e.g. the bridge's
 * signed-webhook endpoint). Declare one as a bean; {@link SecurityConfiguration} permits every such path.
 *
 * @param patterns path patterns as {@code ServerHttpSecurity.pathMatchers} takes them
 */
public record PublicPaths(List<String> patterns) {

    public PublicPaths {
        patterns = List.copyOf(patterns);
    }
}
