package jp.tsunagu.chat.support;

import java.time.Duration;
import java.util.List;

import org.springframework.http.HttpStatus;

/**
 * A refusal the client can act on, rendered as RFC 9457 problem+json by {@link ProblemWebExceptionHandler}.
 *
 * <p>{@code type} is a short slug that becomes {@code /problems/<slug>}; {@code errors} name the offending
 * fields so a form can point at them.
 */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final List<FieldError> errors;
    private final Duration retryAfter;

    public ApiException(HttpStatus status, String type, String detail, List<FieldError> errors) {
        this(status, type, detail, errors, null);
    }

    private ApiException(HttpStatus status, String type, String detail, List<FieldError> errors, Duration retryAfter) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.errors = errors == null ? List.of() : List.copyOf(errors);
        this.retryAfter = retryAfter;
    }

    /** When to try again ({@code Retry-After}), or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    public HttpStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public List<FieldError> errors() {
        return errors;
    }

    /** One invalid input: a JSON path-ish field name ({@code text}, {@code mentions.users[0]}) and why. */
    public record FieldError(String field, String message) {
    }

    public static ApiException invalid(String field, String message) {
        return new ApiException(HttpStatus.BAD_REQUEST, "invalid-request", field + ": " + message,
                List.of(new FieldError(field, message)));
    }

    /** Room, message or attachment absent, or not visible to the caller: the two are never told apart. */
    public static ApiException notFound(String what) {
        return new ApiException(HttpStatus.NOT_FOUND, "not-found", what + " not found", List.of());
    }

    public static ApiException forbidden(String detail) {
        return new ApiException(HttpStatus.FORBIDDEN, "forbidden", detail, List.of());
    }

    public static ApiException conflict(String type, String detail) {
        return new ApiException(HttpStatus.CONFLICT, type, detail, List.of());
    }

    public static ApiException unprocessable(String field, String message) {
        return new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, "unprocessable", field + ": " + message,
                List.of(new FieldError(field, message)));
    }

    /** The room has too many changes waiting for their turn; the client retries after {@code retryAfter}. */
    public static ApiException roomBusy(Duration retryAfter) {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, "room-busy",
                "the room has too many changes waiting; retry later (with the same Idempotency-Key)", List.of(),
                retryAfter);
    }

    /** Not now, a passing state (an index still being built): the client retries after {@code retryAfter}. */
    public static ApiException unavailable(String type, String detail, Duration retryAfter) {
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, type, detail, List.of(), retryAfter);
    }

    public static ApiException tooLarge(String field, String detail) {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, "too-large", detail,
                List.of(new FieldError(field, detail)));
    }

    public static ApiException unsupportedMedia(String field, String detail) {
        return new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", detail,
                List.of(new FieldError(field, detail)));
    }
}
