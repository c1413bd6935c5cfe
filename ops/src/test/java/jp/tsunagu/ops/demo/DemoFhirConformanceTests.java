package jp.tsunagu.ops.demo;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jp.tsunagu.connectors.record.fhir.simulator.FhirSimulator;
import jp.tsunagu.ops.support.FhirR4Validator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.mock.env.MockEnvironment;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the demo's FHIR server answers, checked by the HAPI FHIR validator against R4 core with zero errors
 * (docs/ARCHITECTURE.md, "FHIR exports, checked"): the server is built by {@link DemoRecordConfiguration} as the demo starts
 * it (every bundle under {@code demo/fhir}, dates moved to end today) and read over HTTP with its OAuth2 client,
 * as a health-record client would: the CapabilityStatement, each resident's Patient search, every resource type
 * the CapabilityStatement lists searched for each patient page by page, and the OperationOutcomes of a bad
 * search and an unknown id. Every resource the server holds must have been served and validated once.
 */
class DemoFhirConformanceTests {

    private static final String RESIDENT_ID_SYSTEM = "urn:tsunagu:resident-id";
    private static final String SECRET = "conformance-secret";
    /** The simulator's largest page ({@link FhirSimulator#MAX_PAGE_SIZE}): fewer, larger Bundles to validate. */
    private static final int PAGE = FhirSimulator.MAX_PAGE_SIZE;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static FhirR4Validator fhir;
    private static FhirSimulator server;
    private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static String token;

    @BeforeAll
    static void start() throws IOException, InterruptedException {
        fhir = FhirR4Validator.get();
        MockEnvironment env = new MockEnvironment()
                .withProperty("tsunagu.demo.fhir.port", "0")
                .withProperty("tsunagu.demo.fhir.client-secret", SECRET);
        server = new DemoRecordConfiguration().demoFhirSimulator(env, new PathMatchingResourcePatternResolver(),
                Clock.systemUTC());
        String form = "grant_type=client_credentials&client_id=" + DemoRecordConfiguration.CLIENT_ID
                + "&client_secret=" + SECRET;
        HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create(server.tokenUrl()))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(200);
        token = JSON.readTree(answer.body()).path("access_token").asString();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (fhir != null) {
            System.out.println("FHIR validator warnings and information (DemoFhirConformanceTests):\n" + fhir.notesSummary());
        }
    }

    private static HttpResponse<String> get(String url) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                    .header("Accept", "application/fhir+json").timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET " + url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String ok(String url) {
        HttpResponse<String> answer = get(url);
        assertThat(answer.statusCode()).as("GET %s: %s", url, answer.body()).isEqualTo(200);
        return answer.body();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The demo residents: one bundle each, named by resident id. */
    private static List<String> residents() throws IOException {
        List<String> ids = new ArrayList<>();
        for (Resource bundle : new PathMatchingResourcePatternResolver().getResources(DemoRecordConfiguration.BUNDLES)) {
            ids.add(bundle.getFilename().replace(".json", ""));
        }
        assertThat(ids).as("the demo's record bundles").hasSizeGreaterThanOrEqualTo(5);
        return ids;
    }

    @Test
    void everyAnswerOfTheDemoFhirServerIsValidR4() throws IOException {
        String capability = ok(server.fhirBaseUrl() + "/metadata");
        fhir.assertNoErrors("the CapabilityStatement", capability);
        List<String> types = new ArrayList<>();
        JSON.readTree(capability).path("rest").path(0).path("resource")
                .forEach(r -> types.add(r.path("type").asString()));
        assertThat(types).contains("Patient", "Observation", "MedicationRequest", "AllergyIntolerance", "Condition",
                "DocumentReference");

        Map<String, Integer> validated = new HashMap<>();
        for (String resident : residents()) {
            String found = ok(server.fhirBaseUrl() + "/Patient?identifier=" + encode(RESIDENT_ID_SYSTEM + "|" + resident));
            fhir.assertNoErrors("the Patient search for " + resident, found);
            JsonNode patient = JSON.readTree(found).path("entry").path(0).path("resource");
            assertThat(patient.path("resourceType").asString()).as(resident).isEqualTo("Patient");
            validated.merge("Patient", 1, Integer::sum);
            String patientRef = "Patient/" + patient.path("id").asString();
            fhir.assertNoErrors(patientRef, ok(server.fhirBaseUrl() + "/" + patientRef));

            for (String type : types) {
                if (type.equals("Patient")) {
                    continue;
                }
                String next = server.fhirBaseUrl() + "/" + type + "?patient=" + encode(patientRef) + "&_count=" + PAGE;
                while (next != null) {
                    String page = ok(next);
                    fhir.assertNoErrors(type + " page " + next, page);
                    JsonNode bundle = JSON.readTree(page);
                    validated.merge(type, bundle.path("entry").size(), Integer::sum);
                    next = null;
                    for (JsonNode link : bundle.path("link")) {
                        if (link.path("relation").asString().equals("next")) {
                            next = link.path("url").asString();
                        }
                    }
                }
            }
        }
        for (String type : types) {
            assertThat(validated.getOrDefault(type, 0)).as("%s served and validated", type).isEqualTo(server.count(type));
        }
        assertThat(validated.values().stream().mapToInt(Integer::intValue).sum()).as("resources validated")
                .isGreaterThan(1_000);
    }

    @Test
    void theDemoFhirServersErrorsAreValidOperationOutcomes() {
        HttpResponse<String> badSearch = get(server.fhirBaseUrl() + "/Observation?colour=blue");
        assertThat(badSearch.statusCode()).isEqualTo(400);
        fhir.assertNoErrors("the OperationOutcome of a bad search", badSearch.body());
        HttpResponse<String> unknown = get(server.fhirBaseUrl() + "/Observation/no-such-id");
        assertThat(unknown.statusCode()).isEqualTo(404);
        fhir.assertNoErrors("the OperationOutcome of an unknown id", unknown.body());
        assertThat(JSON.readTree(unknown.body()).path("resourceType").asString()).isEqualTo("OperationOutcome");
    }
}
