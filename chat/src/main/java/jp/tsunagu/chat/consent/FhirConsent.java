package jp.tsunagu.chat.consent;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jp.tsunagu.connectors.record.RecordCategory;

/**
 * A grant as a FHIR R4 {@code Consent} (scope patient-privacy, category LOINC 59284-0 "Patient Consent"):
 * a permit provision for the grant's validity, with the audience as actors and the categories as classes.
 * The stated purpose is free text, which a {@code provision.purpose} Coding cannot carry (its display is the code
 * system's), so it travels in the narrative. Valid R4 by the HAPI FHIR validator for every state a grant has
 * (FhirExportConformanceIntegrationTests, ops).
 */
final class FhirConsent {

    /** Our codes for record categories, so a receiver can tell them apart from its own. */
    static final String CATEGORY_SYSTEM = "urn:tsunagu:record-category";
    static final String RESIDENT_SYSTEM = "urn:tsunagu:resident-id";
    static final String PROFESSION_SYSTEM = "urn:tsunagu:profession";

    private FhirConsent() {
    }

    static Map<String, Object> of(ConsentGrant g, Instant now) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("resourceType", "Consent");
        c.put("id", g.grantId() + "-v" + g.version());
        c.put("meta", Map.of("versionId", Integer.toString(g.version())));
        c.put("text", narrative(g, now));
        c.put("status", g.status() == ConsentGrant.Status.REVOKED ? "inactive"
                : g.effectiveAt(now) ? "active" : "inactive");
        c.put("scope", coding("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent"));
        // The display R4's consent-category value set gives LOINC 59284-0.
        c.put("category", List.of(coding("http://loinc.org", "59284-0", "Patient Consent")));
        c.put("patient", Map.of("identifier", Map.of("system", RESIDENT_SYSTEM, "value", g.residentId())));
        c.put("dateTime", g.decidedAt().toString());
        Map<String, Object> performer = new LinkedHashMap<>();
        performer.put("display", g.decidedBy().displayName()
                + (g.decidedBy().relationship() == null ? "" : " (" + g.decidedBy().relationship() + ")"));
        performer.put("identifier", Map.of("system", "urn:tsunagu:user", "value", g.decidedBy().userId()));
        c.put("performer", List.of(performer));
        c.put("policy", List.of(Map.of("uri", "urn:tsunagu:consent-grant:" + g.grantId())));
        Map<String, Object> provision = new LinkedHashMap<>();
        provision.put("type", g.status() == ConsentGrant.Status.REVOKED ? "deny" : "permit");
        provision.put("period", Map.of("start", g.validFrom().toString(), "end", g.validUntil().toString()));
        List<Map<String, Object>> actors = new ArrayList<>();
        actors.add(actor("urn:tsunagu:room", g.roomId(), "care room"));
        g.audience().professions().forEach(p -> actors.add(actor(PROFESSION_SYSTEM, p.code(), p.label())));
        g.audience().facilities().forEach(f -> actors.add(actor("urn:tsunagu:facility", f, null)));
        g.audience().users().forEach(u -> actors.add(actor("urn:tsunagu:user", u, null)));
        provision.put("actor", actors);
        provision.put("action", List.of(coding("http://terminology.hl7.org/CodeSystem/consentaction", "access", "Access")));
        // TREAT's display as v3-ActReason gives it; the stated purpose is in the narrative.
        provision.put("purpose", List.of(Map.of("system", "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                "code", "TREAT", "display", "treatment")));
        provision.put("class", g.categories().stream().map(RecordCategory::code)
                .map(code -> Map.of("system", CATEGORY_SYSTEM, "code", code)).toList());
        if (g.dataPeriod() != null && g.dataPeriod().bounded()) {
            Map<String, Object> data = new LinkedHashMap<>();
            if (g.dataPeriod().from() != null) {
                data.put("start", g.dataPeriod().from().toString());
            }
            if (g.dataPeriod().to() != null) {
                data.put("end", g.dataPeriod().to().toString());
            }
            provision.put("dataPeriod", data);
        }
        c.put("provision", provision);
        return c;
    }

    /** A short generated narrative: what is shared, with whom, when, and the purpose as the resident saw it. */
    private static Map<String, Object> narrative(ConsentGrant g, Instant now) {
        String categories = String.join(", ", g.categories().stream().map(RecordCategory::code).toList());
        String html = "<div xmlns=\"http://www.w3.org/1999/xhtml\">"
                + "<p>Consent " + xml(g.grantId()) + " version " + g.version() + " (" + g.stateAt(now) + "): "
                + (g.status() == ConsentGrant.Status.REVOKED ? "withdrawn" : "shares") + " " + xml(categories)
                + " from " + g.validFrom() + " to " + g.validUntil() + ".</p>"
                + (g.purpose() == null || g.purpose().isBlank() ? "" : "<p>Purpose: " + xml(g.purpose()) + "</p>")
                + "</div>";
        return Map.of("status", "generated", "div", html);
    }

    private static String xml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static Map<String, Object> coding(String system, String code, String display) {
        return Map.of("coding", List.of(Map.of("system", system, "code", code, "display", display)));
    }

    private static Map<String, Object> actor(String system, String value, String display) {
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("identifier", Map.of("system", system, "value", value));
        if (display != null) {
            ref.put("display", display);
        }
        return Map.of("role", Map.of("coding", List.of(Map.of(
                        "system", "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code", "IRCP"))),
                "reference", ref);
    }
}
