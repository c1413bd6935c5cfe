package jp.tsunagu.ops.consent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import jp.tsunagu.connectors.record.fhir.simulator.FhirSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Excerpt cards read through the real FHIR R4 source (WebClient, client credentials, Resilience4j) from the
 * FHIR simulator holding a demo resident's record: the grant's scope is all that shows, and the server's
 * faults (5xx, timeouts, broken answers, a server that is down) give a "source unavailable" card, never an error.
 * The source's own fault handling is tested call by call against WireMock in the connectors module.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FhirSourceIntegrationTests extends ConsentTestSupport {

    /** 斎藤 様 of the demo: HbA1c monthly, blood pressure twice a day, weight, self-measured glucose, memos. */
    private static final String RESIDENT = "TONE-000245";
    /** 山田 様 of the demo (monthly heart-failure labs); each resident has one patient room, so a second one. */
    private static final String OTHER_RESIDENT = "TONE-000123";
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final LocalDate TODAY = LocalDate.now(ZoneId.of("Asia/Tokyo"));

    private static final FhirSimulator FHIR = new FhirSimulator().start(0).addClient("tsunagu-test", "test-secret");

    static {
        for (String resident : List.of(RESIDENT, OTHER_RESIDENT)) {
            try (InputStream in = FhirSourceIntegrationTests.class.getResourceAsStream("/demo/fhir/" + resident + ".json")) {
                FHIR.loadBundleAsOf(in, TODAY);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @DynamicPropertySource
    static void fhirSource(DynamicPropertyRegistry registry) {
        registry.add("tsunagu.record.fhir.base-url", FHIR::fhirBaseUrl);
        registry.add("tsunagu.record.fhir.token-url", FHIR::tokenUrl);
        registry.add("tsunagu.record.fhir.client-id", () -> "tsunagu-test");
        registry.add("tsunagu.record.fhir.client-secret", () -> "test-secret");
        registry.add("tsunagu.record.fhir.timeout", () -> TIMEOUT.toMillis() + "ms");
        // Every read goes to the server, so each injected fault is met by the read after it.
        registry.add("tsunagu.record.fhir.cache-ttl", () -> "1ms");
    }

    @AfterAll
    static void stop() {
        FHIR.close();
    }

    private String scopedGrant(Team t) {
        Map<?, ?> request = ask(t.nurse(), t.roomId(), Map.of("categories", List.of("lab", "vital.bp"),
                "audience", Map.of("professions", List.of("doctor", "nurse")),
                "dataPeriod", Map.of("from", TODAY.minusDays(60).toString(), "to", TODAY.toString()),
                "purpose", "糖尿病と血圧の管理のため", "validDays", 30));
        return approve(t.resident(), t.roomId(), (String) request.get("id"));
    }

    @Test
    @Order(1)
    void aCardShowsTheRecordOnlyWithinTheGrantedScope() {
        Team t = team(RESIDENT);
        String grant = scopedGrant(t);
        String labs = card(t.nurse(), t.roomId(), grant, "labs", null);
        String vitals = card(t.nurse(), t.roomId(), grant, "vitals", 14);

        Map<?, ?> doctor = read(t.doctor(), t.roomId(), labs);
        assertThat(doctor.get("state")).isEqualTo("shown");
        List<?> labItems = items(doctor, 0);
        assertThat(field(labItems, "display")).as("the latest of each test").contains("HbA1c").doesNotHaveDuplicates();
        assertThat(field(labItems, "effective")).allSatisfy(at ->
                assertThat(OffsetDateTime.parse((String) at).toLocalDate()).isAfterOrEqualTo(TODAY.minusDays(60)));
        assertThat(field(labItems, "id")).allSatisfy(id -> assertThat((String) id).startsWith("Observation/"));

        Map<?, ?> trend = read(t.doctor(), t.roomId(), vitals);
        assertThat(trend.get("state")).isEqualTo("shown");
        List<?> sections = (List<?>) trend.get("sections");
        assertThat(field(sections, "category")).as("weight and glucose were not granted").containsExactly("vital.bp");
        assertThat(items(trend, 0)).as("two weeks, morning and evening").hasSizeBetween(20, 30);
        assertThat(field(items(trend, 0), "effective")).allSatisfy(at ->
                assertThat(OffsetDateTime.parse((String) at).toLocalDate()).isAfterOrEqualTo(TODAY.minusDays(14)));

        // Memo was not granted; a reader outside the audience costs the regional server nothing.
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/excerpts", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("grantId", grant, "kind", "memo")).exchange().expectStatus().isEqualTo(422);
        long calls = FHIR.requestCount();
        Map<?, ?> careManager = read(t.careManager(), t.roomId(), labs);
        assertThat(careManager.get("state")).isEqualTo("not-shared");
        assertThat(careManager.get("sections")).isNull();
        assertThat(FHIR.requestCount()).isEqualTo(calls);
    }

    @Test
    @Order(2)
    void sourceFaultsGiveAnUnavailableCardNeverAnError() {
        Team t = team(OTHER_RESIDENT);
        String labs = card(t.nurse(), t.roomId(), scopedGrant(t), "labs", null);
        assertThat(read(t.doctor(), t.roomId(), labs).get("state")).isEqualTo("shown");
        try {
            FHIR.failNext(10, 503);
            assertUnavailable(read(t.doctor(), t.roomId(), labs));
            FHIR.clearFaults().delayNext(10, TIMEOUT.multipliedBy(4));
            assertUnavailable(read(t.doctor(), t.roomId(), labs));
            FHIR.clearFaults().malformedNext(10);
            assertUnavailable(read(t.doctor(), t.roomId(), labs));
            FHIR.clearFaults().down(true);
            assertUnavailable(read(t.doctor(), t.roomId(), labs));
        } finally {
            FHIR.clearFaults();
        }
    }

    private static void assertUnavailable(Map<?, ?> view) {
        assertThat(view.get("state")).isEqualTo("source-unavailable");
        List<?> sections = (List<?>) view.get("sections");
        assertThat(sections).isNotEmpty().allSatisfy(s -> {
            assertThat(((Map<?, ?>) s).get("state")).isEqualTo("source-unavailable");
            assertThat(((Map<?, ?>) s).get("items")).isNull();
        });
    }
}
