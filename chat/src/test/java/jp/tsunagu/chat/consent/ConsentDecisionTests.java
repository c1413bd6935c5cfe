package jp.tsunagu.chat.consent;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.connectors.record.RecordCategory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The decision table of who a grant's audience admits, and when a grant shows data at all. */
class ConsentDecisionTests {

    private static final CareUser DOCTOR = user("dr", Profession.DOCTOR, "clinic");
    private static final CareUser NURSE = user("ns", Profession.NURSE, "vns");
    private static final CareUser NURSE_OTHER_STATION = user("ns2", Profession.NURSE, "vns-2");
    private static final CareUser PHARMACIST = user("ph", Profession.PHARMACIST, "pharmacy");
    private static final CareUser CARE_WORKER = user("hp", Profession.CARE_WORKER, "cm-office");
    private static final CareUser FAMILY = user("fam", Profession.FAMILY, null);

    private static CareUser user(String id, Profession p, String facility) {
        return new CareUser(id, id, p, facility, facility, Set.of());
    }

    private static Audience audience(List<Profession> professions, List<String> facilities, List<String> users) {
        return new Audience(professions, facilities, users);
    }

    static Stream<Arguments> table() {
        Audience whole = Audience.WHOLE_ROOM;
        Audience doctorsAndNurses = audience(List.of(Profession.DOCTOR, Profession.NURSE), List.of(), List.of());
        Audience oneStation = audience(List.of(), List.of("vns"), List.of());
        Audience nursesOfOneStation = audience(List.of(Profession.NURSE), List.of("vns"), List.of());
        Audience onlyThePharmacist = audience(List.of(), List.of(), List.of("ph"));
        Audience doctorsPlusThePharmacist = audience(List.of(Profession.DOCTOR), List.of(), List.of("ph"));
        Audience familyToo = audience(List.of(Profession.DOCTOR, Profession.FAMILY), List.of(), List.of());
        return Stream.of(
                Arguments.of("whole room: professional", whole, DOCTOR, true),
                Arguments.of("whole room: care worker", whole, CARE_WORKER, true),
                Arguments.of("whole room: family who is no proxy", whole, FAMILY, false),
                Arguments.of("by profession: doctor", doctorsAndNurses, DOCTOR, true),
                Arguments.of("by profession: nurse", doctorsAndNurses, NURSE, true),
                Arguments.of("by profession: pharmacist", doctorsAndNurses, PHARMACIST, false),
                Arguments.of("by facility: its nurse", oneStation, NURSE, true),
                Arguments.of("by facility: another station's nurse", oneStation, NURSE_OTHER_STATION, false),
                Arguments.of("by facility: family has none", oneStation, FAMILY, false),
                Arguments.of("profession and facility: both match", nursesOfOneStation, NURSE, true),
                Arguments.of("profession and facility: other facility", nursesOfOneStation, NURSE_OTHER_STATION, false),
                Arguments.of("profession and facility: other profession", nursesOfOneStation, DOCTOR, false),
                Arguments.of("named user: that user", onlyThePharmacist, PHARMACIST, true),
                Arguments.of("named user: anyone else", onlyThePharmacist, DOCTOR, false),
                Arguments.of("profession plus named user: profession", doctorsPlusThePharmacist, DOCTOR, true),
                Arguments.of("profession plus named user: user", doctorsPlusThePharmacist, PHARMACIST, true),
                Arguments.of("profession plus named user: other", doctorsPlusThePharmacist, NURSE, false),
                Arguments.of("family named as a profession", familyToo, FAMILY, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void audienceAdmits(String row, Audience audience, CareUser reader, boolean admitted) {
        assertThat(audience.admits(reader)).as(row).isEqualTo(admitted);
    }

    private static final Instant NOW = Instant.parse("2026-11-23T03:00:00Z");

    private static ConsentGrant grant(Instant from, Instant until) {
        return new ConsentGrant("g:1", "g", 1, ConsentGrant.Status.ACTIVE, "TONE-1", "room", List.of(RecordCategory.LAB),
                Audience.WHOLE_ROOM, from, until, DataPeriod.ALL, "服薬調整", "req", null, null, from, null);
    }

    @Test
    void aGrantShowsDataOnlyWhileActiveAndInsideItsValidity() {
        ConsentGrant valid = grant(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)));
        ConsentGrant expired = grant(NOW.minus(Duration.ofDays(10)), NOW);
        ConsentGrant future = grant(NOW.plusSeconds(1), NOW.plus(Duration.ofDays(1)));
        ConsentGrant revoked = valid.revoked(null, NOW, "気が変わった");

        assertThat(valid.effectiveAt(NOW)).isTrue();
        assertThat(valid.stateAt(NOW)).isEqualTo("active");
        assertThat(expired.effectiveAt(NOW)).as("validity ends exclusive").isFalse();
        assertThat(expired.stateAt(NOW)).isEqualTo("expired");
        assertThat(future.effectiveAt(NOW)).isFalse();
        assertThat(future.stateAt(NOW)).isEqualTo("not-yet-valid");
        assertThat(revoked.effectiveAt(NOW)).isFalse();
        assertThat(revoked.stateAt(NOW)).isEqualTo("revoked");
        assertThat(revoked.version()).as("revocation is the next version, not an edit").isEqualTo(2);
        assertThat(revoked.id()).isEqualTo("g:2");
        assertThat(valid.status()).isEqualTo(ConsentGrant.Status.ACTIVE);
    }

    @Test
    void dataPeriodsIntersectAndUndatedItemsFitOnlyAnOpenPeriod() {
        DataPeriod grant = new DataPeriod(LocalDate.of(2026, 10, 1), LocalDate.of(2026, 10, 31));
        DataPeriod card = new DataPeriod(LocalDate.of(2026, 10, 25), LocalDate.of(2026, 11, 23));
        DataPeriod both = grant.intersect(card);
        assertThat(both).isEqualTo(new DataPeriod(LocalDate.of(2026, 10, 25), LocalDate.of(2026, 10, 31)));
        assertThat(both.contains(LocalDate.of(2026, 10, 24))).isFalse();
        assertThat(both.contains(LocalDate.of(2026, 10, 31))).isTrue();
        assertThat(both.contains(LocalDate.of(2026, 11, 1))).isFalse();
        assertThat(both.contains(null)).isFalse();
        assertThat(DataPeriod.ALL.contains(null)).isTrue();
        assertThat(DataPeriod.ALL.intersect(card)).isEqualTo(card);
    }
}
