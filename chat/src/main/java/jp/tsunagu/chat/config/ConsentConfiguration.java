package jp.tsunagu.chat.config;

import java.time.Clock;

import jp.tsunagu.chat.api.ConsentController;
import jp.tsunagu.chat.api.ExcerptController;
import jp.tsunagu.chat.audit.AccessLog;
import jp.tsunagu.chat.consent.BreakGlassHandler;
import jp.tsunagu.chat.consent.ConsentHandler;
import jp.tsunagu.chat.consent.ConsentRequestStore;
import jp.tsunagu.chat.consent.ExcerptAnnouncer;
import jp.tsunagu.chat.consent.ExcerptHandler;
import jp.tsunagu.chat.consent.GrantExpiry;
import jp.tsunagu.chat.consent.GrantStore;
import jp.tsunagu.chat.consent.MongoConsentRequestStore;
import jp.tsunagu.chat.consent.MongoGrantStore;
import jp.tsunagu.chat.consent.MongoProxyStore;
import jp.tsunagu.chat.consent.ProxyStore;
import jp.tsunagu.chat.consent.RecordReader;
import jp.tsunagu.chat.handler.MessageHandler;
import jp.tsunagu.chat.handler.RoomAccess;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.realtime.RoomEventPublisher;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.RoomLinearizer;
import jp.tsunagu.connectors.record.HealthRecordSource;
import jp.tsunagu.connectors.record.fhir.FhirHealthRecordSource;
import jp.tsunagu.connectors.record.fhir.FhirSourceProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import tools.jackson.databind.json.JsonMapper;

/** The consent scope service, excerpt cards, break-glass and the access log. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ConsentProperties.class)
public class ConsentConfiguration {

    @Bean
    GrantStore grantStore(ReactiveMongoTemplate mongo) {
        return new MongoGrantStore(mongo);
    }

    @Bean
    ConsentRequestStore consentRequestStore(ReactiveMongoTemplate mongo) {
        return new MongoConsentRequestStore(mongo);
    }

    @Bean
    ProxyStore proxyStore(ReactiveMongoTemplate mongo) {
        return new MongoProxyStore(mongo);
    }

    @Bean
    AccessLog accessLog(ReactiveMongoTemplate mongo) {
        // Its own linearizer: the chain's turn never waits behind a busy room's.
        return new AccessLog(mongo, new RoomLinearizer());
    }

    @Bean
    ExcerptAnnouncer excerptAnnouncer(MessageStore messages, RoomStore rooms, RoomLinearizer linearizer, RoomEventPublisher hub,
                                      Clock clock) {
        return new ExcerptAnnouncer(messages, rooms, linearizer, hub, clock);
    }

    @Bean
    ConsentHandler consentHandler(GrantStore grants, ConsentRequestStore requests, ProxyStore proxies,
                                  MembershipStore memberships, RoomAccess access, ExcerptAnnouncer announcer, Clock clock) {
        return new ConsentHandler(grants, requests, proxies, memberships, access, announcer, clock);
    }

    /** {@code tsunagu.consent.decisions{decision}}: requests approved, declined, withdrawn and grants revoked, per node. */
    @Bean
    io.micrometer.core.instrument.binder.MeterBinder consentDecisionMetrics(ConsentHandler consent) {
        return registry -> ConsentHandler.DECISIONS.forEach(kind -> io.micrometer.core.instrument.FunctionCounter
                .builder("tsunagu.consent.decisions", consent, c -> c.decisions(kind))
                .tag("decision", kind)
                .description("consent decisions taken on this node").register(registry));
    }

    /**
     * The regional FHIR R4 server, when {@code tsunagu.record.fhir.base-url} is set. Bound straight into the
     * connector's own properties record, which applies the defaults and rejects an incomplete setting at startup.
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "tsunagu.record.fhir.base-url")
    FhirHealthRecordSource fhirHealthRecordSource(Environment env) {
        return FhirHealthRecordSource.create(Binder.get(env).bindOrCreate("tsunagu.record.fhir", FhirSourceProperties.class));
    }

    /** Without a configured source every section reads "source unavailable"; consent still works. */
    @Bean
    RecordReader recordReader(ObjectProvider<HealthRecordSource> source) {
        return new RecordReader(source.getIfAvailable());
    }

    @Bean
    ExcerptHandler excerptHandler(ConsentHandler consent, MessageHandler messageHandler, MessageStore messages,
                                  RecordReader reader, AccessLog accessLog, Clock clock) {
        return new ExcerptHandler(consent, messageHandler, messages, reader, accessLog, clock);
    }

    @Bean
    BreakGlassHandler breakGlassHandler(ReactiveMongoTemplate mongo, RoomStore rooms, MessageHandler messageHandler,
                                        RecordReader reader, AccessLog accessLog, ConsentProperties properties, Clock clock) {
        return new BreakGlassHandler(mongo, rooms, messageHandler, reader, accessLog, properties.breakGlassWindow(), clock);
    }

    @Bean(destroyMethod = "close")
    GrantExpiry grantExpiry(GrantStore grants, ExcerptAnnouncer announcer, ConsentProperties properties, Clock clock) {
        return new GrantExpiry(grants, announcer, clock, properties.expirySweep());
    }

    @Bean
    ConsentController consentController(ConsentHandler consent) {
        return new ConsentController(consent);
    }

    @Bean
    ExcerptController excerptController(ExcerptHandler excerpts, BreakGlassHandler breakGlass, AccessLog accessLog,
                                        JsonMapper json) {
        return new ExcerptController(excerpts, breakGlass, accessLog, json);
    }
}
