package jp.tsunagu.connectors.record.fhir;

import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

import jp.tsunagu.connectors.record.HealthRecordException;
import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.connectors.record.RecordItem;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.cfg.JsonNodeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * FHIR R4 JSON (JP Core shapes) → {@link RecordItem}s, and the checks that keep a misbehaving server from
 * widening what is shown: {@link #concerns} drops what is not of the asked patient and category,
 * {@link #within} what is outside the dates.
 *
 * <p>Strict where a category needs a field (its code, its value, the systolic and diastolic components, the
 * memo's text): a resource of the asked patient and category without it makes the whole answer
 * {@link HealthRecordException.Malformed}, so nobody reads a half-shown record as complete.
 */
final class FhirMapping {

    static final ZoneId JAPAN = ZoneId.of("Asia/Tokyo");

    private static final Pattern YEAR = Pattern.compile("\\d{4}");
    private static final Pattern YEAR_MONTH = Pattern.compile("\\d{4}-\\d{2}");
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");

    // FHIR decimals keep their precision ("7.40" is not "7.4"): read floats as BigDecimal, zeros kept.
    private final JsonMapper json = JsonMapper.builder()
            .enable(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();
    private final String base;

    /** @param base the server's base URL, for absolute references and next links */
    FhirMapping(String base) {
        this.base = base;
    }

    /** A search answer: a Bundle, or {@link HealthRecordException.Malformed}. */
    JsonNode bundle(String body) {
        JsonNode n;
        try {
            n = json.readTree(body == null ? "" : body);
        } catch (JacksonException e) {
            throw malformed("the FHIR server answered something that is not JSON", e);
        }
        if (n == null || !n.isObject()) {
            throw malformed("the FHIR server answered JSON that is not a resource", null);
        }
        String type = text(n, "resourceType");
        if (type == null) {
            throw malformed("the FHIR server's answer has no resourceType", null);
        }
        if (!"Bundle".equals(type)) {
            throw malformed("expected a Bundle, got " + type + issues(n), null);
        }
        return n;
    }

    /** The matched resources of a page; included and outcome entries are skipped. */
    List<JsonNode> resources(JsonNode bundle) {
        JsonNode entries = bundle.get("entry");
        if (entries == null || entries.isNull()) {
            return List.of();
        }
        if (!entries.isArray()) {
            throw malformed("Bundle.entry is not a list", null);
        }
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode entry : entries.values()) {
            String mode = text(entry.path("search"), "mode");
            if ("include".equals(mode) || "outcome".equals(mode)) {
                continue;
            }
            JsonNode resource = entry.get("resource");
            if (resource == null || !resource.isObject()) {
                throw malformed("a Bundle entry has no resource", null);
            }
            if (text(resource, "resourceType") == null) {
                throw malformed("a Bundle entry's resource has no resourceType", null);
            }
            out.add(resource);
        }
        return out;
    }

    /**
     * The next page's URL. It must lie under the server's base: the bearer token goes with it, and a next
     * link elsewhere would send it (and our reads) to another host.
     */
    Optional<URI> next(JsonNode bundle) {
        for (JsonNode link : bundle.path("link").values()) {
            if ("next".equals(text(link, "relation"))) {
                String url = text(link, "url");
                if (url == null || !(url.startsWith(base + "/") || url.startsWith(base + "?"))) {
                    throw malformed("next link outside the server's base: " + url, null);
                }
                try {
                    return Optional.of(URI.create(url));
                } catch (IllegalArgumentException e) {
                    throw malformed("next link is not a URL: " + url, e);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The id of the one Patient carrying {@code system|residentId}. Patients in the answer without that
     * identifier are ignored (a server that ignores the search parameter must not pick someone else); none
     * is {@link HealthRecordException.UnknownResident}, several are {@link HealthRecordException.Malformed}
     * (the network holds the resident twice, and either could be the wrong record).
     */
    String patientId(JsonNode bundle, String system, String residentId) {
        List<String> ids = new ArrayList<>();
        for (JsonNode resource : resources(bundle)) {
            if (!"Patient".equals(text(resource, "resourceType"))) {
                continue;
            }
            boolean carries = false;
            for (JsonNode identifier : resource.path("identifier").values()) {
                carries |= system.equals(text(identifier, "system")) && residentId.equals(text(identifier, "value"));
            }
            if (carries) {
                ids.add(requiredId(resource));
            }
        }
        if (ids.isEmpty()) {
            throw new HealthRecordException.UnknownResident("no Patient with identifier " + system + "|" + residentId);
        }
        if (ids.stream().distinct().count() > 1) {
            throw malformed("several Patients carry identifier " + system + "|" + residentId + ": " + ids, null);
        }
        return ids.get(0);
    }

    /**
     * Whether the resource is of the patient and the category asked for (and not withdrawn: entered in
     * error, stopped, superseded). Anything else in an answer is dropped.
     */
    boolean concerns(JsonNode r, FhirSearch.Plan plan, RecordCategory category, String patientId) {
        if (!plan.resourceType().equals(text(r, "resourceType")) || !isPatient(r.path(plan.patientParam()), patientId)) {
            return false;
        }
        return switch (category) {
            case LAB -> observationStands(r) && hasCoding(r.path("category"), FhirSearch.OBSERVATION_CATEGORY, "laboratory");
            case VITAL_BP -> observationStands(r) && hasCoding(r.path("code"), FhirSearch.LOINC, FhirSearch.BP_PANEL);
            case VITAL_WEIGHT -> observationStands(r) && hasCoding(r.path("code"), FhirSearch.LOINC, FhirSearch.BODY_WEIGHT);
            case VITAL_GLUCOSE -> observationStands(r)
                    && FhirSearch.GLUCOSE.stream().anyMatch(code -> hasCoding(r.path("code"), FhirSearch.LOINC, code));
            case MEDICATION -> "active".equals(text(r, "status"));
            case ALLERGY -> verified(r);
            case CONDITION -> verified(r) && FhirSearch.ACTIVE_CONDITION.contains(firstCode(r.path("clinicalStatus")));
            case MEMO -> "current".equals(text(r, "status")) && hasCoding(r.path("type"), FhirSearch.LOINC, FhirSearch.PATIENT_NOTE);
        };
    }

    /** When the item applies (measured, prescribed, recorded, onset), or null if the resource gives no date. */
    OffsetDateTime effective(JsonNode r) {
        String type = text(r, "resourceType");
        String value = switch (type == null ? "" : type) {
            case "Observation" -> firstText(r, "effectiveDateTime", "effectiveInstant", "effectivePeriod.start");
            case "MedicationRequest" -> text(r, "authoredOn");
            case "AllergyIntolerance" -> firstText(r, "recordedDate", "onsetDateTime");
            case "Condition" -> firstText(r, "onsetDateTime", "onsetPeriod.start", "recordedDate");
            case "DocumentReference" -> text(r, "date");
            default -> null;
        };
        return value == null ? null : dateTime(value);
    }

    /** Whether a date falls in the window (Japan dates, inclusive; null bounds are open). */
    static boolean within(OffsetDateTime effective, LocalDate from, LocalDate to) {
        if (from == null && to == null) {
            return true;
        }
        if (effective == null) {
            return false; // cannot be shown to lie inside
        }
        LocalDate day = effective.atZoneSameInstant(JAPAN).toLocalDate();
        return (from == null || !day.isBefore(from)) && (to == null || !day.isAfter(to));
    }

    /** The item of a resource that {@link #concerns} the category. */
    RecordItem item(JsonNode r, RecordCategory category, OffsetDateTime effective) {
        String id = text(r, "resourceType") + "/" + requiredId(r);
        return switch (category) {
            case LAB, VITAL_BP, VITAL_WEIGHT, VITAL_GLUCOSE -> observation(r, id, category, effective);
            case MEDICATION -> medication(r, id, effective);
            case ALLERGY -> allergy(r, id, effective);
            case CONDITION -> condition(r, id, effective);
            case MEMO -> memo(r, id, effective);
        };
    }

    // ==== per resource ==============================================================================================

    private RecordItem observation(JsonNode r, String id, RecordCategory category, OffsetDateTime effective) {
        Concept code = concept(r.path("code"), id, "code");
        if (effective == null) {
            throw malformed(id + ": no effective time (a measurement needs one)", null);
        }
        List<RecordItem.Value> values = switch (category) {
            case VITAL_BP -> bloodPressure(r, id);
            case VITAL_WEIGHT, VITAL_GLUCOSE -> List.of(measurement(r, id, code.display()));
            default -> labValues(r, code.display());
        };
        if (values.isEmpty() && !r.has("dataAbsentReason")) {
            throw malformed(id + ": no value", null);
        }
        List<String> notes = new ArrayList<>();
        if (category == RecordCategory.LAB) {
            range(r.path("referenceRange").path(0)).ifPresent(range -> notes.add("基準値 " + range));
            if (values.isEmpty()) {
                notes.add(labelOf(r.path("dataAbsentReason"), "no value"));
            }
        }
        notes.addAll(noteTexts(r));
        return new RecordItem(id, category, code.code(), code.system(), code.display(), effective, values,
                text(r, "status"), join(notes, " / "));
    }

    /** Systolic and diastolic first (both required), then any other component with a value (pulse…). */
    private static List<RecordItem.Value> bloodPressure(JsonNode r, String id) {
        List<RecordItem.Value> values = new ArrayList<>();
        values.add(componentValue(r, id, FhirSearch.SYSTOLIC, "収縮期血圧"));
        values.add(componentValue(r, id, FhirSearch.DIASTOLIC, "拡張期血圧"));
        for (JsonNode c : r.path("component").values()) {
            JsonNode cc = c.path("code");
            if (!hasCoding(cc, FhirSearch.LOINC, FhirSearch.SYSTOLIC) && !hasCoding(cc, FhirSearch.LOINC, FhirSearch.DIASTOLIC)) {
                value(c, labelOf(cc, null)).ifPresent(values::add);
            }
        }
        return values;
    }

    /** Weight and glucose: a quantity with its unit (a bare number is not a reading anyone can use). */
    private static RecordItem.Value measurement(JsonNode r, String id, String label) {
        RecordItem.Value v = quantity(r.path("valueQuantity"), label)
                .orElseThrow(() -> malformed(id + ": no valueQuantity", null));
        if (v.unit() == null) {
            throw malformed(id + ": value without unit", null);
        }
        return withInterpretation(v, r);
    }

    /** The result's own value, else its components' (a panel); empty when neither has one. */
    private static List<RecordItem.Value> labValues(JsonNode r, String label) {
        Optional<RecordItem.Value> own = value(r, label);
        if (own.isPresent()) {
            return List.of(own.get());
        }
        List<RecordItem.Value> values = new ArrayList<>();
        for (JsonNode c : r.path("component").values()) {
            value(c, labelOf(c.path("code"), null)).ifPresent(values::add);
        }
        return values;
    }

    private RecordItem medication(JsonNode r, String id, OffsetDateTime effective) {
        if (!r.has("medicationCodeableConcept")) {
            throw malformed(id + ": no medicationCodeableConcept (a medicationReference is not read)", null);
        }
        Concept drug = concept(r.path("medicationCodeableConcept"), id, "medicationCodeableConcept");
        List<RecordItem.Value> values = new ArrayList<>();
        List<String> instructions = new ArrayList<>();
        for (JsonNode dosage : r.path("dosageInstruction").values()) {
            quantity(dosage.path("doseAndRate").path(0).path("doseQuantity"), "1回量").ifPresent(values::add);
            String instruction = text(dosage, "text");
            if (instruction != null) {
                instructions.add(instruction);
            }
        }
        quantity(r.path("dispenseRequest").path("expectedSupplyDuration"), "日数").ifPresent(values::add);
        instructions.addAll(noteTexts(r));
        return new RecordItem(id, RecordCategory.MEDICATION, drug.code(), drug.system(), drug.display(), effective,
                values, text(r, "status"), join(instructions, " / "));
    }

    private RecordItem allergy(JsonNode r, String id, OffsetDateTime effective) {
        Concept substance = concept(r.path("code"), id, "code");
        List<RecordItem.Value> values = new ArrayList<>();
        String criticality = text(r, "criticality");
        if (criticality != null) {
            values.add(new RecordItem.Value("重篤度", criticality, null, null));
        }
        List<String> reactions = new ArrayList<>();
        for (JsonNode reaction : r.path("reaction").values()) {
            for (JsonNode manifestation : reaction.path("manifestation").values()) {
                reactions.add(labelOf(manifestation, "?"));
            }
        }
        List<String> notes = new ArrayList<>();
        if (!reactions.isEmpty()) {
            notes.add(String.join("、", reactions));
        }
        notes.addAll(noteTexts(r));
        return new RecordItem(id, RecordCategory.ALLERGY, substance.code(), substance.system(), substance.display(),
                effective, values, firstCode(r.path("clinicalStatus")), join(notes, " / "));
    }

    private RecordItem condition(JsonNode r, String id, OffsetDateTime effective) {
        Concept problem = concept(r.path("code"), id, "code");
        return new RecordItem(id, RecordCategory.CONDITION, problem.code(), problem.system(), problem.display(),
                effective, List.of(), firstCode(r.path("clinicalStatus")), join(noteTexts(r), " / "));
    }

    /** The memo's text is an inline text/plain attachment (base64 {@code data}); a URL alone is not fetched. */
    private RecordItem memo(JsonNode r, String id, OffsetDateTime effective) {
        JsonNode attachment = null;
        for (JsonNode content : r.path("content").values()) {
            String type = text(content.path("attachment"), "contentType");
            if (type != null && type.toLowerCase(Locale.ROOT).startsWith("text/plain") && content.path("attachment").has("data")) {
                attachment = content.path("attachment");
                break;
            }
        }
        if (attachment == null) {
            throw malformed(id + ": no inline text/plain attachment", null);
        }
        String memo;
        try {
            memo = new String(Base64.getMimeDecoder().decode(text(attachment, "data")), charset(text(attachment, "contentType")));
        } catch (IllegalArgumentException e) {
            throw malformed(id + ": attachment data is not base64", e);
        }
        if (memo.isBlank()) {
            throw malformed(id + ": empty memo", null);
        }
        List<String> authors = new ArrayList<>();
        for (JsonNode author : r.path("author").values()) {
            String name = text(author, "display");
            if (name != null) {
                authors.add(name);
            }
        }
        return new RecordItem(id, RecordCategory.MEMO, FhirSearch.PATIENT_NOTE, FhirSearch.LOINC, memo.strip(), effective,
                List.of(), text(r, "status"), join(authors, "、"));
    }

    // ==== elements ==================================================================================================

    private record Concept(String code, String system, String display) {
    }

    /** code and system of the first coding with a code; display from text, else that coding's display, else its code. */
    private static Concept concept(JsonNode cc, String id, String field) {
        JsonNode coding = null;
        for (JsonNode c : cc.path("coding").values()) {
            if (text(c, "code") != null) {
                coding = c;
                break;
            }
        }
        String text = text(cc, "text");
        if (coding == null && text == null) {
            throw malformed(id + ": " + field + " has neither a coding nor text", null);
        }
        String display = text != null ? text
                : text(coding, "display") != null ? text(coding, "display") : text(coding, "code");
        return coding == null ? new Concept(null, null, display)
                : new Concept(text(coding, "code"), text(coding, "system"), display);
    }

    private static RecordItem.Value componentValue(JsonNode r, String id, String loinc, String label) {
        for (JsonNode c : r.path("component").values()) {
            if (hasCoding(c.path("code"), FhirSearch.LOINC, loinc)) {
                Optional<RecordItem.Value> v = quantity(c.path("valueQuantity"), labelOf(c.path("code"), label));
                if (v.isPresent()) {
                    return withInterpretation(v.get(), c);
                }
            }
        }
        throw malformed(id + ": no " + loinc + " component with a value", null);
    }

    /** value[x] of an Observation or component: the quantity, string, code, integer or boolean, as given. */
    private static Optional<RecordItem.Value> value(JsonNode n, String label) {
        Optional<RecordItem.Value> v = quantity(n.path("valueQuantity"), label);
        if (v.isEmpty() && n.has("valueString")) {
            v = Optional.ofNullable(text(n, "valueString")).map(s -> new RecordItem.Value(label, s, null, null));
        }
        if (v.isEmpty() && n.has("valueCodeableConcept")) {
            v = Optional.of(new RecordItem.Value(label, labelOf(n.path("valueCodeableConcept"), "?"), null, null));
        }
        if (v.isEmpty() && (n.path("valueInteger").isIntegralNumber() || n.path("valueBoolean").isBoolean())) {
            JsonNode raw = n.has("valueInteger") ? n.get("valueInteger") : n.get("valueBoolean");
            v = Optional.of(new RecordItem.Value(label, raw.asString(), null, null));
        }
        return v.map(value -> withInterpretation(value, n));
    }

    private static Optional<RecordItem.Value> quantity(JsonNode q, String label) {
        JsonNode number = q.get("value");
        if (number == null || !number.isNumber()) {
            return Optional.empty();
        }
        String unit = text(q, "unit") != null ? text(q, "unit") : text(q, "code");
        String comparator = text(q, "comparator");
        String value = number.isBigDecimal() ? number.decimalValue().toPlainString() : number.asString();
        return Optional.of(new RecordItem.Value(label, comparator == null ? value : comparator + value, unit, null));
    }

    private static RecordItem.Value withInterpretation(RecordItem.Value v, JsonNode n) {
        String interpretation = firstCode(n.path("interpretation").path(0));
        return interpretation == null ? v : new RecordItem.Value(v.label(), v.value(), v.unit(), interpretation);
    }

    /** "low-high unit" ("≥low", "≤high" when one side is open), or the range's text. */
    private static Optional<String> range(JsonNode range) {
        String text = text(range, "text");
        if (text != null) {
            return Optional.of(text);
        }
        Optional<RecordItem.Value> low = quantity(range.path("low"), "");
        Optional<RecordItem.Value> high = quantity(range.path("high"), "");
        if (low.isEmpty() && high.isEmpty()) {
            return Optional.empty();
        }
        String unit = high.or(() -> low).map(RecordItem.Value::unit).orElse(null);
        String span = low.isEmpty() ? "≤" + high.get().value()
                : high.isEmpty() ? "≥" + low.get().value()
                : low.get().value() + "-" + high.get().value();
        return Optional.of(span + (unit == null ? "" : " " + unit));
    }

    private static String labelOf(JsonNode cc, String fallback) {
        String text = text(cc, "text");
        if (text != null) {
            return text;
        }
        for (JsonNode c : cc.path("coding").values()) {
            String display = text(c, "display");
            if (display != null) {
                return display;
            }
        }
        String code = firstCode(cc);
        return code != null ? code : fallback;
    }

    private static List<String> noteTexts(JsonNode r) {
        List<String> out = new ArrayList<>();
        for (JsonNode note : r.path("note").values()) {
            String t = text(note, "text");
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    private boolean isPatient(JsonNode reference, String patientId) {
        String ref = text(reference, "reference");
        if (ref == null) {
            return false;
        }
        int history = ref.indexOf("/_history/");
        if (history >= 0) {
            ref = ref.substring(0, history);
        }
        String relative = "Patient/" + patientId;
        return ref.equals(relative) || ref.equals(base + "/" + relative);
    }

    private static boolean observationStands(JsonNode r) {
        String status = text(r, "status");
        return !"entered-in-error".equals(status) && !"cancelled".equals(status);
    }

    private static boolean verified(JsonNode r) {
        String verification = firstCode(r.path("verificationStatus"));
        return !"entered-in-error".equals(verification) && !"refuted".equals(verification);
    }

    /** Whether a CodeableConcept (or a list of them) has the code; a coding without system matches too. */
    private static boolean hasCoding(JsonNode concepts, String system, String code) {
        for (JsonNode cc : concepts.isArray() ? concepts.values() : List.of(concepts)) {
            for (JsonNode c : cc.path("coding").values()) {
                String s = text(c, "system");
                if (code.equals(text(c, "code")) && (s == null || s.equals(system))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String firstCode(JsonNode cc) {
        for (JsonNode c : cc.path("coding").values()) {
            String code = text(c, "code");
            if (code != null) {
                return code;
            }
        }
        return null;
    }

    private static String requiredId(JsonNode r) {
        String id = text(r, "id");
        if (id == null || id.isBlank()) {
            throw malformed("a " + text(r, "resourceType") + " without id", null);
        }
        return id;
    }

    /** FHIR date, dateTime or instant; partial dates count as their first day, times without zone as Japan time. */
    static OffsetDateTime dateTime(String value) {
        try {
            if (YEAR.matcher(value).matches()) {
                return LocalDate.of(Integer.parseInt(value), 1, 1).atStartOfDay(JAPAN).toOffsetDateTime();
            }
            if (YEAR_MONTH.matcher(value).matches()) {
                return YearMonth.parse(value).atDay(1).atStartOfDay(JAPAN).toOffsetDateTime();
            }
            if (DATE.matcher(value).matches()) {
                return LocalDate.parse(value).atStartOfDay(JAPAN).toOffsetDateTime();
            }
            try {
                return OffsetDateTime.parse(value);
            } catch (DateTimeParseException noZone) {
                return LocalDateTime.parse(value).atZone(JAPAN).toOffsetDateTime();
            }
        } catch (DateTimeParseException | NumberFormatException e) {
            throw malformed("not a FHIR date or time: " + value, e);
        }
    }

    private static Charset charset(String contentType) {
        for (String part : contentType.split(";")) {
            String p = part.trim();
            if (p.regionMatches(true, 0, "charset=", 0, 8)) {
                try {
                    return Charset.forName(p.substring(8).replace("\"", "").trim());
                } catch (IllegalArgumentException unknown) {
                    throw malformed("unknown charset in " + contentType, unknown);
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    /** A string field, following a dotted path; null when absent or not a string. */
    private static String text(JsonNode n, String path) {
        JsonNode v = n;
        for (String part : path.split("\\.")) {
            v = v == null ? null : v.get(part);
        }
        return v != null && v.isString() ? v.stringValue() : null;
    }

    private static String firstText(JsonNode n, String... paths) {
        for (String p : paths) {
            String v = text(n, p);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private static String issues(JsonNode outcome) {
        List<String> out = new ArrayList<>();
        for (JsonNode issue : outcome.path("issue").values()) {
            String d = firstText(issue, "diagnostics", "details.text");
            if (d != null) {
                out.add(d);
            }
        }
        return out.isEmpty() ? "" : ": " + String.join("; ", out);
    }

    private static String join(List<String> parts, String separator) {
        return parts.isEmpty() ? null : String.join(separator, parts);
    }

    private static HealthRecordException.Malformed malformed(String message, Throwable cause) {
        return new HealthRecordException.Malformed(message, cause);
    }
}
