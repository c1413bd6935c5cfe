package jp.tsunagu.chat.config;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springframework.core.MethodParameter;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.PathContainer;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.JsonSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.AnyInput;
import jp.tsunagu.chat.support.ErrorAnswer;
import jp.tsunagu.chat.support.ProblemWebExceptionHandler;

/**
 * The error answers of the OpenAPI document, as {@link ProblemWebExceptionHandler} writes them: every 4xx and 5xx
 * is {@code application/problem+json} with the {@code Problem} schema (the handler's {@code body}).
 *
 * <p>What every operation can answer follows from the server's own rules, so it is added here rather than on each
 * method: 401 where the security configuration wants a bearer token (public paths get {@code security: []}), 403
 * where the handler takes the signed-in {@link CareUser} (the token lacks the user or profession claim, and the
 * handlers' own refusals), 400 where there are parameters or a parsed body (unless {@link AnyInput}), 404 under a
 * room (not a member and unknown are never told apart), 413 for a body (the codec's size limit), 415 for a parsed one
 * (a content type no reader takes), 500 for anything unexpected. Answers particular to one operation (409, 422,
 * 429 ...) are declared with {@link ErrorAnswer} on the method. Every 4xx and 5xx, however declared, gets the
 * problem+json content here.
 */
final class ProblemResponses implements OpenApiCustomizer, OperationCustomizer {

    static final String PROBLEM_SCHEMA = "Problem";
    static final String FIELD_ERROR_SCHEMA = "ProblemFieldError";
    private static final String SCHEMA_REF = "#/components/schemas/";
    private static final String RESPONSE_REF = "#/components/responses/";

    /** The generic answers, each a component named after its status ({@code NotFound}). */
    private static final Map<HttpStatus, String> GENERIC = new LinkedHashMap<>();

    static {
        GENERIC.put(HttpStatus.BAD_REQUEST, "Invalid input: a parameter, id or body field (named in `errors`).");
        GENERIC.put(HttpStatus.UNAUTHORIZED, "No valid bearer token: missing, expired or not signed by the issuer.");
        GENERIC.put(HttpStatus.FORBIDDEN, "Not allowed: the token names no user or profession, or the user may not do this.");
        GENERIC.put(HttpStatus.NOT_FOUND, "The room, or what is named under it, is unknown or not yours (never told apart).");
        GENERIC.put(HttpStatus.CONTENT_TOO_LARGE, "The request body is larger than allowed.");
        GENERIC.put(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "The request body's content type is not one this operation reads.");
        GENERIC.put(HttpStatus.INTERNAL_SERVER_ERROR, "Unexpected error; `detail` carries a reference to the server's log.");
    }

    private final List<PathPattern> publicPaths;

    /** @param publicPaths the patterns the security configuration permits without a token */
    ProblemResponses(List<String> publicPaths) {
        this.publicPaths = publicPaths.stream().map(PathPatternParser.defaultInstance::parse).toList();
    }

    /** Per method: what the handler method shows (who the caller is, how its inputs are read). */
    @Override
    public Operation customize(Operation operation, HandlerMethod handlerMethod) {
        for (ErrorAnswer answer : handlerMethod.getMethod().getAnnotationsByType(ErrorAnswer.class)) {
            if (operation.getResponses() == null) {
                operation.setResponses(new ApiResponses());
            }
            // Content and headers are set with every other error answer's, in customise.
            operation.getResponses().addApiResponse(Integer.toString(answer.status()),
                    new ApiResponse().description(answer.description()));
        }
        List<MethodParameter> parameters = List.of(handlerMethod.getMethodParameters());
        if (parameters.stream().anyMatch(p -> p.getParameterType() == CareUser.class)) {
            addRef(operation, HttpStatus.FORBIDDEN);
        }
        boolean body = operation.getRequestBody() != null;
        // A body read as raw bytes takes any content type and cannot be malformed.
        boolean parsedBody = body && parameters.stream().noneMatch(p -> p.hasParameterAnnotation(RequestBody.class)
                && p.getParameterType() == byte[].class);
        boolean params = operation.getParameters() != null && !operation.getParameters().isEmpty();
        if ((params || parsedBody) && !handlerMethod.hasMethodAnnotation(AnyInput.class)) {
            addRef(operation, HttpStatus.BAD_REQUEST);
        }
        if (body) {
            addRef(operation, HttpStatus.CONTENT_TOO_LARGE);
        }
        if (parsedBody) {
            addRef(operation, HttpStatus.UNSUPPORTED_MEDIA_TYPE);
        }
        return operation;
    }

    /** The whole document: the schema, the path-derived answers, and problem+json content on every error answer. */
    @Override
    public void customise(OpenAPI openApi) {
        if (openApi.getComponents() == null) {
            openApi.setComponents(new Components());
        }
        Components components = openApi.getComponents();
        components.addSchemas(FIELD_ERROR_SCHEMA, fieldErrorSchema());
        components.addSchemas(PROBLEM_SCHEMA, problemSchema());
        if (openApi.getPaths() == null) {
            return;
        }
        openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> {
            boolean open = isPublic(path);
            if (open) {
                // No token is looked at here (the document's default asks for one).
                operation.setSecurity(List.of());
            } else {
                addRef(operation, HttpStatus.UNAUTHORIZED);
            }
            if (path.contains("{roomId}")) {
                addRef(operation, HttpStatus.NOT_FOUND);
            }
            addRef(operation, HttpStatus.INTERNAL_SERVER_ERROR);
            operation.getResponses().forEach((code, response) -> {
                if (isError(code) && response.get$ref() == null) {
                    problem(response, HttpStatus.valueOf(Integer.parseInt(code)));
                }
            });
        }));
        // Only the generic answers some operation refers to: an unused component is noise.
        Set<String> used = new TreeSet<>();
        openApi.getPaths().values().forEach(item -> item.readOperations().forEach(op -> op.getResponses().values()
                .forEach(r -> {
                    if (r.get$ref() != null && r.get$ref().startsWith(RESPONSE_REF)) {
                        used.add(r.get$ref().substring(RESPONSE_REF.length()));
                    }
                })));
        GENERIC.forEach((status, description) -> {
            if (used.contains(componentName(status))) {
                components.addResponses(componentName(status), problem(new ApiResponse().description(description), status));
            }
        });
    }

    private boolean isPublic(String path) {
        PathContainer container = PathContainer.parsePath(path);
        return publicPaths.stream().anyMatch(p -> p.matches(container));
    }

    private static void addRef(Operation operation, HttpStatus status) {
        if (operation.getResponses() == null) {
            operation.setResponses(new ApiResponses());
        }
        String code = Integer.toString(status.value());
        if (!operation.getResponses().containsKey(code)) {
            operation.getResponses().addApiResponse(code, new ApiResponse().$ref(RESPONSE_REF + componentName(status)));
        }
    }

    /** Sets what the handler writes for {@code status}: problem+json, and the headers it adds. */
    private static ApiResponse problem(ApiResponse response, HttpStatus status) {
        if (response.getDescription() == null || response.getDescription().isBlank()) {
            response.setDescription(status.getReasonPhrase());
        }
        response.setContent(new Content().addMediaType(MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                new io.swagger.v3.oas.models.media.MediaType().schema(new JsonSchema().$ref(SCHEMA_REF + PROBLEM_SCHEMA))));
        if (status == HttpStatus.UNAUTHORIZED) {
            response.addHeaderObject("WWW-Authenticate", new Header().required(true)
                    .description("`Bearer`: the scheme the API wants.").schema(type("string")));
        }
        if (status == HttpStatus.TOO_MANY_REQUESTS || status == HttpStatus.SERVICE_UNAVAILABLE) {
            response.addHeaderObject("Retry-After", new Header().required(status == HttpStatus.TOO_MANY_REQUESTS)
                    .description("Seconds to wait before trying again.")
                    .schema(type("integer").minimum(BigDecimal.ONE)));
        }
        return response;
    }

    /** The body {@code ProblemWebExceptionHandler.body} writes (RFC 9457 with the field errors). */
    private static Schema<?> problemSchema() {
        Map<String, Schema> properties = new LinkedHashMap<>();
        properties.put("type", type("string").description("`/problems/<slug>`, e.g. `/problems/invalid-request`, "
                + "`/problems/not-found`, `/problems/room-busy`."));
        properties.put("title", type("string").description("The status's reason phrase."));
        properties.put("status", type("integer").minimum(BigDecimal.valueOf(400))
                .maximum(BigDecimal.valueOf(599)).description("The HTTP status, repeated."));
        properties.put("detail", type("string").description("What went wrong, for a person."));
        properties.put("instance", type("string").description("The request's path."));
        properties.put("errors", type("array").items(new JsonSchema().$ref(SCHEMA_REF + FIELD_ERROR_SCHEMA))
                .description("The fields at fault (present when there are some)."));
        Schema<?> schema = type("object").description("An RFC 9457 problem: every 4xx and 5xx answer of the API.");
        schema.setProperties(properties);
        schema.setRequired(new ArrayList<>(List.of("type", "title", "status", "detail", "instance")));
        return schema;
    }

    private static Schema<?> fieldErrorSchema() {
        Map<String, Schema> properties = new LinkedHashMap<>();
        properties.put("field", type("string").description("A JSON path-ish name: `text`, `mentions.users[0]`, `body`."));
        properties.put("message", type("string"));
        Schema<?> schema = type("object").description("One invalid input of a problem.");
        schema.setProperties(properties);
        schema.setRequired(new ArrayList<>(List.of("field", "message")));
        return schema;
    }

    /** A 3.1 schema of one JSON type (the document is OpenAPI 3.1, where {@code type} is a set). */
    private static Schema<Object> type(String type) {
        JsonSchema schema = new JsonSchema();
        schema.setTypes(new LinkedHashSet<>(Set.of(type)));
        return schema;
    }

    private static boolean isError(String code) {
        return code.length() == 3 && (code.charAt(0) == '4' || code.charAt(0) == '5') && Character.isDigit(code.charAt(1))
                && Character.isDigit(code.charAt(2));
    }

    /** {@code NOT_FOUND} → {@code NotFound}. */
    static String componentName(HttpStatus status) {
        StringBuilder name = new StringBuilder();
        for (String word : status.name().split("_")) {
            name.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
        return name.toString();
    }
}
