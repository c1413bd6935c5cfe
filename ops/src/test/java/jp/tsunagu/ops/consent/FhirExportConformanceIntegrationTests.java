package jp.tsunagu.ops.consent;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import jp.tsunagu.chat.consent.ConsentGrant;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.connectors.record.HealthRecordException;
import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.ops.support.FhirR4Validator;
import jp.tsunagu.ops.support.TestRecordSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static jp.tsunagu.ops.support.TestRecordSource.item;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of FHIR the server exports, made through the HTTP endpoints by the real consent and excerpt flows,
 * checked by the HAPI FHIR validator against R4 core with zero errors (docs/ARCHITECTURE.md, "FHIR exports, checked"):
 * {@code Consent} for a grant that is active (audience by profession, facility and named user; a bounded data
 * period), revoked, expired and renewed by a proxy; {@code AuditEvent} for every access-log action and outcome
 * (embed, view shown, not shared, revoked, expired, source unavailable, a proxy's view, break-glass).
 */
class FhirExportConformanceIntegrationTests extends ConsentTestSupport {

    private static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.ofHours(9));
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static FhirR4Validator fhir;

    @Autowired
    private TestRecordSource records;

    @Autowired
    private ReactiveMongoTemplate mongo;

    @BeforeAll
    static void validator() {
        fhir = FhirR4Validator.get();
    }

    @AfterAll
    static void printNotes() {
        System.out.println("FHIR validator warnings and information (FhirExportConformanceIntegrationTests):\n"
                + fhir.notesSummary());
    }

    private String withRecord(Team t) {
        String resident = residentId(t);
        records.hold(resident, List.of(
                item("Observation/hba1c-now", RecordCategory.LAB, "4548-4", "HbA1c", NOW.minusDays(3), "7.1", "%"),
                item("Observation/bp-today", RecordCategory.VITAL_BP, "85354-9", "血圧", NOW.minusHours(2), "132", "mm[Hg]"),
                item("DocumentReference/memo-1", RecordCategory.MEMO, null, "最近よく眠れない", NOW.minusDays(1), null, null)));
        return resident;
    }

    private String consentJson(CareUser who, String roomId, String grantId) {
        return as(who).get().uri("/api/v1/rooms/{r}/consent/grants/{g}/fhir", roomId, grantId)
                .accept(MediaType.parseMediaType("application/fhir+json")).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
    }

    /** Moves a grant's validity into the past, as time would: the server then exports and reads it as expired. */
    private void expire(String grantId) {
        Instant past = Instant.now().minus(Duration.ofDays(40));
        mongo.updateMulti(Query.query(Criteria.where("grantId").is(grantId)),
                new Update().set("validFrom", past).set("validUntil", past.plus(Duration.ofDays(30))),
                ConsentGrant.class).block();
    }

    @Test
    void everyConsentTheServerExportsIsValidR4() {
        Team t = team();
        withRecord(t);
        as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/proxies", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("userId", t.family().id(), "relationship", "長男")).exchange().expectStatus().isCreated();
        LocalDate today = LocalDate.now(ZoneId.of("Asia/Tokyo"));
        Map<?, ?> asked = ask(t.nurse(), t.roomId(), Map.of("categories", List.of("lab", "vital.bp"),
                "audience", Map.of("professions", List.of("doctor", "nurse")),
                "dataPeriod", Map.of("from", today.minusDays(60).toString(), "to", today.toString()),
                "purpose", "血糖と血圧の管理のため", "validDays", 30));
        String byProfession = approve(t.resident(), t.roomId(), (String) asked.get("id"));
        String byFacility = grant(t, Map.of("facilities", List.of(t.nurse().facilityId())), List.of("vital.bp"));
        // Characters the narrative must escape in the stated purpose.
        String byUser = approve(t.resident(), t.roomId(), (String) ask(t.nurse(), t.roomId(), Map.of(
                "categories", List.of("memo"), "audience", Map.of("users", List.of(t.doctor().id())),
                "purpose", "睡眠 & 食事 <メモ> \"確認\"", "validDays", 30)).get("id"));
        String toExpire = grant(t, Map.of(), List.of("lab"));

        List<String> exported = new ArrayList<>();
        exported.add(consentJson(t.resident(), t.roomId(), byProfession));
        exported.add(consentJson(t.doctor(), t.roomId(), byFacility));
        exported.add(consentJson(t.family(), t.roomId(), byUser));
        // Revoked with a reason: version 2, a deny provision.
        as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/grants/{g}/revoke", t.roomId(), byProfession)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("reason", "家族と相談して取り消します"))
                .exchange().expectStatus().isOk();
        exported.add(consentJson(t.resident(), t.roomId(), byProfession));
        // Renewed by the proxy: version 3, decided by a family member with a relationship.
        Map<?, ?> renewal = ask(t.nurse(), t.roomId(), Map.of("categories", List.of("lab"), "purpose", "継続して確認するため",
                "replacesGrantId", byProfession));
        as(t.family()).post().uri("/api/v1/rooms/{r}/consent/requests/{q}/approve", t.roomId(), renewal.get("id"))
                .exchange().expectStatus().isCreated();
        exported.add(consentJson(t.nurse(), t.roomId(), byProfession));
        expire(toExpire);
        exported.add(consentJson(t.resident(), t.roomId(), toExpire));

        Set<String> variants = new TreeSet<>();
        for (String consent : exported) {
            fhir.assertNoErrors("Consent", consent);
            JsonNode c = JSON.readTree(consent);
            variants.add(c.path("status").asString() + "/" + c.path("provision").path("type").asString());
        }
        // The variants above really were produced: active, revoked (deny) and expired (inactive permit).
        assertThat(variants).containsExactlyInAnyOrder("active/permit", "inactive/deny", "inactive/permit");
    }

    @Test
    void theValidatorFindsWhatR4ForbidsAndExcusesOnlyJpCoreProfiles() {
        // The checker is not blind: a real export broken on purpose fails, and only JP Core claims are excused.
        Team t = team();
        String consent = consentJson(t.resident(), t.roomId(), grant(t, Map.of(), List.of("lab")));
        fhir.assertNoErrors("Consent", consent);
        assertThat(fhir.errors(consent.replaceFirst("\"status\":\"active\",", "")))
                .anySatisfy(e -> assertThat(e).contains("Consent.status"));
        assertThat(fhir.errors(consent.replaceFirst("\"versionId\":\"1\"",
                "\"versionId\":\"1\",\"profile\":[\"http://example.org/StructureDefinition/unknown\"]")))
                .anySatisfy(e -> assertThat(e).contains("http://example.org/StructureDefinition/unknown"));
        assertThat(fhir.errors(consent.replaceFirst("\"versionId\":\"1\"",
                "\"versionId\":\"1\",\"profile\":[\"http://jpfhir.jp/fhir/core/StructureDefinition/JP_Patient\"]")))
                .isEmpty();
    }

    @Test
    void everyAuditEventTheServerExportsIsValidR4() {
        Instant start = Instant.now().minusSeconds(1);
        Team t = team();
        String resident = withRecord(t);
        as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/proxies", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("userId", t.family().id(), "relationship", "長男")).exchange().expectStatus().isCreated();
        String labsGrant = grant(t, Map.of("professions", List.of("doctor", "nurse")), List.of("lab"));
        String labs = card(t.nurse(), t.roomId(), labsGrant, "labs", null);              // embed
        read(t.doctor(), t.roomId(), labs);                                               // view, shown
        read(t.family(), t.roomId(), labs);                                               // a proxy's view
        read(t.careManager(), t.roomId(), labs);                                          // view, not shared
        // Signed in by an identity provider that sends a facility id but no facility name (the claim is optional).
        String paramedicId = unique("em");
        CareUser paramedic = signIn(new CareUser(paramedicId, paramedicId + " 氏名", Profession.DOCTOR, "fire-dept", null,
                Set.of(CareUser.EMERGENCY)));
        Map<?, ?> opened = as(paramedic).post().uri("/api/v1/emergency-access").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("residentId", resident, "reason", "救急搬送 意識レベル低下")).exchange()
                .expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        as(paramedic).get().uri("/api/v1/emergency-access/{id}/record", opened.get("id")).exchange()
                .expectStatus().isOk();                                                   // break-glass
        String memoGrant = grant(t, Map.of(), List.of("memo"));
        String memo = card(t.doctor(), t.roomId(), memoGrant, "memo", null);
        records.failFor(resident, new HealthRecordException.Unavailable("FHIR server timed out", null));
        read(t.doctor(), t.roomId(), memo);                                               // source unavailable
        expire(memoGrant);
        read(t.doctor(), t.roomId(), memo);                                               // expired
        as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/grants/{g}/revoke", t.roomId(), labsGrant)
                .exchange().expectStatus().isOk();
        read(t.doctor(), t.roomId(), labs);                                               // revoked

        CareUser admin = signIn(person(unique("it"), Profession.MEDICAL_SOCIAL_WORKER, null, "system_admin"));
        String ndjson = as(admin).get().uri(b -> b.path("/api/v1/admin/access-log/export")
                        .queryParam("from", start.toString()).build()).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();

        Set<String> kinds = new TreeSet<>();
        for (String line : ndjson.lines().toList()) {
            fhir.assertNoErrors("AuditEvent", line);
            JsonNode a = JSON.readTree(line);
            if (line.contains(resident)) {
                kinds.add(a.path("subtype").path(0).path("code").asString() + "/" + a.path("outcomeDesc").asString()
                        + (a.path("purposeOfEvent").path(0).path("coding").path(0).path("code").asString().equals("ETREAT")
                        ? "/emergency" : ""));
            }
        }
        assertThat(kinds).as("every action and outcome of this resident's log was exported").contains(
                "create/embedded", "read/shown", "read/not-shared", "read/source-unavailable", "read/expired",
                "read/revoked", "read/shown/emergency");
    }
}
