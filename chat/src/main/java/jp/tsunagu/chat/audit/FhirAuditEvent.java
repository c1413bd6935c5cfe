package jp.tsunagu.chat.audit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An access-log entry as a FHIR R4 {@code AuditEvent} (DICOM 110110 "Patient Record", subtype read), for audit
 * exports as NDJSON. The chain position and hashes travel in {@code entity.detail} so a receiver can check
 * the chain without the database (an entry without categories has no {@code categories} detail: the empty list).
 * Valid R4 by the HAPI FHIR validator for every action and outcome (FhirExportConformanceIntegrationTests, ops).
 */
public final class FhirAuditEvent {

    static final String ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    /** The codes' displays as v3-ActReason gives them (R4 v3-codesystems): a Coding's display is the system's. */
    private static final Map<String, Object> TREATMENT = Map.of("system", ACT_REASON, "code", "TREAT",
            "display", "treatment");
    private static final Map<String, Object> EMERGENCY_TREATMENT = Map.of("system", ACT_REASON, "code", "ETREAT",
            "display", "Emergency Treatment");

    private FhirAuditEvent() {
    }

    public static Map<String, Object> of(AccessLogEntry e) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("resourceType", "AuditEvent");
        a.put("id", "tsunagu-access-" + e.seq());
        a.put("type", Map.of("system", "http://dicom.nema.org/resources/ontology/DCM", "code", "110110",
                "display", "Patient Record"));
        a.put("subtype", List.of(Map.of("system", "http://hl7.org/fhir/restful-interaction", "code",
                "embed".equals(e.action()) ? "create" : "read")));
        a.put("action", "embed".equals(e.action()) ? "C" : "R");
        a.put("recorded", e.at().toString());
        boolean granted = "shown".equals(e.outcome()) || "embedded".equals(e.outcome());
        a.put("outcome", granted ? "0" : "4");
        a.put("outcomeDesc", e.outcome());
        boolean emergency = e.basis() != null && e.basis().startsWith("break-glass:");
        // The stated purpose is free text: the concept's text, while the coding keeps the code system's display.
        Map<String, Object> purpose = new LinkedHashMap<>();
        purpose.put("coding", List.of(emergency ? EMERGENCY_TREATMENT : TREATMENT));
        putIfPresent(purpose, "text", e.purpose());
        a.put("purposeOfEvent", List.of(purpose));
        // FHIR has no empty strings: a value we do not know is left out, never sent as "" (R4 ele-1).
        Map<String, Object> who = new LinkedHashMap<>();
        who.put("identifier", Map.of("system", "urn:tsunagu:user", "value", e.viewer().userId()));
        putIfPresent(who, "display", e.viewer().displayName());
        Map<String, Object> agent = new LinkedHashMap<>();
        agent.put("who", who);
        putIfPresent(agent, "name", e.viewer().displayName());
        agent.put("requestor", true);
        List<Map<String, Object>> roles = new ArrayList<>();
        if (e.viewer().profession() != null) {
            roles.add(Map.of("coding", List.of(coding("urn:tsunagu:profession", e.viewer().profession().code(),
                    e.viewer().profession().label()))));
        }
        if (e.viewer().facilityId() != null) {
            roles.add(Map.of("coding", List.of(coding("urn:tsunagu:facility", e.viewer().facilityId(),
                    e.viewer().facilityName()))));
        }
        if (!roles.isEmpty()) {
            agent.put("role", roles);
        }
        a.put("agent", List.of(agent));
        Map<String, Object> source = new LinkedHashMap<>();
        putIfPresent(source, "site", e.roomId());
        source.put("observer", Map.of("display", "Tsunagu"));
        a.put("source", source);
        List<Map<String, Object>> entities = new ArrayList<>();
        Map<String, Object> patient = new LinkedHashMap<>();
        patient.put("what", Map.of("identifier", Map.of("system", "urn:tsunagu:resident-id", "value", e.residentId())));
        patient.put("type", Map.of("system", "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code", "1"));
        List<Map<String, Object>> detail = new ArrayList<>();
        if (!e.categories().isEmpty()) {
            detail.add(Map.of("type", "categories", "valueString", String.join(",", e.categories())));
        }
        detail.add(Map.of("type", "basis", "valueString", e.basis() == null ? "none" : e.basis()));
        detail.add(Map.of("type", "seq", "valueString", Long.toString(e.seq())));
        detail.add(Map.of("type", "prevHash", "valueString", e.prevHash()));
        detail.add(Map.of("type", "hash", "valueString", e.hash()));
        if (e.messageId() != null) {
            detail.add(Map.of("type", "messageId", "valueString", e.messageId()));
        }
        patient.put("detail", detail);
        entities.add(patient);
        e.items().forEach(item -> entities.add(Map.of("what", Map.of("reference", item),
                "type", Map.of("system", "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code", "2"))));
        a.put("entity", entities);
        return a;
    }

    private static Map<String, Object> coding(String system, String code, String display) {
        Map<String, Object> coding = new LinkedHashMap<>();
        coding.put("system", system);
        coding.put("code", code);
        putIfPresent(coding, "display", display);
        return coding;
    }

    private static void putIfPresent(Map<String, Object> map, String key, String value) {
        if (value != null && !value.isBlank()) {
            map.put(key, value);
        }
    }
}
