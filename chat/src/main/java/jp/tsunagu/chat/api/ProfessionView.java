package jp.tsunagu.chat.api;

import jp.tsunagu.chat.identity.Profession;

/** A profession as clients show it: code for logic, Japanese label for people. */
public record ProfessionView(String code, String label) {

    public static ProfessionView of(Profession p) {
        return p == null ? null : new ProfessionView(p.code(), p.label());
    }
}
