package jp.tsunagu.ops.support;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HAPI FHIR validator (the HL7 reference instance validator inside HAPI) against FHIR R4 core, offline:
 * structure definitions, value sets and code systems from {@code hapi-fhir-validation-resources-r4}, codes
 * checked in memory, and no terminology server, so codes of systems R4 core does not carry (LOINC, ICD-10,
 * JLAC10, ours) are not looked up: the validator says so as a warning, never an error.
 *
 * <p>The bar is zero errors (ERROR or FATAL). Warnings and information are kept, counted by message, so that the
 * tests can print them and docs/ARCHITECTURE.md ("FHIR exports, checked") can list the notable ones. One error
 * is not ours to fix and is kept as a note instead: a claimed JP Core profile ({@value #JP_CORE}...) that the
 * validator cannot load, since the JP Core package is served by neither Maven Central nor npm; any other unknown
 * profile stays an error. Building the validator loads all of R4 core (several seconds), so one instance serves
 * every test in the JVM; it is thread-safe.
 */
public final class FhirR4Validator {

    /** Where JP Core (the Japanese FHIR core profiles) publishes its profiles' canonical URLs. */
    static final String JP_CORE = "http://jpfhir.jp/fhir/core/";
    /** The validator's message id for a claimed profile it could not load ("... has not been checked ..."). */
    private static final String PROFILE_UNKNOWN = "Validation_VAL_Profile_Unknown";

    private static volatile FhirR4Validator shared;

    private final FhirValidator validator;
    private final Map<String, AtomicLong> notes = new ConcurrentHashMap<>();

    private FhirR4Validator() {
        FhirContext r4 = FhirContext.forR4();
        ValidationSupportChain offline = new ValidationSupportChain(
                new DefaultProfileValidationSupport(r4),
                new CommonCodeSystemsTerminologyService(r4),
                new InMemoryTerminologyServerValidationSupport(r4),
                new SnapshotGeneratingValidationSupport(r4));
        validator = r4.newValidator().registerValidatorModule(new FhirInstanceValidator(offline));
    }

    /** The one validator of this JVM, built on first use. */
    public static FhirR4Validator get() {
        FhirR4Validator v = shared;
        if (v == null) {
            synchronized (FhirR4Validator.class) {
                v = shared;
                if (v == null) {
                    v = new FhirR4Validator();
                    shared = v;
                }
            }
        }
        return v;
    }

    /** Every message the validator gives for one resource as JSON text (validated as sent, not re-serialised). */
    public List<SingleValidationMessage> validate(String json) {
        return validator.validateWithResult(json).getMessages();
    }

    /** The ERROR and FATAL messages of {@link #validate}, as "severity location: message" lines. */
    public List<String> errors(String json) {
        List<SingleValidationMessage> messages = validate(json);
        messages.stream().filter(m -> !isError(m)).forEach(m -> note(m.getSeverity() + " " + m.getMessage()));
        messages.stream().filter(FhirR4Validator::isUncheckableJpCore)
                .forEach(m -> note("NOT CHECKED (JP Core is not available offline) " + m.getMessage()));
        return messages.stream().filter(m -> isError(m) && !isUncheckableJpCore(m))
                .map(m -> m.getSeverity() + " " + m.getLocationString() + ": " + m.getMessage()).toList();
    }

    private void note(String message) {
        notes.computeIfAbsent(message, k -> new AtomicLong()).incrementAndGet();
    }

    private static boolean isUncheckableJpCore(SingleValidationMessage m) {
        return isError(m) && PROFILE_UNKNOWN.equals(m.getMessageId()) && m.getMessage().contains(JP_CORE);
    }

    /** Fails naming {@code what} and every error when the validator finds any. */
    public void assertNoErrors(String what, String json) {
        assertThat(errors(json)).as("FHIR R4 validation errors in %s:%n%s", what, json).isEmpty();
    }

    /** The 60 most frequent warnings and information seen so far, each with how often. */
    public String notesSummary() {
        Map<String, Long> counted = new TreeMap<>();
        notes.forEach((message, count) -> counted.put(message, count.get()));
        return counted.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(60).map(e -> e.getValue() + " x " + e.getKey()).collect(Collectors.joining("\n"));
    }

    private static boolean isError(SingleValidationMessage m) {
        return m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL;
    }
}
