package jp.tsunagu.ops.consent;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.connectors.record.HealthRecordException;
import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.ops.support.TestRecordSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;

import static jp.tsunagu.ops.support.TestRecordSource.item;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consent scope service end to end: a member asks, the resident or a proxy approves, a card is posted, and
 * each reader sees exactly what the grant's current version allows them, with every read logged.
 */
class ConsentIntegrationTests extends ConsentTestSupport {

    private static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.ofHours(9));

    @Autowired
    private TestRecordSource records;

    /** HbA1c now and a year ago, blood pressure today and 40 days ago, a memo: some inside, some outside windows. */
    private String withRecord(Team t) {
        String resident = residentId(t);
        records.hold(resident, List.of(
                item("Observation/hba1c-now", RecordCategory.LAB, "4548-4", "HbA1c", NOW.minusDays(3), "7.1", "%"),
                item("Observation/hba1c-old", RecordCategory.LAB, "4548-4", "HbA1c", NOW.minusDays(400), "6.8", "%"),
                item("Observation/bp-today", RecordCategory.VITAL_BP, "85354-9", "血圧", NOW.minusHours(2), "132", "mm[Hg]"),
                item("Observation/bp-old", RecordCategory.VITAL_BP, "85354-9", "血圧", NOW.minusDays(40), "150", "mm[Hg]"),
                item("DocumentReference/memo-1", RecordCategory.MEMO, null, "最近よく眠れない", NOW.minusDays(1), null, null)));
        return resident;
    }

    @Test
    void eachReaderSeesWhatTheGrantAllowsThem() {
        Team t = team();
        withRecord(t);
        as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/proxies", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("userId", t.family().id(), "relationship", "長男")).exchange().expectStatus().isCreated();
        String grant = grant(t, Map.of("professions", List.of("doctor", "nurse")), List.of("lab"));
        String labs = card(t.nurse(), t.roomId(), grant, "labs", null);

        Map<?, ?> doctor = read(t.doctor(), t.roomId(), labs);
        assertThat(doctor.get("state")).isEqualTo("shown");
        assertThat(items(doctor, 0)).as("the latest HbA1c only").hasSize(1)
                .first().extracting(i -> ((Map<?, ?>) i).get("id")).isEqualTo("Observation/hba1c-now");
        assertThat(read(t.nurse(), t.roomId(), labs).get("state")).isEqualTo("shown");
        assertThat(read(t.resident(), t.roomId(), labs).get("state")).as("their own record").isEqualTo("shown");
        assertThat(read(t.family(), t.roomId(), labs).get("state")).as("a recorded proxy").isEqualTo("shown");
        Map<?, ?> cm = read(t.careManager(), t.roomId(), labs);
        assertThat(cm.get("state")).as("care managers were not named").isEqualTo("not-shared");
        assertThat(cm.get("sections")).isNull();
        as(t.otherFacilityStranger()).get().uri("/api/v1/rooms/{r}/messages/{m}/excerpt", t.roomId(), labs).exchange()
                .expectStatus().isNotFound();
        http.get().uri("/api/v1/rooms/{r}/messages/{m}/excerpt", t.roomId(), labs).exchange().expectStatus().isUnauthorized();

        // Every read above is in "who viewed my record", for the resident and the proxy, never for the team.
        Map<?, ?> views = as(t.family()).get().uri("/api/v1/rooms/{r}/record/views", t.roomId()).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        List<?> entries = (List<?>) views.get("items");
        assertThat(field(entries, "viewer", "userId")).contains(t.doctor().id(), t.careManager().id(), t.nurse().id());
        assertThat(field(entries, "outcome")).contains("shown", "not-shared", "embedded");
        Map<?, ?> doctorsView = (Map<?, ?>) entries.stream()
                .filter(e -> t.doctor().id().equals(((Map<?, ?>) ((Map<?, ?>) e).get("viewer")).get("userId")))
                .findFirst().orElseThrow();
        assertThat(((Map<?, ?>) doctorsView.get("viewer")).get("profession")).isEqualTo("doctor");
        assertThat(doctorsView.get("purpose")).isEqualTo("血糖と血圧の管理のため");
        as(t.doctor()).get().uri("/api/v1/rooms/{r}/record/views", t.roomId()).exchange().expectStatus().isForbidden();
    }

    @Test
    void grantsByFacilityAndByNamedUserAndTheCardsWindow() {
        Team t = team();
        withRecord(t);
        String nurse = t.nurse().facilityId();
        String byFacility = grant(t, Map.of("facilities", List.of(nurse)), List.of("vital.bp", "vital.weight"));
        String vitals = card(t.nurse(), t.roomId(), byFacility, "vitals", 30);
        Map<?, ?> seen = read(t.nurse(), t.roomId(), vitals);
        assertThat(seen.get("state")).isEqualTo("shown");
        assertThat((List<?>) seen.get("sections")).as("only the categories the grant has").hasSize(2);
        assertThat(field(items(seen, 0), "id")).as("30 days: the reading of 40 days ago is outside")
                .containsExactly("Observation/bp-today");
        assertThat(items(seen, 1)).as("the source's answer for another category is dropped").isEmpty();
        assertThat(read(t.doctor(), t.roomId(), vitals).get("state")).isEqualTo("not-shared");

        String byUser = grant(t, Map.of("users", List.of(t.doctor().id())), List.of("memo"));
        String memo = card(t.doctor(), t.roomId(), byUser, "memo", null);
        assertThat(read(t.doctor(), t.roomId(), memo).get("state")).isEqualTo("shown");
        assertThat(read(t.nurse(), t.roomId(), memo).get("state")).isEqualTo("not-shared");
        // The nurse is outside that grant, so she may not embed it either.
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/excerpts", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("grantId", byUser, "kind", "memo")).exchange().expectStatus().isForbidden();
        // A card may not show what the grant does not share.
        as(t.doctor()).post().uri("/api/v1/rooms/{r}/excerpts", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("grantId", byUser, "kind", "labs")).exchange().expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.errors[0].field").isEqualTo("kind");
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/excerpts", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("grantId", byFacility, "kind", "vitals", "categories", List.of("vital.bp", "vital.glucose")))
                .exchange().expectStatus().isEqualTo(422).expectBody().jsonPath("$.errors[0].field").isEqualTo("categories[1]");
    }

    @Test
    void revocationHidesTheDataForEveryoneAtOnceAndKeepsTheHistory() {
        Team t = team();
        withRecord(t);
        String grant = grant(t, Map.of(), List.of("lab"));
        String labs = card(t.nurse(), t.roomId(), grant, "labs", null);
        assertThat(read(t.doctor(), t.roomId(), labs).get("state")).isEqualTo("shown");

        as(t.doctor()).post().uri("/api/v1/rooms/{r}/consent/grants/{g}/revoke", t.roomId(), grant).exchange()
                .expectStatus().isForbidden();
        as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/grants/{g}/revoke", t.roomId(), grant)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("reason", "家族と相談して取り消します"))
                .exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.version").isEqualTo(2).jsonPath("$.state").isEqualTo("revoked");
        for (CareUser reader : List.of(t.doctor(), t.nurse(), t.resident())) {
            Map<?, ?> after = read(reader, t.roomId(), labs);
            assertThat(after.get("state")).isEqualTo("revoked");
            assertThat(after.get("sections")).isNull();
        }
        as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/grants/{g}/revoke", t.roomId(), grant).exchange()
                .expectStatus().isEqualTo(409);
        as(t.doctor()).get().uri("/api/v1/rooms/{r}/consent/grants/{g}/versions", t.roomId(), grant).exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.length()").isEqualTo(2)
                .jsonPath("$[0].status").isEqualTo("active")
                .jsonPath("$[1].status").isEqualTo("revoked")
                .jsonPath("$[1].reason").isEqualTo("家族と相談して取り消します");
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/excerpts", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("grantId", grant, "kind", "labs")).exchange().expectStatus().isEqualTo(409);
        // A renewal asked for and approved by a proxy becomes the grant's next version: the old card shows again.
        as(t.careManager()).post().uri("/api/v1/rooms/{r}/consent/proxies", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("userId", t.family().id(), "relationship", "長男")).exchange()
                .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("basis");
        as(t.careManager()).post().uri("/api/v1/rooms/{r}/consent/proxies", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("userId", t.family().id(), "relationship", "長男", "basis", "成年後見登記事項証明書を確認 (2026-11-01)"))
                .exchange().expectStatus().isCreated();
        Map<?, ?> renewal = ask(t.nurse(), t.roomId(), Map.of("categories", List.of("lab"), "purpose", "継続して確認するため",
                "replacesGrantId", grant));
        Map<?, ?> renewed = as(t.family()).post().uri("/api/v1/rooms/{r}/consent/requests/{q}/approve", t.roomId(), renewal.get("id"))
                .exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        assertThat(renewed.get("version")).isEqualTo(3);
        assertThat(((Map<?, ?>) renewed.get("decidedBy")).get("relationship")).isEqualTo("長男");
        assertThat(read(t.doctor(), t.roomId(), labs).get("state")).isEqualTo("shown");
    }

    @Test
    void aFailingSourceGivesAnUnavailableCardNeverAnError() {
        Team t = team();
        String resident = withRecord(t);
        String grant = grant(t, Map.of(), List.of("lab", "memo"));
        String labs = card(t.nurse(), t.roomId(), grant, "labs", null);
        records.failFor(resident, new HealthRecordException.Unavailable("FHIR server timed out", null));
        Map<?, ?> view = read(t.doctor(), t.roomId(), labs);
        assertThat(view.get("state")).isEqualTo("source-unavailable");
        assertThat(((Map<?, ?>) ((List<?>) view.get("sections")).get(0)).get("state")).isEqualTo("source-unavailable");
        assertThat(items(view, 0)).isNull();
        records.failFor(resident, new HealthRecordException.Malformed("Observation without a value", null));
        assertThat(read(t.doctor(), t.roomId(), labs).get("state")).isEqualTo("source-unavailable");
    }

    @Test
    void requestsAndDecisionsCheckWhoAndWhat() {
        Team t = team();
        as(t.family()).post().uri("/api/v1/rooms/{r}/consent/requests", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("categories", List.of("lab"), "purpose", "見たい")).exchange().expectStatus().isForbidden();
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/consent/requests", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("categories", List.of("lab", "genome"), "purpose", "確認")).exchange()
                .expectStatus().isBadRequest().expectBody()
                .jsonPath("$.errors[0].field").isEqualTo("categories[1]");
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/consent/requests", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("categories", List.of("lab"))).exchange()
                .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("purpose");
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/consent/requests", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("categories", List.of("lab"), "purpose", "確認", "validDays", 9999)).exchange()
                .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("validDays");
        as(t.nurse()).post().uri("/api/v1/rooms/{r}/consent/requests", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("categories", List.of("lab"), "purpose", "確認",
                        "audience", Map.of("users", List.of(t.otherFacilityStranger().id())))).exchange()
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.errors[0].field").isEqualTo("audience.users[0]");
        as(t.otherFacilityStranger()).post().uri("/api/v1/rooms/{r}/consent/requests", t.roomId())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("categories", List.of("lab"), "purpose", "確認"))
                .exchange().expectStatus().isNotFound();

        Map<?, ?> request = ask(t.nurse(), t.roomId(), Map.of("categories", List.of("medication"), "purpose", "残薬確認のため"));
        String id = (String) request.get("id");
        as(t.doctor()).post().uri("/api/v1/rooms/{r}/consent/requests/{q}/approve", t.roomId(), id).exchange()
                .expectStatus().isForbidden();
        // Family who is no proxy may not decide either.
        as(t.family()).post().uri("/api/v1/rooms/{r}/consent/requests/{q}/approve", t.roomId(), id).exchange()
                .expectStatus().isForbidden();
        as(t.resident()).get().uri("/api/v1/rooms/{r}/consent", t.roomId()).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.pendingRequests[0].id").isEqualTo(id);
        as(t.nurse()).get().uri("/api/v1/rooms/{r}/consent", t.roomId()).exchange().expectStatus().isForbidden();
        as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/requests/{q}/decline", t.roomId(), id)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("reason", "薬のことは自分で伝えます"))
                .exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("declined");
        as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/requests/{q}/approve", t.roomId(), id).exchange()
                .expectStatus().isEqualTo(409);
    }

    @Test
    void grantsExportAsFhirConsentAndTheLogAsAuditEvents() {
        Team t = team();
        withRecord(t);
        String grant = grant(t, Map.of("professions", List.of("doctor")), List.of("lab"));
        String labs = card(t.doctor(), t.roomId(), grant, "labs", null);
        read(t.doctor(), t.roomId(), labs);
        as(t.resident()).get().uri("/api/v1/rooms/{r}/consent/grants/{g}/fhir", t.roomId(), grant).exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.resourceType").isEqualTo("Consent")
                .jsonPath("$.status").isEqualTo("active")
                .jsonPath("$.provision.type").isEqualTo("permit")
                .jsonPath("$.provision.class[0].code").isEqualTo("lab")
                .jsonPath("$.provision.actor[1].reference.identifier.value").isEqualTo("doctor");
        CareUser admin = signIn(person(unique("it"), Profession.MEDICAL_SOCIAL_WORKER, null, "system_admin"));
        String ndjson = as(admin).get().uri("/api/v1/admin/access-log/export").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(ndjson.lines()).allSatisfy(line -> assertThat(line).startsWith("{\"resourceType\":\"AuditEvent\""));
        assertThat(ndjson).contains(t.doctor().id()).contains("\"outcomeDesc\":\"shown\"");
        as(admin).get().uri("/api/v1/admin/access-log/verify").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.intact").isEqualTo(true);
        as(t.doctor()).get().uri("/api/v1/admin/access-log/export").exchange().expectStatus().isForbidden();
    }

    @Test
    void breakGlassNeedsTheRoleAndAReasonTellsTheRoomAndIsLogged() {
        Team t = team();
        String resident = withRecord(t);
        CareUser paramedic = signIn(person(unique("em"), Profession.DOCTOR, "fire-dept", "emergency"));
        as(paramedic).post().uri("/api/v1/emergency-access").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("residentId", resident)).exchange()
                .expectStatus().isBadRequest().expectBody().jsonPath("$.errors[0].field").isEqualTo("reason");
        as(t.doctor()).post().uri("/api/v1/emergency-access").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("residentId", resident, "reason", "救急搬送 意識レベル低下")).exchange()
                .expectStatus().isForbidden();
        Map<?, ?> opened = as(paramedic).post().uri("/api/v1/emergency-access").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("residentId", resident, "reason", "救急搬送 意識レベル低下")).exchange()
                .expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        String id = (String) opened.get("id");
        as(paramedic).get().uri("/api/v1/emergency-access/{id}/record", id).exchange().expectStatus().isOk()
                .expectBody()
                .jsonPath("$.sections[?(@.category=='vital.bp')].items[0].id").isEqualTo("Observation/bp-today")
                .jsonPath("$.sections[?(@.category=='lab')]").doesNotExist();
        as(t.doctor()).get().uri("/api/v1/emergency-access/{id}/record", id).exchange().expectStatus().isNotFound();

        as(t.family()).get().uri("/api/v1/rooms/{r}/messages", t.roomId()).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.items[0].text").value(text -> assertThat((String) text)
                        .contains("緊急時閲覧").contains("救急搬送 意識レベル低下"))
                .jsonPath("$.items[0].priority").isEqualTo("urgent");
        as(t.resident()).get().uri("/api/v1/rooms/{r}/record/views", t.roomId()).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.items[0].basis").isEqualTo("break-glass:" + id)
                .jsonPath("$.items[0].action").isEqualTo("emergency-view");
        CareUser admin = signIn(person(unique("it"), Profession.MEDICAL_SOCIAL_WORKER, null, "system_admin"));
        as(admin).get().uri("/api/v1/admin/emergency-access?reviewed=false").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$[?(@.id=='" + id + "')].reason").isEqualTo("救急搬送 意識レベル低下");
        as(admin).post().uri("/api/v1/admin/emergency-access/{id}/review", id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("note", "搬送記録と照合済み")).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.reviewed").isEqualTo(true);
    }
}
