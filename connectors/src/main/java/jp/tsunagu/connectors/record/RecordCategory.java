package jp.tsunagu.connectors.record;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What part of a resident's health record an item belongs to. Consent grants name these codes, so they are
 * stable API values. {@link #CONDITION} is read only for the emergency set (break-glass): residents do not
 * grant it to rooms.
 */
public enum RecordCategory {
    LAB("lab"),
    MEDICATION("medication"),
    VITAL_BP("vital.bp"),
    VITAL_WEIGHT("vital.weight"),
    VITAL_GLUCOSE("vital.glucose"),
    ALLERGY("allergy"),
    MEMO("memo"),
    CONDITION("condition");

    private final String code;

    RecordCategory(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    public boolean grantable() {
        return this != CONDITION;
    }

    public static Optional<RecordCategory> parse(String code) {
        if (code == null) {
            return Optional.empty();
        }
        String c = code.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(v -> v.code.equals(c)).findFirst();
    }
}
