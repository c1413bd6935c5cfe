package jp.tsunagu.ops.web;

import jp.tsunagu.ops.support.IntegrationTestSupport;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/** The web client's entry points: served without a token, and the sign-in settings it reads. */
class WebClientIntegrationTests extends IntegrationTestSupport {

    @Test
    void theClientAndItsSignInSettingsAreServedWithoutAToken() {
        http.get().uri("/").exchange().expectStatus().isFound().expectHeader().location("/app/");
        http.get().uri("/app").exchange().expectStatus().isFound().expectHeader().location("/app/");
        String page = http.get().uri("/app/").exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(page).contains("<script type=\"module\" src=\"/app/js/main.js\">");
        http.get().uri("/app/js/main.js").exchange().expectStatus().isOk();
        http.get().uri("/app/manifest.webmanifest").exchange().expectStatus().isOk();
        // Not the demo profile here: no user picker; no issuer configured in the tests.
        http.get().uri("/api/v1/client-config").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.demo").isEqualTo(false)
                .jsonPath("$.clientId").isEqualTo("tsunagu-web")
                .jsonPath("$.scopes").isEqualTo("openid profile");
        // The rest of the API still needs a token.
        http.get().uri("/api/v1/rooms").exchange().expectStatus().isUnauthorized();
    }
}
