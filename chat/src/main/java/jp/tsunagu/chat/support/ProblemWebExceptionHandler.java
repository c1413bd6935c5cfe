package jp.tsunagu.chat.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.web.bind.support.WebExchangeBindException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.WebExceptionHandler;

import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Renders every failure on the HTTP path as RFC 9457 {@code application/problem+json}.
 *
 * <p>Registered ahead of Spring Boot's error handler so that unknown routes, framework input errors and
 * controller exceptions all share one format. Client mistakes name the field they concern; anything
 * unexpected is logged with a correlation id and answered 500 without internals.
 */
public final class ProblemWebExceptionHandler implements WebExceptionHandler, Ordered {

    private static final Logger log = LoggerFactory.getLogger(ProblemWebExceptionHandler.class);

    private final JsonMapper json;

    public ProblemWebExceptionHandler(JsonMapper json) {
        this.json = json;
    }

    /** Ahead of Spring Boot's error handler, which answers at order -1. */
    @Override
    public int getOrder() {
        return -2;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        if (exchange.getResponse().isCommitted()) {
            return Mono.error(ex);
        }
        Problem problem = toProblem(ex, exchange);
        byte[] bytes = json.writeValueAsBytes(body(problem, exchange.getRequest().getPath().value()));
        var response = exchange.getResponse();
        response.setStatusCode(problem.status());
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        response.getHeaders().setContentLength(bytes.length);
        if (ex instanceof ApiException api && api.retryAfter() != null) {
            response.getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds(api.retryAfter())));
        }
        if (problem.status() == HttpStatus.UNAUTHORIZED && !response.getHeaders().containsHeader(HttpHeaders.WWW_AUTHENTICATE)) {
            response.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        DataBuffer buffer = response.bufferFactory().wrap(bytes);
        return response.writeWith(Mono.just(buffer));
    }

    record Problem(HttpStatus status, String type, String detail, List<ApiException.FieldError> errors) {
    }

    /** The RFC 9457 body of an API error, as the REST answers carry it (the WebSocket's error frames too). */
    public static Map<String, Object> body(ApiException e, String instance) {
        return body(new Problem(e.status(), e.type(), e.getMessage(), e.errors()), instance);
    }

    private static Map<String, Object> body(Problem problem, String instance) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "/problems/" + problem.type());
        body.put("title", title(problem.status()));
        body.put("status", problem.status().value());
        body.put("detail", problem.detail());
        body.put("instance", instance);
        if (!problem.errors().isEmpty()) {
            body.put("errors", problem.errors());
        }
        return body;
    }

    static String title(HttpStatus status) {
        return status.getReasonPhrase();
    }

    private Problem toProblem(Throwable ex, ServerWebExchange exchange) {
        if (ex instanceof ApiException api) {
            return new Problem(api.status(), api.type(), api.getMessage(), api.errors());
        }
        if (ex instanceof WebExchangeBindException bind) {
            List<ApiException.FieldError> errors = bind.getFieldErrors().stream()
                    .map(f -> new ApiException.FieldError(f.getField(), f.getDefaultMessage()))
                    .collect(Collectors.toCollection(ArrayList::new));
            bind.getGlobalErrors().forEach(g -> errors.add(new ApiException.FieldError(g.getObjectName(), g.getDefaultMessage())));
            String detail = errors.stream().map(e -> e.field() + ": " + e.message()).collect(Collectors.joining("; "));
            return new Problem(HttpStatus.BAD_REQUEST, "invalid-request", detail, errors);
        }
        DataBufferLimitException limit = findCause(ex, DataBufferLimitException.class);
        if (limit != null) {
            return new Problem(HttpStatus.CONTENT_TOO_LARGE, "too-large", "request body is larger than allowed",
                    List.of(new ApiException.FieldError("body", limit.getMessage())));
        }
        if (ex instanceof ServerWebInputException input) {
            return inputProblem(input);
        }
        // Multipart bodies are read lazily, inside the handler (an upload streams its file part to disk), so a
        // malformed one (no boundary, cut off mid-part) arrives as a bare DecodingException rather than wrapped in
        // a ServerWebInputException. It is still the client's body that is broken: 400, not 500. Only for
        // multipart requests, so that a decoding failure in the server's own outgoing calls stays a 500.
        if (findCause(ex, DecodingException.class) != null && isMultipart(exchange)) {
            return new Problem(HttpStatus.BAD_REQUEST, "invalid-request", "multipart body could not be read",
                    List.of(new ApiException.FieldError("body", "could not be read")));
        }
        if (ex instanceof AuthenticationException) {
            return new Problem(HttpStatus.UNAUTHORIZED, "unauthorized", "a valid bearer token is required", List.of());
        }
        if (ex instanceof AccessDeniedException) {
            return new Problem(HttpStatus.FORBIDDEN, "forbidden", "not allowed", List.of());
        }
        if (ex instanceof ResponseStatusException rse) {
            HttpStatus status = HttpStatus.resolve(rse.getStatusCode().value());
            if (status == null) {
                status = HttpStatus.BAD_REQUEST;
            }
            return new Problem(status, slug(rse.getStatusCode()), rse.getReason() == null ? status.getReasonPhrase() : rse.getReason(), List.of());
        }
        String id = Long.toHexString(System.nanoTime());
        log.error("unexpected error {} on {} {}", id, exchange.getRequest().getMethod(), exchange.getRequest().getPath(), ex);
        return new Problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "unexpected error, reference " + id, List.of());
    }

    /** A retry delay in whole seconds, rounded up and at least one, as {@code Retry-After} wants it. */
    public static long retryAfterSeconds(java.time.Duration delay) {
        return Math.max(1, (delay.toMillis() + 999) / 1000);
    }

    /** Where in the body Jackson failed, as the problem's field names it: {@code mentions.users[2]}; empty: the root. */
    public static String fieldPath(JacksonException e) {
        return e.getPath().stream()
                .map(ref -> ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static Problem inputProblem(ServerWebInputException input) {
        JacksonException jackson = findCause(input, JacksonException.class);
        if (jackson != null) {
            String field = fieldPath(jackson);
            String message = jackson.getOriginalMessage();
            // A syntax error (truncated body, stray comma) is the body's fault, not the field the parser was in:
            // '{"text": "abc' must not read as "text has the wrong type". A number out of range for its field
            // (InputCoercionException) is a parse error too, but one that does belong to that field.
            boolean syntax = jackson instanceof StreamReadException && !(jackson instanceof InputCoercionException);
            if (field.isEmpty() || syntax) {
                return new Problem(HttpStatus.BAD_REQUEST, "invalid-json", "request body is not valid JSON: " + message,
                        List.of(new ApiException.FieldError("body", "not valid JSON")));
            }
            return new Problem(HttpStatus.BAD_REQUEST, "invalid-request", field + ": " + message,
                    List.of(new ApiException.FieldError(field, "has the wrong type or format")));
        }
        if (findCause(input, DecodingException.class) != null) {
            return new Problem(HttpStatus.BAD_REQUEST, "invalid-json", "request body could not be read",
                    List.of(new ApiException.FieldError("body", "could not be read")));
        }
        String field = input.getMethodParameter() != null && input.getMethodParameter().getParameterName() != null
                ? input.getMethodParameter().getParameterName() : "request";
        String reason = input.getReason() == null ? "invalid input" : input.getReason();
        return new Problem(HttpStatus.BAD_REQUEST, "invalid-request", field + ": " + reason,
                List.of(new ApiException.FieldError(field, reason)));
    }

    private static boolean isMultipart(ServerWebExchange exchange) {
        try {
            MediaType type = exchange.getRequest().getHeaders().getContentType();
            return type != null && "multipart".equalsIgnoreCase(type.getType());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String slug(HttpStatusCode status) {
        HttpStatus s = HttpStatus.resolve(status.value());
        return s == null ? "error" : s.name().toLowerCase().replace('_', '-');
    }

    private static <T extends Throwable> T findCause(Throwable ex, Class<T> type) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
