package jp.tsunagu.ops.support;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jp.tsunagu.connectors.record.HealthRecordException;
import jp.tsunagu.connectors.record.HealthRecordSource;
import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.connectors.record.RecordItem;
import jp.tsunagu.connectors.record.RecordQuery;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.test.context.TestConfiguration;
import reactor.core.publisher.Mono;

/**
 * The integration tests' health-record source: what each test resident's record holds, and a switch that makes
 * the source fail for one resident. It answers everything it holds for the resident, whatever the dates and
 * category asked, so the tests also show that the server never widens a scope on a careless source's word.
 * The configuration class is itself the bean. It stands in only when no FHIR server is configured: tests that
 * set {@code tsunagu.record.fhir.base-url} read through the real FHIR source (see FhirSourceIntegrationTests).
 */
@TestConfiguration(proxyBeanMethods = false)
@ConditionalOnExpression("'${tsunagu.record.fhir.base-url:}'.isEmpty()")
public class TestRecordSource implements HealthRecordSource {

    private final Map<String, List<RecordItem>> records = new ConcurrentHashMap<>();
    private final Map<String, RuntimeException> failures = new ConcurrentHashMap<>();

    @Override
    public String id() {
        return "test";
    }

    @Override
    public Mono<List<RecordItem>> read(RecordQuery query) {
        RuntimeException failure = failures.get(query.residentId());
        if (failure != null) {
            return Mono.error(failure);
        }
        return Mono.just(records.getOrDefault(query.residentId(), List.of()));
    }

    public void hold(String residentId, List<RecordItem> items) {
        records.put(residentId, List.copyOf(items));
    }

    public void failFor(String residentId, HealthRecordException failure) {
        failures.put(residentId, failure);
    }

    public static RecordItem item(String id, RecordCategory category, String code, String display, OffsetDateTime at,
                                  String value, String unit) {
        return new RecordItem(id, category, code, "http://loinc.org", display, at,
                value == null ? List.of() : List.of(new RecordItem.Value(display, value, unit, null)), "final", null);
    }
}
