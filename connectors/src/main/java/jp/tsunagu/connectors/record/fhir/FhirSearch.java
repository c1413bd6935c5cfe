package jp.tsunagu.connectors.record.fhir;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jp.tsunagu.connectors.record.RecordCategory;

/**
 * Which FHIR search answers which record category, and the codes that decide whether a resource belongs to
 * it. docs/CONNECTORS.md ("Health-record sources") lists the same table for integrators.
 */
final class FhirSearch {

    static final String LOINC = "http://loinc.org";
    static final String OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";

    /** Blood pressure panel (LOINC); the values are its components. */
    static final String BP_PANEL = "85354-9";
    static final String SYSTOLIC = "8480-6";
    static final String DIASTOLIC = "8462-4";
    static final String BODY_WEIGHT = "29463-7";
    /**
     * Self-measured blood glucose: capillary blood by glucometer in mg/dL (41653-7, what Japanese meters
     * report) and mmol/L (14743-9), and blood glucose without method (2339-0 mg/dL, 15074-8 mmol/L) for
     * devices that do not say. Serum/plasma glucose (2345-7, 1558-6 fasting) is a laboratory result and
     * comes with {@code lab}.
     */
    static final List<String> GLUCOSE = List.of("41653-7", "14743-9", "2339-0", "15074-8");
    /** "Patient Note": the resident's (or family's) own free-text memo of daily-life changes. */
    static final String PATIENT_NOTE = "51855-5";
    /** Condition clinical statuses that mean "a current problem" (recurrence and relapse are kinds of active). */
    static final Set<String> ACTIVE_CONDITION = Set.of("active", "recurrence", "relapse");

    /**
     * One category's search.
     *
     * @param resourceType what is searched
     * @param patientParam the search parameter (and element) naming the patient: subject or patient
     * @param fixed the parameters that select the category, as sent
     * @param dateParam the date search parameter matching the item's date, also used to sort
     */
    record Plan(String resourceType, String patientParam, Map<String, String> fixed, String dateParam) {
    }

    private record Param(String name, String value) {
    }

    private FhirSearch() {
    }

    static Plan plan(RecordCategory category) {
        return switch (category) {
            case LAB -> new Plan("Observation", "subject", Map.of("category", OBSERVATION_CATEGORY + "|laboratory"), "date");
            case VITAL_BP -> new Plan("Observation", "subject", Map.of("code", LOINC + "|" + BP_PANEL), "date");
            case VITAL_WEIGHT -> new Plan("Observation", "subject", Map.of("code", LOINC + "|" + BODY_WEIGHT), "date");
            case VITAL_GLUCOSE -> new Plan("Observation", "subject",
                    Map.of("code", String.join(",", GLUCOSE.stream().map(c -> LOINC + "|" + c).toList())), "date");
            // Current medication: the active prescriptions (JP Core MedicationRequest). Dispensings repeat
            // them per refill and would show one drug many times.
            case MEDICATION -> new Plan("MedicationRequest", "subject", Map.of("status", "active"), "authoredon");
            case ALLERGY -> new Plan("AllergyIntolerance", "patient", Map.of(), "date");
            case CONDITION -> new Plan("Condition", "subject",
                    Map.of("clinical-status", String.join(",", ACTIVE_CONDITION.stream().sorted().toList())), "onset-date");
            case MEMO -> new Plan("DocumentReference", "subject",
                    Map.of("type", LOINC + "|" + PATIENT_NOTE, "status", "current"), "date");
        };
    }

    /** {@code {base}/Patient?identifier={system}|{residentId}}. */
    static URI patient(String base, String identifierSystem, String residentId) {
        return uri(base, "Patient", List.of(new Param("identifier", identifierSystem + "|" + residentId)));
    }

    /**
     * The first page of a category's search, newest first. The date window goes out one day wider on each
     * side: a server may read a date without zone in its own (UTC) time, and a day covers any offset. The
     * exact window (Japan time) is applied to the answer.
     */
    static URI firstPage(String base, Plan plan, String patientId, LocalDate from, LocalDate to, int count) {
        List<Param> params = new ArrayList<>();
        params.add(new Param(plan.patientParam(), "Patient/" + patientId));
        plan.fixed().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> params.add(new Param(e.getKey(), e.getValue())));
        if (from != null) {
            params.add(new Param(plan.dateParam(), "ge" + from.minusDays(1)));
        }
        if (to != null) {
            params.add(new Param(plan.dateParam(), "le" + to.plusDays(1)));
        }
        params.add(new Param("_sort", "-" + plan.dateParam()));
        params.add(new Param("_count", Integer.toString(count)));
        return uri(base, plan.resourceType(), params);
    }

    private static URI uri(String base, String type, List<Param> params) {
        StringBuilder s = new StringBuilder(base).append('/').append(type);
        char sep = '?';
        for (Param p : params) {
            s.append(sep).append(p.name()).append('=').append(URLEncoder.encode(p.value(), StandardCharsets.UTF_8));
            sep = '&';
        }
        return URI.create(s.toString());
    }
}
