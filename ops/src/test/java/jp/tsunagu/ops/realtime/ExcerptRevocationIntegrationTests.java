package jp.tsunagu.ops.realtime;

import java.net.URI;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import jp.tsunagu.connectors.record.RecordCategory;
import jp.tsunagu.ops.support.IntegrationTestSupport;
import jp.tsunagu.ops.support.TestRecordSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/** Revoking consent while members are subscribed: the event reaches them, and the data is gone on re-read. */
class ExcerptRevocationIntegrationTests extends IntegrationTestSupport {

    @Autowired
    private TestRecordSource records;

    private WebSocketClientConnection connection;

    @AfterEach
    void close() {
        if (connection != null) {
            connection.close();
        }
    }

    @Test
    void revocationIsPushedToSubscribedMembersAndTheReadShowsNothing() {
        Team t = team();
        Map<?, ?> detail = as(t.careManager()).get().uri("/api/v1/rooms/{r}", t.roomId()).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        String resident = (String) ((Map<?, ?>) ((Map<?, ?>) detail.get("room")).get("resident")).get("externalResidentId");
        records.hold(resident, List.of(TestRecordSource.item("Observation/hba1c", RecordCategory.LAB, "4548-4", "HbA1c",
                OffsetDateTime.now(ZoneOffset.ofHours(9)).minusDays(2), "7.0", "%")));
        Map<?, ?> request = as(t.nurse()).post().uri("/api/v1/rooms/{r}/consent/requests", t.roomId())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("categories", List.of("lab"), "purpose", "血糖管理のため")).exchange()
                .expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        String grant = (String) as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/requests/{q}/approve", t.roomId(),
                request.get("id")).exchange().expectStatus().isCreated().expectBody(Map.class).returnResult()
                .getResponseBody().get("grantId");
        String card = (String) as(t.nurse()).post().uri("/api/v1/rooms/{r}/excerpts", t.roomId())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("grantId", grant, "kind", "labs")).exchange()
                .expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody().get("id");
        as(t.doctor()).get().uri("/api/v1/rooms/{r}/messages/{m}/excerpt", t.roomId(), card).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.state").isEqualTo("shown")
                .jsonPath("$.sections[0].items[0].values[0].value").isEqualTo("7.0");

        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(token(t.doctor()));
        connection = new WebSocketClientConnection(URI.create("ws://localhost:" + port + "/api/v1/ws"), headers, true);
        connection.send("{\"type\":\"subscribe\",\"roomId\":\"" + t.roomId() + "\"}");
        connection.inbox().next("subscribed");

        as(t.resident()).post().uri("/api/v1/rooms/{r}/consent/grants/{g}/revoke", t.roomId(), grant).exchange()
                .expectStatus().isOk();

        EventInbox.Event event = connection.inbox().next("message.excerpt");
        assertThat(event.messageId()).isEqualTo(card);
        assertThat(event.json().path("message").path("excerpt").path("grantState").asString()).isEqualTo("revoked");
        assertThat(event.json().toString()).as("events never carry record data").doesNotContain("7.0");
        as(t.doctor()).get().uri("/api/v1/rooms/{r}/messages/{m}/excerpt", t.roomId(), card).exchange()
                .expectStatus().isOk().expectBody()
                .jsonPath("$.state").isEqualTo("revoked")
                .jsonPath("$.sections").doesNotExist();
    }
}
