package jp.tsunagu.ops;

import java.util.Map;

import org.junit.jupiter.api.Test;

import jp.tsunagu.ops.support.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

class TsunaguApplicationIntegrationTests extends IntegrationTestSupport {

    @Test
    void healthIsUpOnceMongoAnswers() {
        http.get().uri("/actuator/health").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UP");
    }

    @Test
    void openApiDocumentDescribesTheApi() {
        http.get().uri("/v3/api-docs").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.paths['/api/v1/rooms/{roomId}/messages']").exists()
                .jsonPath("$.components.securitySchemes.bearer.scheme").isEqualTo("bearer")
                .jsonPath("$.paths['/api/v1/rooms'].get.parameters[?(@.name=='user')]").isEmpty();
    }

    @Test
    void prometheusExposesRealtimeMetrics() {
        String body = http.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(body).contains("tsunagu_realtime_connections", "tsunagu_realtime_events_total");
    }

    @Test
    void aMemberPostsAndReadsBack() {
        Team t = team();
        Map<?, ?> posted = post(t.nurse(), t.roomId(), "本日訪問しました。BP 132/78");
        assertThat(posted.get("id")).isNotNull();
        as(t.careManager()).get().uri("/api/v1/rooms/{r}/messages", t.roomId()).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.items[0].text").isEqualTo("本日訪問しました。BP 132/78");
    }
}
