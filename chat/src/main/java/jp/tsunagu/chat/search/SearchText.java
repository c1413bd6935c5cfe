package jp.tsunagu.chat.search;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How text is made searchable, the same for what is indexed and what is asked: NFKC (half-width ｶﾅ and full-width
 * ＡＢＣ１２３ become カナ and ABC123), lower case, katakana folded to hiragana (ワーファリン, ﾜｰﾌｧﾘﾝ and わーふぁりん are
 * one word). The normalised text falls into runs: a run of Japanese script (kanji, kana, ー, 々) is indexed as its
 * characters and its overlapping pairs, so any part of a word is found (訪問 in 訪問看護, 護師 in 看護師) without a
 * dictionary; a run of letters or of digits is a word (case-insensitive, found by its beginning). Everything else
 * separates runs.
 */
public final class SearchText {

    private SearchText() {
    }

    /** A run of the normalised text: Japanese script, or a word of letters or of digits. */
    public record Run(String text, boolean japanese) {
    }

    /**
     * Normalised text and, for each of its characters, where it came from in the original (so a match found in
     * the normalised text can be shown in the original).
     */
    public record Normalized(String text, int[] origin, int originalLength) {

        /** The original index where normalised character {@code i} starts ({@code text.length()}: the end). */
        public int originalStart(int i) {
            return i >= origin.length ? originalLength : origin[i];
        }

        /** The original index just past normalised character {@code i}. */
        public int originalEnd(int i) {
            for (int j = i + 1; j < origin.length; j++) {
                if (origin[j] != origin[i]) {
                    return origin[j];
                }
            }
            return originalLength;
        }
    }

    /** NFKC, lower case and katakana folded to hiragana, with where each character came from. */
    public static Normalized normalize(String original) {
        StringBuilder out = new StringBuilder(original.length());
        List<Integer> origin = new ArrayList<>(original.length());
        int i = 0;
        while (i < original.length()) {
            int cp = original.codePointAt(i);
            int end = i + Character.charCount(cp);
            // A half-width kana and its half-width voicing mark become one character: normalise them together.
            while (end < original.length() && isHalfWidthVoicing(original.charAt(end))) {
                end++;
            }
            String chunk = Normalizer.normalize(original.substring(i, end), Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
            for (int k = 0; k < chunk.length(); k++) {
                out.append(foldKana(chunk.charAt(k)));
                origin.add(i);
            }
            i = end;
        }
        return new Normalized(out.toString(), origin.stream().mapToInt(Integer::intValue).toArray(), original.length());
    }

    /** The runs of normalised text, in order. */
    public static List<Run> runs(String normalized) {
        List<Run> runs = new ArrayList<>();
        int i = 0;
        while (i < normalized.length()) {
            int cp = normalized.codePointAt(i);
            Kind kind = kind(cp);
            if (kind == Kind.OTHER) {
                i += Character.charCount(cp);
                continue;
            }
            int start = i;
            while (i < normalized.length() && kind(normalized.codePointAt(i)) == kind) {
                i += Character.charCount(normalized.codePointAt(i));
            }
            runs.add(new Run(normalized.substring(start, i), kind == Kind.JAPANESE));
        }
        return runs;
    }

    /** The characters of a Japanese run (code points, as strings). */
    public static List<String> characters(String run) {
        return run.codePoints().mapToObj(Character::toString).toList();
    }

    /** The overlapping pairs of characters of a Japanese run; none for a single character. */
    public static List<String> pairs(String run) {
        List<String> chars = characters(run);
        List<String> out = new ArrayList<>(Math.max(0, chars.size() - 1));
        for (int k = 0; k + 1 < chars.size(); k++) {
            out.add(chars.get(k) + chars.get(k + 1));
        }
        return out;
    }

    private enum Kind {
        JAPANESE, LETTERS, DIGITS, OTHER
    }

    private static Kind kind(int cp) {
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        if (script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                || script == Character.UnicodeScript.KATAKANA || cp == 'ー' || cp == '々' || cp == '〆') {
            return Kind.JAPANESE;
        }
        if (Character.isDigit(cp)) {
            return Kind.DIGITS;
        }
        if (Character.isLetter(cp)) {
            return Kind.LETTERS;
        }
        return Kind.OTHER;
    }

    private static boolean isHalfWidthVoicing(char c) {
        return c == '\uFF9E' || c == '\uFF9F';
    }

    /** Katakana (ァ..ヶ) to hiragana (ぁ..ゖ); ー and everything else as it is. */
    private static char foldKana(char c) {
        return c >= '\u30A1' && c <= '\u30F6' ? (char) (c - 0x60) : c;
    }
}
