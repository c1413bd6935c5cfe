package jp.tsunagu.chat.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a handler method no input of which can be malformed (its body is read as raw bytes, its path variable is only a
 * key to look up): the OpenAPI document then gives it no generic 400 ({@code ProblemResponses}).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface AnyInput {
}
