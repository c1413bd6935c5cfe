package jp.tsunagu.chat.consent;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;

import jp.tsunagu.connectors.record.HealthRecordException;
import jp.tsunagu.connectors.record.HealthRecordSource;
import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.connectors.record.RecordItem;
import jp.tsunagu.connectors.record.RecordQuery;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** What a reader keeps of a source's answer, and what a failing source turns into. */
class RecordReaderTests {

    private static RecordItem bp(String id, String at) {
        return new RecordItem(id, RecordCategory.VITAL_BP, "85354-9", "http://loinc.org", "血圧",
                OffsetDateTime.parse(at), List.of(new RecordItem.Value("収縮期", "128", "mm[Hg]", null)), "final", null);
    }

    private static RecordItem lab(String id, String code, String at) {
        return new RecordItem(id, RecordCategory.LAB, code, "http://loinc.org", code, OffsetDateTime.parse(at),
                List.of(new RecordItem.Value(code, "6.9", "%", "H")), "final", null);
    }

    @Test
    void keepsOnlyTheAskedCategoryInsideThePeriodEvenWhenTheSourceAnswersMore() {
        HealthRecordSource careless = new HealthRecordSource() {
            public String id() {
                return "careless";
            }

            public Mono<List<RecordItem>> read(RecordQuery query) {
                return Mono.just(List.of(
                        bp("Observation/in", "2026-11-20T07:00:00+09:00"),
                        bp("Observation/before", "2026-10-01T07:00:00+09:00"),
                        // 23:30 UTC on the 22nd is the 23rd in Japan: inside a period ending on the 23rd.
                        bp("Observation/late-utc", "2026-11-22T23:30:00Z"),
                        bp("Observation/after", "2026-11-24T07:00:00+09:00"),
                        lab("Observation/other-category", "4548-4", "2026-11-20T07:00:00+09:00")));
            }
        };
        DataPeriod period = new DataPeriod(LocalDate.of(2026, 11, 1), LocalDate.of(2026, 11, 23));
        StepVerifier.create(new RecordReader(careless).read("TONE-1", List.of(RecordCategory.VITAL_BP), period, List.of(),
                        RecordReader.Pick.ALL))
                .assertNext(sections -> {
                    assertThat(sections).hasSize(1);
                    assertThat(sections.get(0).available()).isTrue();
                    assertThat(sections.get(0).items()).extracting(RecordItem::id)
                            .containsExactly("Observation/late-utc", "Observation/in");
                })
                .verifyComplete();
    }

    @Test
    void latestPerCodeKeepsTheNewestOfEachTest() {
        List<RecordItem> items = List.of(lab("a", "4548-4", "2026-08-01T09:00:00+09:00"),
                lab("b", "4548-4", "2026-11-01T09:00:00+09:00"), lab("c", "33914-3", "2026-10-01T09:00:00+09:00"));
        assertThat(RecordReader.keep(items, RecordCategory.LAB, DataPeriod.ALL, List.of(), RecordReader.Pick.LATEST_PER_CODE))
                .extracting(RecordItem::id).containsExactly("b", "c");
        assertThat(RecordReader.keep(items, RecordCategory.LAB, DataPeriod.ALL, List.of("33914-3"), RecordReader.Pick.ALL))
                .extracting(RecordItem::id).containsExactly("c");
    }

    @Test
    void aFailingOrMissingSourceGivesUnavailableSectionsNotErrors() {
        HealthRecordSource down = new HealthRecordSource() {
            public String id() {
                return "down";
            }

            public Mono<List<RecordItem>> read(RecordQuery query) {
                return query.category() == RecordCategory.LAB
                        ? Mono.error(new HealthRecordException.Unavailable("timeout", null))
                        : Mono.error(new IllegalStateException("a source breaking its contract"));
            }
        };
        StepVerifier.create(new RecordReader(down).read("TONE-1", List.of(RecordCategory.LAB, RecordCategory.MEMO),
                        DataPeriod.ALL, List.of(), RecordReader.Pick.ALL))
                .assertNext(sections -> assertThat(sections).allSatisfy(s -> {
                    assertThat(s.available()).isFalse();
                    assertThat(s.items()).isEmpty();
                    assertThat(s.view().state()).isEqualTo("source-unavailable");
                }))
                .verifyComplete();
        StepVerifier.create(new RecordReader(null).read("TONE-1", List.of(RecordCategory.LAB), DataPeriod.ALL, List.of(),
                        RecordReader.Pick.ALL))
                .assertNext(sections -> assertThat(sections.get(0).available()).isFalse())
                .verifyComplete();
    }
}
