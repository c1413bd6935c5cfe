package jp.tsunagu.ops.demo;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneId;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.core.env.Environment;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.ResourcePatternResolver;

import jp.tsunagu.connectors.record.fhir.simulator.FhirSimulator;

/**
 * The demo's regional FHIR server: a {@link FhirSimulator} on its own port holding the demo residents' health
 * records ({@code classpath:demo/fhir/*.json}, written by ops/bin/fhir-demo-data), their dates moved so that the
 * newest data is from today (Japan time), and one client for the server's health-record source
 * ({@code tsunagu.record.fhir.*} in application-demo.yml points there).
 */
@Configuration(proxyBeanMethods = false)
@Profile("demo")
@ConditionalOnProperty(name = "tsunagu.demo.fhir.enabled", havingValue = "true")
public class DemoRecordConfiguration {

    static final String CLIENT_ID = "tsunagu-demo";
    static final String BUNDLES = "classpath:demo/fhir/*.json";

    private static final Logger log = LoggerFactory.getLogger(DemoRecordConfiguration.class);

    @Bean(destroyMethod = "close")
    FhirSimulator demoFhirSimulator(Environment env, ResourcePatternResolver resources, Clock clock) throws IOException {
        LocalDate today = LocalDate.now(clock.withZone(ZoneId.of("Asia/Tokyo")));
        FhirSimulator fhir = new FhirSimulator().start(env.getProperty("tsunagu.demo.fhir.port", Integer.class, 8090));
        try {
            fhir.addClient(CLIENT_ID, env.getProperty("tsunagu.demo.fhir.client-secret", "demo-secret"));
            for (Resource bundle : resources.getResources(BUNDLES)) {
                try (InputStream in = bundle.getInputStream()) {
                    int count = fhir.loadBundleAsOf(in, today);
                    log.info("demo FHIR server: {} resources from {}", count, bundle.getFilename());
                }
            }
        } catch (IOException | RuntimeException e) {
            fhir.close(); // the port is free again for a fixed start
            throw e;
        }
        log.info("demo FHIR server at {} (token endpoint {})", fhir.fhirBaseUrl(), fhir.tokenUrl());
        return fhir;
    }
}
