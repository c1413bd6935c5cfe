package jp.tsunagu.chat.audit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An access-log entry as a FHIR R4 {@code AuditEvent} (DICOM 110110 "Patient Record", subtype read), for audit
 * exports as NDJSON. The chain position and hashes travel in {@code entity.detail} so a receiver can check
 * the chain without the database.
 */
public final class FhirAuditEvent {

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
        a.put("purposeOfEvent", List.of(Map.of("coding", List.of(Map.of(
                "system", "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                "code", emergency ? "ETREAT" : "TREAT", "display", e.purpose() == null ? "" : e.purpose())))));
        Map<String, Object> who = new LinkedHashMap<>();
        who.put("identifier", Map.of("system", "urn:tsunagu:user", "value", e.viewer().userId()));
        who.put("display", e.viewer().displayName());
        Map<String, Object> agent = new LinkedHashMap<>();
        agent.put("who", who);
        agent.put("name", e.viewer().displayName());
        agent.put("requestor", true);
        List<Map<String, Object>> roles = new ArrayList<>();
        if (e.viewer().profession() != null) {
            roles.add(Map.of("coding", List.of(Map.of("system", "urn:tsunagu:profession",
                    "code", e.viewer().profession().code(), "display", e.viewer().profession().label()))));
        }
        if (e.viewer().facilityId() != null) {
            roles.add(Map.of("coding", List.of(Map.of("system", "urn:tsunagu:facility", "code", e.viewer().facilityId(),
                    "display", e.viewer().facilityName() == null ? "" : e.viewer().facilityName()))));
        }
        agent.put("role", roles);
        a.put("agent", List.of(agent));
        a.put("source", Map.of("observer", Map.of("display", "Tsunagu"), "site", e.roomId() == null ? "" : e.roomId()));
        List<Map<String, Object>> entities = new ArrayList<>();
        Map<String, Object> patient = new LinkedHashMap<>();
        patient.put("what", Map.of("identifier", Map.of("system", "urn:tsunagu:resident-id", "value", e.residentId())));
        patient.put("type", Map.of("system", "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code", "1"));
        List<Map<String, Object>> detail = new ArrayList<>();
        detail.add(Map.of("type", "categories", "valueString", String.join(",", e.categories())));
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
}
