package jp.tsunagu.chat.message;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The five acknowledgements care teams use instead of replying. The codes match the MCS-style profile's
 * reaction types so the bridge maps them one to one.
 */
public enum Stamp {
    VIEWED("見ました"), ACCEPTED("承知"), THANKED("感謝"), GOOD("いいね"), COMPLETED("完了");

    private final String label;

    Stamp(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Stamp> parse(String value) {
        return Arrays.stream(values())
                .filter(s -> s.name().equalsIgnoreCase(value) || s.label.equals(value))
                .findFirst();
    }
}
