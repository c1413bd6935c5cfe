package jp.tsunagu.chat.identity;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The professions of a home-care team, plus the resident and their family.
 *
 * <p>Codes are stable ASCII used in the API and in tokens; {@link #label()} is the Japanese name shown to
 * people. An identity provider may put either form in the profession claim.
 */
public enum Profession {
    DOCTOR("医師"),
    DENTIST("歯科医師"),
    NURSE("看護師"),
    ASSISTANT_NURSE("准看護師"),
    PUBLIC_HEALTH_NURSE("保健師"),
    CARE_MANAGER("ケアマネジャー"),
    PHARMACIST("薬剤師"),
    PHYSICAL_THERAPIST("理学療法士"),
    OCCUPATIONAL_THERAPIST("作業療法士"),
    SPEECH_THERAPIST("言語聴覚士"),
    DIETITIAN("管理栄養士"),
    CARE_WORKER("介護福祉士/ヘルパー"),
    MEDICAL_SOCIAL_WORKER("医療ソーシャルワーカー"),
    RESIDENT("本人"),
    FAMILY("家族");

    private final String label;

    Profession(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True for the people the care is about, who never see other residents' rooms. */
    public boolean isLayPerson() {
        return this == RESIDENT || this == FAMILY;
    }

    /**
     * Doctors, dentists and nurses: who must acknowledge an urgent message when its author names nobody, since they
     * can act on a sudden change in the resident's condition.
     */
    public boolean isMedicalStaff() {
        return this == DOCTOR || this == DENTIST || this == NURSE || this == ASSISTANT_NURSE || this == PUBLIC_HEALTH_NURSE;
    }

    /** Accepts the code ({@code care_manager}), the enum name or the Japanese label ({@code ケアマネジャー}). */
    public static Optional<Profession> parse(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        return Arrays.stream(values())
                .filter(p -> p.name().equalsIgnoreCase(v) || p.label.equals(v)
                        || (p == CARE_WORKER && (v.equals("介護福祉士") || v.equals("ヘルパー"))))
                .findFirst();
    }
}
