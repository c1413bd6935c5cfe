package jp.tsunagu.connectors.record;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * One entry of a health record, in a shape neutral to the source's format (FHIR or other): what it is, when
 * it applies and its values.
 *
 * @param id stable id within the source (e.g. {@code Observation/123}); access logs name items by it
 * @param category its category
 * @param code the coded concept (LOINC, YJ code, JLAC10…), may be null (memo)
 * @param codeSystem the code's system URI, may be null
 * @param display what to show people (検査名, 薬剤名, アレルゲン, the memo text)
 * @param effective when it was measured, dispensed, recorded; null if the source gives no date
 * @param values measured values (one, or components such as systolic/diastolic); empty for text items
 * @param status the source's status (final, active, completed…), may be null
 * @param note free text: dosage instructions, reaction, comment; may be null
 */
public record RecordItem(String id, RecordCategory category, String code, String codeSystem, String display,
                         OffsetDateTime effective, List<Value> values, String status, String note) {

    public RecordItem {
        values = values == null ? List.of() : List.copyOf(values);
    }

    /**
     * @param label what the value is (収縮期血圧, HbA1c, 1回量)
     * @param value the value as the source gave it (a decimal or text), never reformatted
     * @param unit UCUM or the source's unit, may be null
     * @param interpretation H/L/N or similar from the source, may be null
     */
    public record Value(String label, String value, String unit, String interpretation) {
    }
}
