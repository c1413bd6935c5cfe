package jp.tsunagu.ops.cluster;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import jp.tsunagu.chat.support.NodeIdentity;
import jp.tsunagu.ops.support.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** The metrics a multi-node deployment is watched with say which node they come from. */
class NodeMetricsIntegrationTests extends IntegrationTestSupport {

    @Autowired
    private NodeIdentity node;

    @Test
    void everySeriesNamesItsNode() {
        String admin = issuer.mint("ops-admin", Map.of("profession", "care_manager", "scope", "system_admin"), Duration.ofMinutes(5));
        String scrape = http.get().uri("/actuator/prometheus").header("Authorization", "Bearer " + admin).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(scrape).containsPattern("tsunagu_realtime_connections\\{[^}]*node=\"" + node.id() + "\"");
        assertThat(scrape).containsPattern("tsunagu_realtime_events_total\\{[^}]*node=\"" + node.id() + "\"");
    }
}
