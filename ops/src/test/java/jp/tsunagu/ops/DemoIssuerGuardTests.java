package jp.tsunagu.ops;

import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The demo issuer signs tokens for anyone: outside the demo profile the server must refuse to start. */
class DemoIssuerGuardTests {

    @Test
    void theDemoIssuerRefusesToStartOutsideTheDemoProfile() {
        assertThatThrownBy(() -> new SpringApplicationBuilder(TsunaguApplication.class)
                .run("--server.port=0", "--tsunagu.embedded-mongo.in-memory=true", "--tsunagu.demo.issuer.enabled=true",
                        "--spring.main.banner-mode=off").close())
                .hasStackTraceContaining("the 'demo' profile is not active");
    }
}
