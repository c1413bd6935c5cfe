package jp.tsunagu.connectors.record;

import java.util.List;

import reactor.core.publisher.Mono;

/**
 * Where residents' health records come from (the regional network's FHIR server, a vendor system…). The
 * consent service decides <em>whether</em> a reader may see a category; a source only answers what it is
 * asked, for one resident and one category at a time.
 *
 * <p>Contract: the answer holds only items of the asked resident and category, newest first; a source may
 * cache answers for a short time. It fails with a {@link HealthRecordException} (never another exception)
 * and never blocks the calling thread.
 */
public interface HealthRecordSource {

    /** A short name for logs and metrics. */
    String id();

    Mono<List<RecordItem>> read(RecordQuery query);
}
