package jp.tsunagu.ops.demo;

import java.time.Clock;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.core.env.Environment;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import jp.tsunagu.chat.consent.ConsentHandler;
import jp.tsunagu.chat.consent.ExcerptHandler;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import tools.jackson.databind.json.JsonMapper;

/** Demo users always (so demo sign-in works); the week of conversation when {@code tsunagu.demo.data.enabled}. */
@Configuration(proxyBeanMethods = false)
@Profile("demo")
public class DemoDataConfiguration {

    @Bean
    DemoDataLoader demoDataLoader(ReactiveMongoTemplate mongo, MessageStore messages, MembershipStore memberships,
                                  HtmlSanitizer sanitizer, Clock clock,
                                  JsonMapper json, Environment environment, ConsentHandler consent,
                                  ExcerptHandler excerpts) {
        return new DemoDataLoader(mongo, messages, memberships, sanitizer, clock, json,
                environment.getProperty("tsunagu.demo.data.enabled", Boolean.class, true), consent, excerpts);
    }
}
