package jp.tsunagu.ops.config;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.micrometer.metrics.autoconfigure.MeterRegistryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import jp.tsunagu.chat.support.NodeIdentity;

/** Every metric carries the node it came from ({@code node} tag), so one Prometheus tells the nodes apart. */
@Configuration(proxyBeanMethods = false)
public class NodeMetricsConfiguration {

    @Bean
    MeterRegistryCustomizer<MeterRegistry> nodeTag(NodeIdentity node) {
        return registry -> registry.config().commonTags("node", node.id());
    }
}
