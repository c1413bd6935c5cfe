package jp.tsunagu.chat.config;

import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import jp.tsunagu.chat.identity.CareUser;

/**
 * The OpenAPI document: bearer security, the signed-in user is not a request parameter, and every error answer is
 * problem+json ({@link ProblemResponses}).
 */
@Configuration(proxyBeanMethods = false)
public class OpenApiConfiguration {

    static {
        // CareUser comes from the token (CurrentUser), not from the request: keep it out of the document.
        SpringDocUtils.getConfig().addRequestWrapperToIgnore(CareUser.class);
    }

    @Bean
    OpenAPI tsunaguOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Tsunagu API").version("v1")
                        .description("Care rooms for home-care teams. Errors are RFC 9457 problem+json; "
                                + "real-time events on /api/v1/ws (WebSocket) and /api/v1/rooms/{roomId}/events (SSE)."))
                .components(new Components().addSecuritySchemes("bearer",
                        new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer").bearerFormat("JWT")))
                .addSecurityItem(new SecurityRequirement().addList("bearer"));
    }

    /** The error answers; the public paths are the ones {@link SecurityConfiguration} permits without a token. */
    @Bean
    ProblemResponses problemResponses(ObjectProvider<PublicPaths> others) {
        return new ProblemResponses(SecurityConfiguration.publicPatterns(others));
    }
}
