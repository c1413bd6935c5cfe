package jp.tsunagu.connectors.record.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class FhirSourcePropertiesTests {

    @Test
    void defaultsFillWhatTheBindingLeftOut() {
        FhirSourceProperties p = FhirSourceProperties.of("https://fhir.tone-net.example/r4/");
        assertThat(p.id()).isEqualTo("fhir");
        assertThat(p.baseUrl()).isEqualTo("https://fhir.tone-net.example/r4");
        assertThat(p.tokenUrl()).isNull();
        assertThat(p.scope()).isNull();
        assertThat(p.patientIdentifierSystem()).isEqualTo("urn:tsunagu:resident-id");
        assertThat(p.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(p.cacheTtl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.cacheMaxEntries()).isEqualTo(10_000);
        assertThat(p.maxItems()).isEqualTo(500);
    }

    @Test
    void givenValuesStay() {
        FhirSourceProperties p = new FhirSourceProperties("tone", "http://127.0.0.1:8090/fhir", "http://127.0.0.1:8090/oauth/token",
                "tsunagu-demo", "demo-secret", "system/*.read", "urn:oid:1.2.392.200119.6.102.99", Duration.ofSeconds(5),
                Duration.ofSeconds(10), 100, 50);
        assertThat(p.id()).isEqualTo("tone");
        assertThat(p.tokenUrl()).isEqualTo("http://127.0.0.1:8090/oauth/token");
        assertThat(p.scope()).isEqualTo("system/*.read");
        assertThat(p.patientIdentifierSystem()).isEqualTo("urn:oid:1.2.392.200119.6.102.99");
        assertThat(p.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.cacheTtl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.cacheMaxEntries()).isEqualTo(100);
        assertThat(p.maxItems()).isEqualTo(50);
    }

    @Test
    void whatCannotWorkIsRefusedAtStart() {
        assertThatThrownBy(() -> FhirSourceProperties.of(" ")).hasMessageContaining("base-url is required");
        assertThatThrownBy(() -> FhirSourceProperties.of("fhir.example/r4")).hasMessageContaining("base-url");
        assertThatThrownBy(() -> FhirSourceProperties.of("ftp://fhir.example/r4")).hasMessageContaining("base-url");
        assertThatThrownBy(() -> FhirSourceProperties.of("https://fhir.example/r4?x=1")).hasMessageContaining("base-url");
        assertThatThrownBy(() -> FhirSourceProperties.of("https://fhir.example/r4", "https://auth.example/token", "c", null))
                .hasMessageContaining("client-secret");
        assertThatThrownBy(() -> new FhirSourceProperties(null, "https://fhir.example/r4", null, null, null, null, null,
                Duration.ZERO, null, 0, 0)).hasMessageContaining("timeout");
    }
}
