package jp.tsunagu.connectors.record.fhir;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.havingExactly;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import jp.tsunagu.connectors.record.HealthRecordException;
import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.connectors.record.RecordItem;
import jp.tsunagu.connectors.record.RecordItem.Value;
import jp.tsunagu.connectors.record.RecordQuery;
import jp.tsunagu.connectors.support.WireMockJournal;
import reactor.test.StepVerifier;

/** The FHIR source against a WireMock FHIR server that answers in JP Core shapes (and misbehaves). */
class FhirHealthRecordSourceTests {

    private static final String RESIDENT = "TONE-000123";
    private static final String IDENTIFIER = "urn:tsunagu:resident-id|" + RESIDENT;
    private static final String TOKEN = "{\"access_token\":\"t-%s\",\"token_type\":\"Bearer\",\"expires_in\":3600}";
    private static final Duration VERIFY = Duration.ofSeconds(20);

    private WireMockServer fhir;
    private String base;
    private final List<FhirHealthRecordSource> sources = new ArrayList<>();
    private final AtomicLong nanos = new AtomicLong();
    private FhirHealthRecordSource source;

    @BeforeEach
    void start() {
        fhir = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        fhir.start();
        base = "http://127.0.0.1:" + fhir.port() + "/fhir";
        // Timeouts generous enough for a loaded 2-core machine; the timeout test uses its own source.
        source = source(new FhirSourceProperties("test", base, null, null, null, null, null, Duration.ofSeconds(2), null, 0, 0));
    }

    @AfterEach
    void stop() {
        sources.forEach(FhirHealthRecordSource::close);
        fhir.stop();
    }

    private FhirHealthRecordSource source(FhirSourceProperties p) {
        FhirHealthRecordSource s = FhirHealthRecordSource.create(p, nanos::get);
        sources.add(s);
        return s;
    }

    private static RecordQuery query(RecordCategory category) {
        return new RecordQuery(RESIDENT, category, null, null);
    }

    private void journaled(int count, RequestPatternBuilder pattern) {
        WireMockJournal.journaled(fhir, count, pattern);
    }

    // ==== fixtures ==================================================================================================

    private static String bundle(String next, String... resources) {
        StringBuilder s = new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"searchset\"");
        if (next != null) {
            s.append(",\"link\":[{\"relation\":\"self\",\"url\":\"x\"},{\"relation\":\"next\",\"url\":\"").append(next).append("\"}]");
        }
        s.append(",\"entry\":[");
        for (int i = 0; i < resources.length; i++) {
            s.append(i == 0 ? "" : ",").append("{\"resource\":").append(resources[i]).append(",\"search\":{\"mode\":\"match\"}}");
        }
        return s.append("]}").toString();
    }

    private static String patient(String id, String residentId) {
        return """
                {"resourceType":"Patient","id":"%s",
                 "meta":{"profile":["http://jpfhir.jp/fhir/core/StructureDefinition/JP_Patient"]},
                 "identifier":[{"system":"urn:oid:1.2.392.100495.20.3.51.11234567","value":"00012345"},
                               {"system":"urn:tsunagu:resident-id","value":"%s"}],
                 "name":[{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation","valueCode":"IDE"}],
                          "use":"official","text":"山田 花子","family":"山田","given":["花子"]}],
                 "gender":"female","birthDate":"1938-04-12"}""".formatted(id, residentId);
    }

    private void stubPatient() {
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).withQueryParam("identifier", equalTo(IDENTIFIER))
                .willReturn(okJson(bundle(null, patient("p1", RESIDENT)))));
    }

    private static String lab(String id, String subject, String jlac10, String loinc, String name, String when,
                              String value, String unit, String interpretation) {
        return """
                {"resourceType":"Observation","id":"%s",
                 "meta":{"profile":["http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_LabResult"]},
                 "status":"final",
                 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory","display":"Laboratory"}]}],
                 "code":{"coding":[{"system":"urn:oid:1.2.392.200119.4.504","code":"%s","display":"%s"},
                                   {"system":"http://loinc.org","code":"%s"}],"text":"%s"},
                 "subject":{"reference":"%s"},
                 "effectiveDateTime":"%s",
                 "performer":[{"display":"加須さくら在宅クリニック"}],
                 "valueQuantity":{"value":%s,"unit":"%s","system":"http://unitsofmeasure.org","code":"%s"},
                 "interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"%s"}]}]}"""
                .formatted(id, jlac10, name, loinc, name, subject, when, value, unit, unit, interpretation);
    }

    private static String hba1c(String id, String subject, String when) {
        return lab(id, subject, "3D046000001920402", "4548-4", "HbA1c", when, "7.40", "%", "H");
    }

    private static String bloodPressure(String id, String when, int systolic, int diastolic) {
        return """
                {"resourceType":"Observation","id":"%s",
                 "meta":{"profile":["http://hl7.org/fhir/StructureDefinition/bp"]},
                 "status":"final",
                 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
                 "code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel with all children optional"}],"text":"血圧"},
                 "subject":{"reference":"Patient/p1"},
                 "effectiveDateTime":"%s",
                 "performer":[{"reference":"Patient/p1","display":"本人"}],
                 "component":[
                   {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6","display":"Systolic blood pressure"}],"text":"収縮期血圧"},
                    "valueQuantity":{"value":%d,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"},
                    "interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"N"}]}]},
                   {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4","display":"Diastolic blood pressure"}],"text":"拡張期血圧"},
                    "valueQuantity":{"value":%d,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
                   {"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"脈拍"},
                    "valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}]}"""
                .formatted(id, when, systolic, diastolic);
    }

    // ==== mapping ===================================================================================================

    @Test
    void resolvesTheResidentAndMapsLabResultsNewestFirst() {
        stubPatient();
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation"))
                .withQueryParam("subject", equalTo("Patient/p1"))
                .withQueryParam("category", equalTo("http://terminology.hl7.org/CodeSystem/observation-category|laboratory"))
                .withQueryParam("_sort", equalTo("-date"))
                .withQueryParam("_count", equalTo("100"))
                .withQueryParam("date", absent())
                .willReturn(okJson(bundle(null,
                        lab("egfr-1", "Patient/p1", "8A065000002391901", "33914-3", "eGFR", "2026-02-02T10:15:00+09:00",
                                "42", "mL/min/{1.73_m2}", "L"),
                        hba1c("hba1c-1", "Patient/p1", "2026-03-02T10:15:00+09:00").replace("\"meta\"",
                                "\"referenceRange\":[{\"low\":{\"value\":4.9,\"unit\":\"%\"},\"high\":{\"value\":6.0,\"unit\":\"%\"}}],"
                                        + "\"note\":[{\"text\":\"食後2時間採血\"}],\"meta\"")))));

        StepVerifier.create(source.read(query(RecordCategory.LAB)))
                .assertNext(items -> {
                    assertThat(items).extracting(RecordItem::id).containsExactly("Observation/hba1c-1", "Observation/egfr-1");
                    RecordItem a1c = items.get(0);
                    assertThat(a1c.category()).isEqualTo(RecordCategory.LAB);
                    assertThat(a1c.code()).isEqualTo("3D046000001920402");
                    assertThat(a1c.codeSystem()).isEqualTo("urn:oid:1.2.392.200119.4.504");
                    assertThat(a1c.display()).isEqualTo("HbA1c");
                    assertThat(a1c.effective()).isEqualTo(OffsetDateTime.parse("2026-03-02T10:15:00+09:00"));
                    // the decimal as the server wrote it: 7.40, not 7.4
                    assertThat(a1c.values()).containsExactly(new Value("HbA1c", "7.40", "%", "H"));
                    assertThat(a1c.status()).isEqualTo("final");
                    assertThat(a1c.note()).isEqualTo("基準値 4.9-6.0 % / 食後2時間採血");
                    assertThat(items.get(1).values()).containsExactly(new Value("eGFR", "42", "mL/min/{1.73_m2}", "L"));
                })
                .verifyComplete();
        journaled(1, getRequestedFor(urlPathEqualTo("/fhir/Patient")).withHeader("Accept", containing("application/fhir+json")));
    }

    @Test
    void bloodPressureIsThePanelsComponents() {
        stubPatient();
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).withQueryParam("code", equalTo("http://loinc.org|85354-9"))
                .willReturn(okJson(bundle(null, bloodPressure("bp-1", "2026-03-30T07:10:00+09:00", 128, 76)))));

        StepVerifier.create(source.read(query(RecordCategory.VITAL_BP)))
                .assertNext(items -> {
                    RecordItem bp = items.get(0);
                    assertThat(bp.code()).isEqualTo("85354-9");
                    assertThat(bp.codeSystem()).isEqualTo("http://loinc.org");
                    assertThat(bp.display()).isEqualTo("血圧");
                    assertThat(bp.values()).containsExactly(
                            new Value("収縮期血圧", "128", "mmHg", "N"),
                            new Value("拡張期血圧", "76", "mmHg", null),
                            new Value("脈拍", "72", "/min", null));
                })
                .verifyComplete();
    }

    @Test
    void weightAndSelfMeasuredGlucose() {
        stubPatient();
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).withQueryParam("code", equalTo("http://loinc.org|29463-7"))
                .willReturn(okJson(bundle(null, """
                        {"resourceType":"Observation","id":"wt-1","status":"final",
                         "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
                         "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}],"text":"体重"},
                         "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-03-30T07:05:00+09:00",
                         "valueQuantity":{"value":48.3,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}"""))));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation"))
                .withQueryParam("code", equalTo("http://loinc.org|41653-7,http://loinc.org|14743-9,http://loinc.org|2339-0,http://loinc.org|15074-8"))
                .willReturn(okJson(bundle(null, """
                        {"resourceType":"Observation","id":"bg-1","status":"final",
                         "code":{"coding":[{"system":"http://loinc.org","code":"41653-7","display":"Glucose [Mass/volume] in Capillary blood by Glucometer"}],"text":"血糖(自己測定)"},
                         "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-03-25T07:50:00+09:00",
                         "valueQuantity":{"value":68,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"},
                         "interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"L"}]}],
                         "note":[{"text":"ふらつきあり、ブドウ糖10g内服"}]}"""))));

        StepVerifier.create(source.read(query(RecordCategory.VITAL_WEIGHT)))
                .assertNext(items -> assertThat(items).singleElement().satisfies(w -> {
                    assertThat(w.display()).isEqualTo("体重");
                    assertThat(w.values()).containsExactly(new Value("体重", "48.3", "kg", null));
                }))
                .verifyComplete();
        StepVerifier.create(source.read(query(RecordCategory.VITAL_GLUCOSE)))
                .assertNext(items -> assertThat(items).singleElement().satisfies(g -> {
                    assertThat(g.code()).isEqualTo("41653-7");
                    assertThat(g.values()).containsExactly(new Value("血糖(自己測定)", "68", "mg/dL", "L"));
                    assertThat(g.note()).isEqualTo("ふらつきあり、ブドウ糖10g内服");
                }))
                .verifyComplete();
    }

    @Test
    void medicationIsTheActivePrescriptions() {
        stubPatient();
        String request = """
                {"resourceType":"MedicationRequest","id":"%s",
                 "meta":{"profile":["http://jpfhir.jp/fhir/core/StructureDefinition/JP_MedicationRequest"]},
                 "status":"%s","intent":"order",
                 "medicationCodeableConcept":{"coding":[{"system":"urn:oid:1.2.392.100495.20.2.74","code":"103835401","display":"ムコダイン錠250mg"}],"text":"ムコダイン錠250mg"},
                 "subject":{"reference":"Patient/p1"},
                 "authoredOn":"%s",
                 "requester":{"display":"小林 美穂"},
                 "dosageInstruction":[{"text":"1回1錠 1日3回 毎食後",
                   "timing":{"code":{"text":"1日3回毎食後"}},
                   "route":{"coding":[{"system":"http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationRouteHL70162_CS","code":"PO","display":"口"}]},
                   "doseAndRate":[{"doseQuantity":{"value":1,"unit":"錠","system":"urn:oid:1.2.392.100495.20.2.101","code":"TAB"}}]}],
                 "dispenseRequest":{"expectedSupplyDuration":{"value":14,"unit":"日","system":"http://unitsofmeasure.org","code":"d"}}}""";
        fhir.stubFor(get(urlPathEqualTo("/fhir/MedicationRequest")).withQueryParam("subject", equalTo("Patient/p1"))
                .withQueryParam("status", equalTo("active")).withQueryParam("_sort", equalTo("-authoredon"))
                // the server ignores status: the stopped prescription must not show
                .willReturn(okJson(bundle(null, request.formatted("mr-2", "active", "2026-03-27T17:30:00+09:00"),
                        request.formatted("mr-1", "stopped", "2026-01-10T11:00:00+09:00")))));

        StepVerifier.create(source.read(query(RecordCategory.MEDICATION)))
                .assertNext(items -> assertThat(items).singleElement().satisfies(m -> {
                    assertThat(m.id()).isEqualTo("MedicationRequest/mr-2");
                    assertThat(m.code()).isEqualTo("103835401");
                    assertThat(m.codeSystem()).isEqualTo("urn:oid:1.2.392.100495.20.2.74");
                    assertThat(m.display()).isEqualTo("ムコダイン錠250mg");
                    assertThat(m.effective()).isEqualTo(OffsetDateTime.parse("2026-03-27T17:30:00+09:00"));
                    assertThat(m.values()).containsExactly(new Value("1回量", "1", "錠", null), new Value("日数", "14", "日", null));
                    assertThat(m.note()).isEqualTo("1回1錠 1日3回 毎食後");
                    assertThat(m.status()).isEqualTo("active");
                }))
                .verifyComplete();
    }

    @Test
    void allergiesIncludingNoKnownAllergy() {
        stubPatient();
        fhir.stubFor(get(urlPathEqualTo("/fhir/AllergyIntolerance")).withQueryParam("patient", equalTo("Patient/p1"))
                .willReturn(okJson(bundle(null, """
                        {"resourceType":"AllergyIntolerance","id":"al-1",
                         "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},
                         "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"confirmed"}]},
                         "type":"allergy","category":["medication"],"criticality":"high",
                         "code":{"text":"ペニシリン系抗菌薬"},
                         "patient":{"reference":"Patient/p1"},"recordedDate":"2019-06-11",
                         "reaction":[{"manifestation":[{"text":"全身の発疹"},{"text":"呼吸困難"}]}]}""", """
                        {"resourceType":"AllergyIntolerance","id":"al-2",
                         "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},
                         "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"entered-in-error"}]},
                         "code":{"text":"造影剤"},"patient":{"reference":"Patient/p1"},"recordedDate":"2020-01-01"}""", """
                        {"resourceType":"AllergyIntolerance","id":"nka-1",
                         "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"confirmed"}]},
                         "code":{"coding":[{"system":"http://snomed.info/sct","code":"716186003","display":"No known allergy"}],"text":"アレルギーなし"},
                         "patient":{"reference":"Patient/p1"},"recordedDate":"2024-04-01"}"""))));

        StepVerifier.create(source.read(query(RecordCategory.ALLERGY)))
                .assertNext(items -> {
                    assertThat(items).extracting(RecordItem::id).containsExactly("AllergyIntolerance/nka-1", "AllergyIntolerance/al-1");
                    assertThat(items.get(0).display()).isEqualTo("アレルギーなし");
                    assertThat(items.get(0).code()).isEqualTo("716186003");
                    RecordItem penicillin = items.get(1);
                    assertThat(penicillin.display()).isEqualTo("ペニシリン系抗菌薬");
                    assertThat(penicillin.code()).isNull();
                    assertThat(penicillin.effective()).isEqualTo(OffsetDateTime.parse("2019-06-11T00:00:00+09:00"));
                    assertThat(penicillin.values()).containsExactly(new Value("重篤度", "high", null, null));
                    assertThat(penicillin.note()).isEqualTo("全身の発疹、呼吸困難");
                    assertThat(penicillin.status()).isEqualTo("active");
                })
                .verifyComplete();
    }

    @Test
    void conditionsAreTheActiveProblems() {
        stubPatient();
        String condition = """
                {"resourceType":"Condition","id":"%s",
                 "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"%s"}]},
                 "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},
                 "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"%s"}],"text":"%s"},
                 "subject":{"reference":"Patient/p1"},"onsetDateTime":"%s"}""";
        fhir.stubFor(get(urlPathEqualTo("/fhir/Condition"))
                .withQueryParam("clinical-status", equalTo("active,recurrence,relapse"))
                .withQueryParam("_sort", equalTo("-onset-date"))
                .willReturn(okJson(bundle(null,
                        condition.formatted("c-1", "active", "I50.0", "慢性心不全", "2015"),
                        condition.formatted("c-2", "resolved", "J69.0", "誤嚥性肺炎", "2025-11-02"),
                        condition.formatted("c-3", "recurrence", "I48.9", "心房細動", "2021-07")))));

        StepVerifier.create(source.read(query(RecordCategory.CONDITION)))
                .assertNext(items -> {
                    assertThat(items).extracting(RecordItem::display).containsExactly("心房細動", "慢性心不全");
                    assertThat(items.get(0).effective()).isEqualTo(OffsetDateTime.parse("2021-07-01T00:00:00+09:00"));
                    assertThat(items.get(1).code()).isEqualTo("I50.0");
                    assertThat(items.get(1).codeSystem()).isEqualTo("http://hl7.org/fhir/sid/icd-10");
                    assertThat(items.get(1).status()).isEqualTo("active");
                })
                .verifyComplete();
    }

    @Test
    void theMemoIsAPatientNoteWithInlineText() {
        stubPatient();
        String text = Base64.getEncoder().encodeToString("漬物を控えるようにしました。\n散歩は15分。".getBytes(StandardCharsets.UTF_8));
        fhir.stubFor(get(urlPathEqualTo("/fhir/DocumentReference")).withQueryParam("type", equalTo("http://loinc.org|51855-5"))
                .withQueryParam("status", equalTo("current"))
                .willReturn(okJson(bundle(null, """
                        {"resourceType":"DocumentReference","id":"memo-1","status":"current",
                         "type":{"coding":[{"system":"http://loinc.org","code":"51855-5","display":"Patient Note"}],"text":"生活メモ"},
                         "subject":{"reference":"Patient/p1"},"date":"2026-03-28T20:15:00+09:00",
                         "author":[{"reference":"RelatedPerson/rp-1","display":"山田 健(長男)"}],
                         "content":[{"attachment":{"contentType":"text/plain; charset=UTF-8","language":"ja","data":"%s"}}]}"""
                        .formatted(text)))));

        StepVerifier.create(source.read(query(RecordCategory.MEMO)))
                .assertNext(items -> assertThat(items).singleElement().satisfies(memo -> {
                    assertThat(memo.display()).isEqualTo("漬物を控えるようにしました。\n散歩は15分。");
                    assertThat(memo.code()).isEqualTo("51855-5");
                    assertThat(memo.note()).isEqualTo("山田 健(長男)");
                    assertThat(memo.values()).isEmpty();
                    assertThat(memo.effective()).isEqualTo(OffsetDateTime.parse("2026-03-28T20:15:00+09:00"));
                }))
                .verifyComplete();
    }

    // ==== paging, windows, defence ==================================================================================

    @Test
    void nextLinksAreFollowedUntilMaxItems() {
        stubPatient();
        FhirHealthRecordSource three = source(new FhirSourceProperties("three", base, null, null, null, null, null,
                Duration.ofSeconds(2), null, 0, 3));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).withQueryParam("_sort", equalTo("-date"))
                .willReturn(okJson(bundle(base + "/Observation?_getpages=abc&_offset=2",
                        bloodPressure("bp-4", "2026-03-30T07:00:00+09:00", 130, 80),
                        bloodPressure("bp-3", "2026-03-29T19:00:00+09:00", 126, 74)))));
        fhir.stubFor(get(urlEqualTo("/fhir/Observation?_getpages=abc&_offset=2"))
                .willReturn(okJson(bundle(base + "/Observation?_getpages=abc&_offset=4",
                        bloodPressure("bp-2", "2026-03-29T07:00:00+09:00", 134, 82),
                        bloodPressure("bp-1", "2026-03-28T19:00:00+09:00", 122, 70)))));
        fhir.stubFor(get(urlEqualTo("/fhir/Observation?_getpages=abc&_offset=4"))
                .willReturn(okJson(bundle(null, bloodPressure("bp-0", "2026-03-28T07:00:00+09:00", 140, 88)))));

        StepVerifier.create(three.read(query(RecordCategory.VITAL_BP)))
                .assertNext(items -> assertThat(items).extracting(RecordItem::id)
                        .containsExactly("Observation/bp-4", "Observation/bp-3", "Observation/bp-2"))
                .verifyComplete();
        journaled(2, getRequestedFor(urlPathEqualTo("/fhir/Observation")));
        fhir.verify(1, getRequestedFor(urlPathEqualTo("/fhir/Observation")).withQueryParam("_count", equalTo("3")));

        // the whole set with the default limit
        StepVerifier.create(source.read(query(RecordCategory.VITAL_BP)))
                .assertNext(items -> assertThat(items).hasSize(5))
                .verifyComplete();
    }

    @Test
    void aNextLinkOffTheServerIsNotFollowed() {
        stubPatient();
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).willReturn(okJson(bundle(
                "http://elsewhere.example/fhir/Observation?page=2", bloodPressure("bp-1", "2026-03-30T07:00:00+09:00", 130, 80)))));
        StepVerifier.create(source.read(query(RecordCategory.VITAL_BP)))
                .expectError(HealthRecordException.Malformed.class)
                .verify(VERIFY);
    }

    @Test
    void whatIsNotOfThePatientCategoryOrDatesIsDropped() {
        stubPatient();
        LocalDate from = LocalDate.of(2026, 3, 1);
        LocalDate to = LocalDate.of(2026, 3, 31);
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation"))
                // a day wider on each side, whatever zone the server reads dates in
                .withQueryParam("date", havingExactly("ge2026-02-28", "le2026-04-01"))
                .willReturn(okJson(bundle(null,
                        hba1c("in", "Patient/p1", "2026-03-02T10:15:00+09:00"),
                        hba1c("absolute-ref", base + "/Patient/p1", "2026-03-05T10:15:00+09:00"),
                        hba1c("last-evening-jst", "Patient/p1", "2026-03-31T23:30:00+09:00"),
                        hba1c("april-in-japan", "Patient/p1", "2026-03-31T15:30:00Z"),
                        hba1c("before", "Patient/p1", "2026-02-28T23:59:00+09:00"),
                        hba1c("other-patient", "Patient/p2", "2026-03-10T10:15:00+09:00"),
                        hba1c("other-server", "http://elsewhere.example/fhir/Patient/p1", "2026-03-10T10:15:00+09:00"),
                        hba1c("withdrawn", "Patient/p1", "2026-03-11T10:15:00+09:00").replace("\"final\"", "\"entered-in-error\""),
                        hba1c("not-lab", "Patient/p1", "2026-03-12T10:15:00+09:00").replace("\"laboratory\"", "\"survey\""),
                        bloodPressure("bp", "2026-03-13T07:00:00+09:00", 120, 70),
                        patient("p1", RESIDENT)))));

        StepVerifier.create(source.read(new RecordQuery(RESIDENT, RecordCategory.LAB, from, to)))
                .assertNext(items -> assertThat(items).extracting(RecordItem::id).containsExactly(
                        "Observation/last-evening-jst", "Observation/absolute-ref", "Observation/in"))
                .verifyComplete();
    }

    // ==== tokens ====================================================================================================

    private FhirHealthRecordSource tokenSource() {
        fhir.stubFor(post(urlEqualTo("/oauth/token")).inScenario("token").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson(TOKEN.formatted("1"))).willSetStateTo("issued-1"));
        fhir.stubFor(post(urlEqualTo("/oauth/token")).inScenario("token").whenScenarioStateIs("issued-1")
                .willReturn(okJson(TOKEN.formatted("2"))).willSetStateTo("issued-2"));
        return source(new FhirSourceProperties("tokens", base, "http://127.0.0.1:" + fhir.port() + "/oauth/token",
                "tsunagu", "s3cret", "system/Patient.read system/Observation.read", null, Duration.ofSeconds(2), null, 0, 0));
    }

    @Test
    void aTokenIsFetchedOnceAndSentWithEverySearch() {
        FhirHealthRecordSource withTokens = tokenSource();
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).withHeader("Authorization", equalTo("Bearer t-1"))
                .willReturn(okJson(bundle(null, patient("p1", RESIDENT)))));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).withHeader("Authorization", equalTo("Bearer t-1"))
                .willReturn(okJson(bundle(null, bloodPressure("bp-1", "2026-03-30T07:00:00+09:00", 130, 80)))));

        StepVerifier.create(withTokens.read(query(RecordCategory.VITAL_BP))).assertNext(items -> assertThat(items).hasSize(1))
                .verifyComplete();
        journaled(1, postRequestedFor(urlEqualTo("/oauth/token"))
                .withHeader("Authorization", equalTo("Basic " + Base64.getEncoder().encodeToString("tsunagu:s3cret".getBytes(StandardCharsets.UTF_8))))
                .withRequestBody(containing("grant_type=client_credentials"))
                .withRequestBody(containing("scope=system%2FPatient.read+system%2FObservation.read")));
    }

    @Test
    void withoutATokenUrlNoTokenIsSent() {
        stubPatient();
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).willReturn(okJson(bundle(null))));
        StepVerifier.create(source.read(query(RecordCategory.VITAL_BP))).assertNext(items -> assertThat(items).isEmpty())
                .verifyComplete();
        journaled(2, getRequestedFor(anyUrl()).withHeader("Authorization", absent()));
    }

    @Test
    void a401FetchesAFreshTokenOnce() {
        FhirHealthRecordSource withTokens = tokenSource();
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).withHeader("Authorization", equalTo("Bearer t-1"))
                .willReturn(aResponse().withStatus(401)));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).withHeader("Authorization", equalTo("Bearer t-2"))
                .willReturn(okJson(bundle(null, patient("p1", RESIDENT)))));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).withHeader("Authorization", equalTo("Bearer t-2"))
                .willReturn(okJson(bundle(null, bloodPressure("bp-1", "2026-03-30T07:00:00+09:00", 130, 80)))));

        StepVerifier.create(withTokens.read(query(RecordCategory.VITAL_BP))).assertNext(items -> assertThat(items).hasSize(1))
                .verifyComplete();
        journaled(2, postRequestedFor(urlEqualTo("/oauth/token")));
    }

    @Test
    void a401WithTheFreshTokenOrA403IsUnavailable() {
        FhirHealthRecordSource withTokens = tokenSource();
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).willReturn(aResponse().withStatus(401)));
        StepVerifier.create(withTokens.read(query(RecordCategory.VITAL_BP)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(HealthRecordException.Unavailable.class).hasMessageContaining("401"))
                .verify(VERIFY);
        journaled(2, postRequestedFor(urlEqualTo("/oauth/token")));
        journaled(2, getRequestedFor(urlPathEqualTo("/fhir/Patient")));

        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).willReturn(aResponse().withStatus(403)));
        StepVerifier.create(withTokens.read(query(RecordCategory.VITAL_BP)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(HealthRecordException.Unavailable.class).hasMessageContaining("403"))
                .verify(VERIFY);
    }

    @Test
    void aFailingTokenEndpointIsUnavailable() {
        fhir.stubFor(post(urlEqualTo("/oauth/token")).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json").withBody("{\"error\":\"invalid_client\"}")));
        FhirHealthRecordSource refused = source(FhirSourceProperties.of(base, "http://127.0.0.1:" + fhir.port() + "/oauth/token",
                "tsunagu", "wrong"));
        StepVerifier.create(refused.read(query(RecordCategory.ALLERGY)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(HealthRecordException.Unavailable.class)
                        .hasMessageContaining("invalid_client"))
                .verify(VERIFY);

        fhir.stubFor(post(urlEqualTo("/oauth/token")).willReturn(aResponse().withStatus(500)));
        StepVerifier.create(refused.read(query(RecordCategory.ALLERGY)))
                .expectError(HealthRecordException.Unavailable.class)
                .verify(VERIFY);
        fhir.verify(0, getRequestedFor(anyUrl()));
    }

    // ==== failures ==================================================================================================

    @Test
    void noAnswerInTimeIsUnavailableAndNotRetried() {
        FhirHealthRecordSource quick = source(new FhirSourceProperties("quick", base, null, null, null, null, null,
                Duration.ofMillis(300), null, 0, 0));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).willReturn(okJson(bundle(null, patient("p1", RESIDENT)))
                .withFixedDelay(1_500)));
        StepVerifier.create(quick.read(query(RecordCategory.LAB)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(HealthRecordException.Unavailable.class)
                        .hasMessageContaining("in time"))
                .verify(VERIFY);
        journaled(1, getRequestedFor(urlPathEqualTo("/fhir/Patient")));
    }

    @Test
    void serverErrorsAreRetriedThenUnavailable() {
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).willReturn(aResponse().withStatus(500)));
        StepVerifier.create(source.read(query(RecordCategory.LAB)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(HealthRecordException.Unavailable.class)
                        .hasMessageContaining("HTTP 500"))
                .verify(VERIFY);
        journaled(FhirHealthRecordSource.MAX_ATTEMPTS, getRequestedFor(urlPathEqualTo("/fhir/Patient")));
    }

    @Test
    void aBlipIsRetriedInLine() {
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).inScenario("blip").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)).willSetStateTo("503"));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).inScenario("blip").whenScenarioStateIs("503")
                .willReturn(aResponse().withStatus(503)).willSetStateTo("ok"));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).inScenario("blip").whenScenarioStateIs("ok")
                .willReturn(okJson(bundle(null, patient("p1", RESIDENT)))));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).willReturn(okJson(bundle(null))));
        StepVerifier.create(source.read(query(RecordCategory.LAB))).assertNext(items -> assertThat(items).isEmpty())
                .verifyComplete();
        journaled(3, getRequestedFor(urlPathEqualTo("/fhir/Patient")));
    }

    @Test
    void answersThatAreNotABundleAreMalformed() {
        stubPatient();
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).withQueryParam("code", equalTo("http://loinc.org|85354-9"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/fhir+json")
                        .withBody("{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\": {\"resourceTy")));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).withQueryParam("code", equalTo("http://loinc.org|29463-7"))
                .willReturn(okJson("{\"type\":\"searchset\",\"entry\":[]}")));
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).withQueryParam("category", containing("laboratory"))
                .willReturn(okJson("{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"processing\","
                        + "\"diagnostics\":\"unknown search parameter\"}]}")));

        StepVerifier.create(source.read(query(RecordCategory.VITAL_BP)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(HealthRecordException.Malformed.class).hasMessageContaining("not JSON"))
                .verify(VERIFY);
        StepVerifier.create(source.read(query(RecordCategory.VITAL_WEIGHT)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(HealthRecordException.Malformed.class).hasMessageContaining("resourceType"))
                .verify(VERIFY);
        StepVerifier.create(source.read(query(RecordCategory.LAB)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(HealthRecordException.Malformed.class)
                        .hasMessageContaining("OperationOutcome").hasMessageContaining("unknown search parameter"))
                .verify(VERIFY);
        // not JSON is not a blip: asked once
        journaled(1, getRequestedFor(urlPathEqualTo("/fhir/Observation")).withQueryParam("code", equalTo("http://loinc.org|85354-9")));
    }

    @Test
    void aResourceMissingWhatItsCategoryNeedsIsMalformed() {
        stubPatient();
        String noDiastolic = bloodPressure("bp-1", "2026-03-30T07:00:00+09:00", 130, 80).replace("8462-4", "9999-9");
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).withQueryParam("code", equalTo("http://loinc.org|85354-9"))
                .willReturn(okJson(bundle(null, noDiastolic))));
        String noValue = hba1c("a1c", "Patient/p1", "2026-03-02T10:15:00+09:00")
                .replaceAll("\"valueQuantity\":\\{[^}]*},", "");
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation")).withQueryParam("category", containing("laboratory"))
                .willReturn(okJson(bundle(null, noValue))));
        fhir.stubFor(get(urlPathEqualTo("/fhir/MedicationRequest")).willReturn(okJson(bundle(null, """
                {"resourceType":"MedicationRequest","id":"mr-1","status":"active","intent":"order",
                 "subject":{"reference":"Patient/p1"},"authoredOn":"2026-03-27"}"""))));
        fhir.stubFor(get(urlPathEqualTo("/fhir/DocumentReference")).willReturn(okJson(bundle(null, """
                {"resourceType":"DocumentReference","id":"memo-1","status":"current",
                 "type":{"coding":[{"system":"http://loinc.org","code":"51855-5"}]},
                 "subject":{"reference":"Patient/p1"},"date":"2026-03-28T20:15:00+09:00",
                 "content":[{"attachment":{"contentType":"text/plain","url":"https://docs.example/memo-1.txt"}}]}"""))));

        for (RecordCategory category : List.of(RecordCategory.VITAL_BP, RecordCategory.LAB, RecordCategory.MEDICATION,
                RecordCategory.MEMO)) {
            StepVerifier.create(source.read(query(category)))
                    .expectError(HealthRecordException.Malformed.class)
                    .verify(VERIFY);
        }
    }

    @Test
    void aResidentTheServerDoesNotKnowIsUnknown() {
        // a server that ignores the identifier and answers with someone else must not pick them
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).willReturn(okJson(bundle(null, patient("p9", "TONE-000999")))));
        StepVerifier.create(source.read(query(RecordCategory.ALLERGY)))
                .expectError(HealthRecordException.UnknownResident.class)
                .verify(VERIFY);

        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).willReturn(okJson(bundle(null))));
        StepVerifier.create(source.read(query(RecordCategory.ALLERGY)))
                .expectError(HealthRecordException.UnknownResident.class)
                .verify(VERIFY);

        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).willReturn(okJson(bundle(null, patient("p1", RESIDENT),
                patient("p7", RESIDENT)))));
        StepVerifier.create(source.read(query(RecordCategory.ALLERGY)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(HealthRecordException.Malformed.class).hasMessageContaining("several"))
                .verify(VERIFY);
        fhir.verify(0, getRequestedFor(urlPathEqualTo("/fhir/AllergyIntolerance")));
    }

    // ==== cache and circuit =========================================================================================

    @Test
    void answersAndPatientIdsAreCachedForTheTtl() {
        stubPatient();
        fhir.stubFor(get(urlPathEqualTo("/fhir/Observation"))
                .willReturn(okJson(bundle(null, bloodPressure("bp-1", "2026-03-30T07:00:00+09:00", 130, 80)))));
        fhir.stubFor(get(urlPathEqualTo("/fhir/AllergyIntolerance")).willReturn(okJson(bundle(null))));

        for (int i = 0; i < 3; i++) {
            StepVerifier.create(source.read(query(RecordCategory.VITAL_BP))).assertNext(items -> assertThat(items).hasSize(1))
                    .verifyComplete();
        }
        StepVerifier.create(source.read(query(RecordCategory.ALLERGY))).assertNext(items -> assertThat(items).isEmpty())
                .verifyComplete();
        journaled(1, getRequestedFor(urlPathEqualTo("/fhir/Observation")));
        journaled(1, getRequestedFor(urlPathEqualTo("/fhir/Patient")));

        nanos.addAndGet(FhirSourceProperties.DEFAULT_CACHE_TTL.plusSeconds(1).toNanos());
        StepVerifier.create(source.read(query(RecordCategory.VITAL_BP))).assertNext(items -> assertThat(items).hasSize(1))
                .verifyComplete();
        journaled(2, getRequestedFor(urlPathEqualTo("/fhir/Observation")));
        journaled(2, getRequestedFor(urlPathEqualTo("/fhir/Patient")));
    }

    @Test
    void failuresAreNotCached() {
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).willReturn(okJson(bundle(null))));
        StepVerifier.create(source.read(query(RecordCategory.ALLERGY))).expectError(HealthRecordException.UnknownResident.class)
                .verify(VERIFY);
        stubPatient();
        fhir.stubFor(get(urlPathEqualTo("/fhir/AllergyIntolerance")).willReturn(okJson(bundle(null))));
        StepVerifier.create(source.read(query(RecordCategory.ALLERGY))).assertNext(items -> assertThat(items).isEmpty())
                .verifyComplete();
    }

    @Test
    void anOpenCircuitFailsAtOnceWithoutARequest() {
        fhir.stubFor(get(urlPathEqualTo("/fhir/Patient")).willReturn(aResponse().withStatus(503)));
        // each read makes three failing calls; the circuit opens after half of at least ten failed
        for (int i = 0; i < 5 && source.circuitState() != CircuitBreaker.State.OPEN; i++) {
            StepVerifier.create(source.read(query(RecordCategory.LAB))).expectError(HealthRecordException.Unavailable.class)
                    .verify(VERIFY);
        }
        assertThat(source.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
        // every failure the circuit counted was a request to the server
        int failed = source.circuitBreaker().getMetrics().getNumberOfFailedCalls();
        journaled(failed, getRequestedFor(urlPathEqualTo("/fhir/Patient")));

        StepVerifier.create(source.read(query(RecordCategory.LAB)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(HealthRecordException.Unavailable.class)
                        .hasMessageContaining("circuit open").hasCauseInstanceOf(CallNotPermittedException.class))
                .verify(VERIFY);
        fhir.verify(failed, anyRequestedFor(anyUrl()));
    }
}
