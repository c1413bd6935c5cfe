package jp.tsunagu.chat.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An error answer particular to one operation, for the OpenAPI document: {@code ProblemResponses} adds it with the
 * problem+json content {@link ProblemWebExceptionHandler} writes. (Swagger's own {@code @ApiResponse} would do, but
 * springdoc then leaves out the operation's success answer.)
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Repeatable(ErrorAnswer.List.class)
public @interface ErrorAnswer {

    /** The HTTP status, 4xx or 5xx. */
    int status();

    /** When it is answered (the problem's {@code type} slug in backquotes, where there is one). */
    String description();

    /** The container of repeated {@link ErrorAnswer}s. */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @interface List {
        ErrorAnswer[] value();
    }
}
