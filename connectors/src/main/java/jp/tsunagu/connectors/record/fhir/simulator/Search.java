package jp.tsunagu.connectors.record.fhir.simulator;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import tools.jackson.databind.JsonNode;

/** The search parameters the simulator knows, per resource type, and how a value matches a resource. */
final class Search {

    enum Kind {
        REFERENCE, TOKEN, DATE;

        String fhirType() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A parameter and the element paths it reads (dotted; the first present counts for dates). */
    record Param(String name, Kind kind, List<String> paths) {
    }

    /** One parameter value, ready to test resources with. */
    interface Criterion extends Predicate<JsonNode> {
    }

    static final Map<String, Map<String, Param>> PARAMS = new LinkedHashMap<>();

    static {
        Param subject = new Param("subject", Kind.REFERENCE, List.of("subject"));
        Param patientBySubject = new Param("patient", Kind.REFERENCE, List.of("subject"));
        define("Patient", new Param("identifier", Kind.TOKEN, List.of("identifier")));
        define("Observation", subject, patientBySubject,
                new Param("category", Kind.TOKEN, List.of("category")),
                new Param("code", Kind.TOKEN, List.of("code")),
                new Param("date", Kind.DATE, List.of("effectiveDateTime", "effectiveInstant", "effectivePeriod.start")));
        define("MedicationRequest", subject, patientBySubject,
                new Param("status", Kind.TOKEN, List.of("status")),
                new Param("code", Kind.TOKEN, List.of("medicationCodeableConcept")),
                new Param("authoredon", Kind.DATE, List.of("authoredOn")));
        define("MedicationDispense", subject, patientBySubject,
                new Param("status", Kind.TOKEN, List.of("status")),
                new Param("code", Kind.TOKEN, List.of("medicationCodeableConcept")),
                new Param("whenhandedover", Kind.DATE, List.of("whenHandedOver")));
        define("AllergyIntolerance", new Param("patient", Kind.REFERENCE, List.of("patient")),
                new Param("clinical-status", Kind.TOKEN, List.of("clinicalStatus")),
                new Param("date", Kind.DATE, List.of("recordedDate")));
        define("Condition", subject, patientBySubject,
                new Param("clinical-status", Kind.TOKEN, List.of("clinicalStatus")),
                new Param("onset-date", Kind.DATE, List.of("onsetDateTime", "onsetPeriod.start")));
        define("DocumentReference", subject, patientBySubject,
                new Param("type", Kind.TOKEN, List.of("type")),
                new Param("status", Kind.TOKEN, List.of("status")),
                new Param("date", Kind.DATE, List.of("date")));
    }

    private Search() {
    }

    private static void define(String type, Param... params) {
        Map<String, Param> byName = new LinkedHashMap<>();
        for (Param p : params) {
            byName.put(p.name(), p);
        }
        PARAMS.put(type, byName);
    }

    /** @throws FhirSimulator.SearchException 400 for a value the parameter cannot take */
    static Criterion criterion(Param param, String value) {
        return switch (param.kind()) {
            case REFERENCE -> reference(param, value);
            case TOKEN -> token(param, value);
            case DATE -> date(param, value);
        };
    }

    /** When the resource happened by this date parameter (start of its first present element), or null. */
    static Instant dateOf(Param param, JsonNode r) {
        for (String path : param.paths()) {
            JsonNode v = at(r, path);
            if (v != null && v.isString()) {
                try {
                    return Dates.range(v.stringValue()).start();
                } catch (IllegalArgumentException notADate) {
                    return null;
                }
            }
        }
        return null;
    }

    /** {@code Patient/123}, or a bare id; matches relative and absolute references. */
    private static Criterion reference(Param param, String value) {
        String wanted = value.contains("/") ? value : "Patient/" + value;
        return r -> {
            JsonNode ref = at(r, param.paths().get(0) + ".reference");
            if (ref == null || !ref.isString()) {
                return false;
            }
            String s = ref.stringValue();
            return s.equals(wanted) || s.endsWith("/" + wanted);
        };
    }

    /** {@code system|code}, {@code |code} (no system) or {@code code}; commas mean "or". */
    private static Criterion token(Param param, String value) {
        List<String> alternatives = List.of(value.split(","));
        return r -> {
            JsonNode element = at(r, param.paths().get(0));
            return element != null && alternatives.stream().anyMatch(a -> {
                int bar = a.indexOf('|');
                String system = bar < 0 ? null : a.substring(0, bar);
                String code = bar < 0 ? a : a.substring(bar + 1);
                return tokenMatches(element, system, code);
            });
        };
    }

    private static boolean tokenMatches(JsonNode element, String system, String code) {
        if (element.isArray()) {
            for (JsonNode e : element.values()) {
                if (tokenMatches(e, system, code)) {
                    return true;
                }
            }
            return false;
        }
        if (element.isString()) {
            return (system == null || system.isEmpty()) && element.stringValue().equals(code);
        }
        if (element.has("coding")) {
            return tokenMatches(element.get("coding"), system, code);
        }
        // a Coding (code) or an Identifier (value)
        String c = FhirSimulator.text(element, element.has("code") ? "code" : "value");
        String s = FhirSimulator.text(element, "system");
        boolean systemOk = system == null || (system.isEmpty() ? s == null : system.equals(s));
        return systemOk && code.equals(c);
    }

    /** {@code [eq|ge|gt|le|lt]<date or time>}, tested against the start of the resource's date. */
    private static Criterion date(Param param, String value) {
        String prefix = value.length() > 2 && Character.isLetter(value.charAt(0)) ? value.substring(0, 2) : "eq";
        String date = prefix.equals("eq") && !value.startsWith("eq") ? value : value.substring(2);
        Dates.Range range;
        try {
            range = Dates.range(date);
        } catch (IllegalArgumentException e) {
            throw new FhirSimulator.SearchException(400, "invalid", param.name() + ": " + e.getMessage());
        }
        Predicate<Instant> test = switch (prefix) {
            case "eq" -> t -> !t.isBefore(range.start()) && t.isBefore(range.end());
            case "ge" -> t -> !t.isBefore(range.start());
            case "gt" -> t -> !t.isBefore(range.end());
            case "le" -> t -> t.isBefore(range.end());
            case "lt" -> t -> t.isBefore(range.start());
            default -> throw new FhirSimulator.SearchException(400, "not-supported", param.name() + ": prefix " + prefix
                    + " is not supported (eq, ge, gt, le, lt)");
        };
        return r -> {
            Instant t = dateOf(param, r);
            return t != null && test.test(t);
        };
    }

    private static JsonNode at(JsonNode n, String path) {
        JsonNode v = n;
        for (String part : path.split("\\.")) {
            v = v == null ? null : v.get(part);
        }
        return v;
    }
}
