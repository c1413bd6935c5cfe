package jp.tsunagu.connectors.record.fhir.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import jp.tsunagu.connectors.record.HealthRecordException;
import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.connectors.record.RecordItem;
import jp.tsunagu.connectors.record.RecordItem.Value;
import jp.tsunagu.connectors.record.RecordQuery;
import jp.tsunagu.connectors.record.fhir.FhirHealthRecordSource;
import jp.tsunagu.connectors.record.fhir.FhirSourceProperties;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The FHIR simulator over HTTP, and the real client reading the demo residents from it. */
class FhirSimulatorTests {

    /** The demo bundles ship with the server (ops); the tests run in this module's folder. */
    private static final Path DEMO = Path.of("..", "ops", "src", "main", "resources", "demo", "fhir");
    private static final ZoneId JAPAN = ZoneId.of("Asia/Tokyo");
    private static final String CLIENT = "tsunagu-demo";
    private static final String SECRET = "demo-secret";
    private static final Duration VERIFY = Duration.ofSeconds(20);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final JsonMapper json = JsonMapper.builder().build();
    private FhirSimulator sim;
    private FhirHealthRecordSource source;
    private final LocalDate today = LocalDate.now(JAPAN);

    @BeforeEach
    void start() throws IOException {
        sim = new FhirSimulator().start(0).addClient(CLIENT, SECRET);
        for (String resident : List.of("TONE-000123", "TONE-000245", "TONE-000318", "TONE-000402", "TONE-000517")) {
            try (InputStream in = Files.newInputStream(DEMO.resolve(resident + ".json"))) {
                sim.loadBundleAsOf(in, today);
            }
        }
        source = FhirHealthRecordSource.create(new FhirSourceProperties("sim", sim.fhirBaseUrl(), sim.tokenUrl(), CLIENT,
                SECRET, null, null, Duration.ofSeconds(2), null, 0, 0));
    }

    @AfterEach
    void stop() {
        source.close();
        sim.close();
    }

    private List<RecordItem> read(String resident, RecordCategory category, LocalDate from) {
        return source.read(new RecordQuery(resident, category, from, null)).block(VERIFY);
    }

    private static LocalDate day(RecordItem item) {
        return item.effective().atZoneSameInstant(JAPAN).toLocalDate();
    }

    // ==== the client on the demo data ===============================================================================

    @Test
    void theSourceReadsEveryCategoryOfTheDemoResidentsShiftedToToday() {
        List<RecordItem> bp = read("TONE-000123", RecordCategory.VITAL_BP, today.minusDays(59));
        // 60 days morning and evening, today's morning only: more than one page of 100
        assertThat(bp).hasSize(119);
        assertThat(day(bp.get(0))).isEqualTo(today);
        assertThat(bp.get(0).values()).startsWith(new Value("収縮期血圧", "128", "mmHg", "N"), new Value("拡張期血圧", "76", "mmHg", "N"));
        assertThat(sim.requestCount("Observation")).isEqualTo(2);

        List<RecordItem> weight = read("TONE-000123", RecordCategory.VITAL_WEIGHT, today.minusDays(9));
        assertThat(weight).hasSize(10);
        assertThat(weight.get(0).values()).containsExactly(new Value("体重", "48.3", "kg", null));
        assertThat(weight).extracting(w -> w.values().get(0).value()).contains("49.0");

        List<RecordItem> labs = read("TONE-000123", RecordCategory.LAB, null);
        assertThat(labs).allSatisfy(l -> assertThat(l.category()).isEqualTo(RecordCategory.LAB));
        RecordItem bnp = labs.stream().filter(l -> l.display().equals("BNP")).findFirst().orElseThrow();
        assertThat(bnp.values()).containsExactly(new Value("BNP", "265.4", "pg/mL", "H"));
        assertThat(bnp.note()).isEqualTo("基準値 ≤18.4 pg/mL");
        assertThat(day(bnp)).isEqualTo(today.minusDays(27));
        RecordItem creatinine = labs.stream().filter(l -> l.code().equals("3C015000002327101")).findFirst().orElseThrow();
        assertThat(creatinine.values().get(0).value()).matches("\\d\\.\\d\\d");

        assertThat(read("TONE-000123", RecordCategory.MEDICATION, null)).extracting(RecordItem::display)
                .containsExactlyInAnyOrder("ラシックス錠40mg", "ビソプロロールフマル酸塩錠2.5mg", "エリキュース錠2.5mg",
                        "エナラプリルマレイン酸塩錠2.5mg", "エルデカルシトールカプセル0.75μg");
        assertThat(read("TONE-000123", RecordCategory.MEDICATION, null).get(0)).satisfies(m -> {
            assertThat(m.display()).isEqualTo("ラシックス錠40mg");
            assertThat(m.note()).isEqualTo("1日1回 朝食後 1回1錠");
            assertThat(m.values()).containsExactly(new Value("1回量", "1", "錠", null), new Value("日数", "14", "日", null));
        });
        assertThat(read("TONE-000123", RecordCategory.ALLERGY, null)).singleElement().satisfies(a -> {
            assertThat(a.display()).isEqualTo("ペニシリン系抗菌薬");
            assertThat(a.values()).containsExactly(new Value("重篤度", "high", null, null));
        });
        assertThat(read("TONE-000123", RecordCategory.CONDITION, null)).extracting(RecordItem::display)
                .containsExactlyInAnyOrder("慢性心不全", "心房細動", "高血圧症", "骨粗鬆症");
        List<RecordItem> memos = read("TONE-000123", RecordCategory.MEMO, null);
        assertThat(memos).hasSize(5);
        assertThat(memos.get(0).display()).startsWith("利尿剤が増えてから");
        assertThat(memos.get(0).note()).isEqualTo("山田 花子(本人)");
        assertThat(day(memos.get(0))).isEqualTo(today.minusDays(1));

        List<RecordItem> glucose = read("TONE-000245", RecordCategory.VITAL_GLUCOSE, today.minusDays(7));
        assertThat(glucose).anySatisfy(g -> {
            assertThat(g.values()).containsExactly(new Value("血糖(自己測定)", "68", "mg/dL", "L"));
            assertThat(day(g)).isEqualTo(today.minusDays(5));
        });
        assertThat(read("TONE-000245", RecordCategory.ALLERGY, null)).singleElement()
                .satisfies(a -> assertThat(a.display()).isEqualTo("アレルギーなし"));
        // resolved pneumonia is not an active problem
        assertThat(read("TONE-000517", RecordCategory.CONDITION, null)).extracting(RecordItem::display)
                .doesNotContain("誤嚥性肺炎").contains("嚥下障害");
        assertThat(read("TONE-000318", RecordCategory.VITAL_GLUCOSE, null)).isEmpty();
        assertThat(sim.tokenRequests()).isEqualTo(1);
    }

    @Test
    void anUnknownResidentIsUnknown() {
        StepVerifier.create(source.read(new RecordQuery("TONE-999999", RecordCategory.LAB, null, null)))
                .expectError(HealthRecordException.UnknownResident.class)
                .verify(VERIFY);
    }

    // ==== fault injection ===========================================================================================

    @Test
    void injectedFaultsReachTheClientAsTheSpiSays() {
        RecordQuery memo = new RecordQuery("TONE-000318", RecordCategory.MEMO, null, null);
        sim.failNext(2, 503);
        StepVerifier.create(source.read(memo)).assertNext(items -> assertThat(items).hasSize(6)).verifyComplete();
        assertThat(sim.requestCount()).isEqualTo(4); // Patient: 503, 503, 200; then the memo search

        sim.resetNext(1);
        StepVerifier.create(source.read(new RecordQuery("TONE-000318", RecordCategory.CONDITION, null, null)))
                .assertNext(items -> assertThat(items).hasSize(4)).verifyComplete();

        sim.malformedNext(1);
        StepVerifier.create(source.read(new RecordQuery("TONE-000318", RecordCategory.LAB, null, null)))
                .expectError(HealthRecordException.Malformed.class).verify(VERIFY);

        sim.delay(Duration.ofSeconds(3));
        StepVerifier.create(source.read(new RecordQuery("TONE-000318", RecordCategory.ALLERGY, null, null)))
                .expectError(HealthRecordException.Unavailable.class).verify(VERIFY);

        sim.clearFaults().down(true);
        StepVerifier.create(source.read(new RecordQuery("TONE-000318", RecordCategory.MEDICATION, null, null)))
                .expectError(HealthRecordException.Unavailable.class).verify(VERIFY);
    }

    @Test
    void anExpiredOrRevokedTokenIsReplaced() {
        RecordQuery q = new RecordQuery("TONE-000402", RecordCategory.ALLERGY, null, null);
        StepVerifier.create(source.read(q)).expectNextCount(1).verifyComplete();
        sim.revokeTokens();
        StepVerifier.create(source.read(new RecordQuery("TONE-000402", RecordCategory.MEDICATION, null, null)))
                .assertNext(items -> assertThat(items).hasSize(3)).verifyComplete();
        assertThat(sim.tokenRequests()).isEqualTo(2);
    }

    // ==== HTTP ======================================================================================================

    private String token() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(sim.tokenUrl()))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((CLIENT + ":" + SECRET).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return json.readTree(r.body()).get("access_token").stringValue();
    }

    private HttpResponse<String> get(String pathAndQuery, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(pathAndQuery.startsWith("http") ? pathAndQuery : sim.fhirBaseUrl() + pathAndQuery));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void searchesNeedAValidBearerToken() throws Exception {
        HttpResponse<String> none = get("/Patient?identifier=" + enc("urn:tsunagu:resident-id|TONE-000123"), null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_request\"");
        assertThat(get("/Patient", "made-up").statusCode()).isEqualTo(401);

        HttpResponse<String> wrongSecret = http.send(HttpRequest.newBuilder(URI.create(sim.tokenUrl()))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + CLIENT + "&client_secret=x"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrongSecret.statusCode()).isEqualTo(401);
        assertThat(json.readTree(wrongSecret.body()).get("error").stringValue()).isEqualTo("invalid_client");

        assertThat(get("/metadata", null).statusCode()).isEqualTo(200);
    }

    @Test
    void searchPagingAndSorting() throws Exception {
        String token = token();
        JsonNode patients = json.readTree(get("/Patient?identifier=" + enc("urn:tsunagu:resident-id|TONE-000245"), token).body());
        assertThat(patients.get("total").asInt()).isEqualTo(1);
        String patient = patients.get("entry").get(0).get("resource").get("id").stringValue();
        assertThat(json.readTree(get("/Patient?identifier=TONE-000245", token).body()).get("total").asInt()).isEqualTo(1);

        String weights = "/Observation?subject=Patient/" + patient + "&code=" + enc("http://loinc.org|29463-7")
                + "&date=ge" + today.minusDays(27) + "&_sort=-date&_count=2";
        JsonNode page1 = json.readTree(get(weights, token).body());
        assertThat(page1.get("type").stringValue()).isEqualTo("searchset");
        assertThat(page1.get("total").asInt()).isEqualTo(4); // weekly, the last on the anchor day
        assertThat(page1.get("entry")).hasSize(2);
        List<String> dates = page1.get("entry").valueStream().map(e -> e.get("resource").get("effectiveDateTime").stringValue()).toList();
        assertThat(dates.get(0)).startsWith(today.toString()).isGreaterThan(dates.get(1));
        String next = page1.get("link").valueStream().filter(l -> l.get("relation").stringValue().equals("next"))
                .findFirst().orElseThrow().get("url").stringValue();
        assertThat(next).startsWith(sim.fhirBaseUrl() + "/Observation?");
        JsonNode page2 = json.readTree(get(next, token).body());
        assertThat(page2.get("entry")).hasSize(2);
        assertThat(page2.get("link").valueStream().noneMatch(l -> l.get("relation").stringValue().equals("next"))).isTrue();

        HttpResponse<String> unknown = get("/Observation?subject=Patient/" + patient + "&foo=bar", token);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(json.readTree(unknown.body()).get("resourceType").stringValue()).isEqualTo("OperationOutcome");
        assertThat(get("/Medication?code=x", token).statusCode()).isEqualTo(404);
        assertThat(get("/Observation?date=gx2026", token).statusCode()).isEqualTo(400);

        JsonNode read = json.readTree(get("/Patient/" + patient, token).body());
        assertThat(read.get("birthDate").stringValue()).isEqualTo("1941-09-03");
        assertThat(get("/Patient/nobody", token).statusCode()).isEqualTo(404);
    }

    @Test
    void datesMoveByWholeDaysBirthDatesAndPartialDatesStay() throws Exception {
        sim.clear();
        String bundle = """
                {"resourceType":"Bundle","type":"collection","timestamp":"2026-01-31T09:00:00+09:00","entry":[
                 {"resource":{"resourceType":"Patient","id":"p1","birthDate":"1938-04-12",
                   "identifier":[{"system":"urn:tsunagu:resident-id","value":"R-1"}]}},
                 {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},
                   "onsetDateTime":"2015","recordedDate":"2026-01-30",
                   "clinicalStatus":{"coding":[{"code":"active"}]},"code":{"text":"高血圧症"}}},
                 {"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p1"},
                   "effectiveDateTime":"2026-01-31T07:30:00+09:00","valueQuantity":{"value":48.30,"unit":"kg"}}}]}""";
        assertThat(FhirSimulator.anchorDate(bundle)).isEqualTo(LocalDate.of(2026, 1, 31));
        assertThat(sim.loadBundle(bundle, 3)).isEqualTo(3);
        String token = token();
        assertThat(json.readTree(get("/Patient/p1", token).body()).get("birthDate").stringValue()).isEqualTo("1938-04-12");
        JsonNode condition = json.readTree(get("/Condition/c1", token).body());
        assertThat(condition.get("onsetDateTime").stringValue()).isEqualTo("2015");
        assertThat(condition.get("recordedDate").stringValue()).isEqualTo("2026-02-02");
        String observation = get("/Observation/o1", token).body();
        assertThat(observation).contains("\"effectiveDateTime\":\"2026-02-03T07:30:00+09:00\"").contains("48.30");

        assertThatThrownBy(() -> sim.loadBundle("{\"resourceType\":\"Patient\"}", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sim.loadBundle("{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"id\":\"x\"}}]}", 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
