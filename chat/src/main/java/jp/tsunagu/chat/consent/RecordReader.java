package jp.tsunagu.chat.consent;

import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jp.tsunagu.chat.api.ConsentViews;
import jp.tsunagu.connectors.record.HealthRecordException;
import jp.tsunagu.connectors.record.HealthRecordSource;
import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.connectors.record.RecordItem;
import jp.tsunagu.connectors.record.RecordQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reads sections of a resident's record from the source, within a data period, and keeps only what is inside
 * it: the source is asked for the period and its answer is filtered again, so a source that ignores the
 * dates (or answers for another category) never widens what is shown. A section the source cannot give is
 * {@code source-unavailable} with no items; a source failure never becomes a server error.
 */
public final class RecordReader {

    private static final Logger log = LoggerFactory.getLogger(RecordReader.class);
    /** Dates of data are Japan's calendar days: a reading at 08:00 JST on the 1st belongs to the 1st. */
    public static final ZoneId JAPAN = ZoneId.of("Asia/Tokyo");

    private final HealthRecordSource source;

    /** @param source null when no source is configured: every section is then {@code source-unavailable} */
    public RecordReader(HealthRecordSource source) {
        this.source = source;
    }

    /** How many items of a section to keep and which. */
    public enum Pick {
        /** Every item in the period, newest first (trends, medication, allergies, memos). */
        ALL,
        /** The newest item of each code (the latest value of each test). */
        LATEST_PER_CODE,
        /** Only the newest item (the latest vital sign of a kind). */
        LATEST
    }

    public record Section(RecordCategory category, boolean available, List<RecordItem> items) {
        public ConsentViews.SectionView view() {
            return new ConsentViews.SectionView(category.code(), available ? "shown" : "source-unavailable",
                    available ? items.stream().map(ConsentViews.ItemView::of).toList() : null);
        }
    }

    public Mono<List<Section>> read(String residentId, List<RecordCategory> categories, DataPeriod period,
                                    List<String> codes, Pick pick) {
        return Flux.fromIterable(categories)
                .flatMapSequential(c -> one(residentId, c, period, codes, pick))
                .collectList();
    }

    private Mono<Section> one(String residentId, RecordCategory category, DataPeriod period, List<String> codes,
                              Pick pick) {
        if (source == null) {
            return Mono.just(new Section(category, false, List.of()));
        }
        return Mono.defer(() -> source.read(new RecordQuery(residentId, category, period.from(), period.to())))
                .map(items -> new Section(category, true, keep(items, category, period, codes, pick)))
                .onErrorResume(e -> {
                    if (e instanceof HealthRecordException) {
                        log.info("record source {} could not give {} of {}: {}", source.id(), category.code(),
                                residentId, e.getMessage());
                    } else {
                        log.warn("record source {} broke its contract reading {} of {}", source.id(), category.code(),
                                residentId, e);
                    }
                    return Mono.just(new Section(category, false, List.of()));
                });
    }

    static List<RecordItem> keep(List<RecordItem> items, RecordCategory category, DataPeriod period, List<String> codes,
                                 Pick pick) {
        // An allergy or a condition holds whenever it was recorded: one without a date is still inside.
        boolean timeless = category == RecordCategory.ALLERGY || category == RecordCategory.CONDITION;
        List<RecordItem> inside = new ArrayList<>();
        for (RecordItem item : items) {
            LocalDate day = item.effective() == null ? null : item.effective().atZoneSameInstant(JAPAN).toLocalDate();
            if (item.category() != category || !(period.contains(day) || (timeless && day == null))) {
                continue;
            }
            if (!codes.isEmpty() && (item.code() == null || !codes.contains(item.code()))) {
                continue;
            }
            inside.add(item);
        }
        inside.sort((a, b) -> a.effective() == null ? 1 : b.effective() == null ? -1
                : b.effective().compareTo(a.effective()));
        return switch (pick) {
            case ALL -> inside;
            case LATEST -> inside.isEmpty() ? List.of() : List.of(inside.get(0));
            case LATEST_PER_CODE -> {
                Map<String, RecordItem> first = new LinkedHashMap<>();
                inside.forEach(i -> first.putIfAbsent(i.code() == null ? i.id() : i.code(), i));
                yield List.copyOf(first.values());
            }
        };
    }
}
