package jp.tsunagu.chat.config;

import java.time.Clock;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

import jp.tsunagu.chat.identity.CachingJwtDecoder;

/** Wraps whichever JWT decoder is configured (OIDC issuer, demo or test) in {@link CachingJwtDecoder}. */
public final class JwtDecoderCaching implements BeanPostProcessor {

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof ReactiveJwtDecoder decoder && !(bean instanceof CachingJwtDecoder)) {
            return new CachingJwtDecoder(decoder, Clock.systemUTC());
        }
        return bean;
    }
}
