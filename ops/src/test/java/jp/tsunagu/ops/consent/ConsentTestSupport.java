package jp.tsunagu.ops.consent;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.ops.support.IntegrationTestSupport;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/** The consent steps the consent tests share: ask, approve, post a card, read it. */
abstract class ConsentTestSupport extends IntegrationTestSupport {

    protected String residentId(Team t) {
        Map<?, ?> detail = as(t.careManager()).get().uri("/api/v1/rooms/{r}", t.roomId()).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
        return (String) ((Map<?, ?>) ((Map<?, ?>) detail.get("room")).get("resident")).get("externalResidentId");
    }

    protected Map<?, ?> ask(CareUser who, String roomId, Map<String, Object> scope) {
        return as(who).post().uri("/api/v1/rooms/{r}/consent/requests", roomId).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(scope).exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
    }

    protected String approve(CareUser who, String roomId, String requestId) {
        Map<?, ?> grant = as(who).post().uri("/api/v1/rooms/{r}/consent/requests/{q}/approve", roomId, requestId)
                .exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        assertThat(grant.get("state")).isEqualTo("active");
        return (String) grant.get("grantId");
    }

    protected String grant(Team t, Map<String, Object> audience, List<String> categories) {
        Map<?, ?> request = ask(t.nurse(), t.roomId(), Map.of("categories", categories, "audience", audience,
                "purpose", "血糖と血圧の管理のため", "validDays", 30));
        return approve(t.resident(), t.roomId(), (String) request.get("id"));
    }

    protected String card(CareUser who, String roomId, String grantId, String kind, Integer days) {
        Map<String, Object> body = new HashMap<>(Map.of("grantId", grantId, "kind", kind));
        if (days != null) {
            body.put("days", days);
        }
        Map<?, ?> m = as(who).post().uri("/api/v1/rooms/{r}/excerpts", roomId).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        assertThat(((Map<?, ?>) m.get("excerpt")).get("grantId")).isEqualTo(grantId);
        assertThat((String) m.get("text")).as("the message itself carries no data").doesNotContain("7.1", "132");
        return (String) m.get("id");
    }

    protected Map<?, ?> read(CareUser who, String roomId, String messageId) {
        return as(who).get().uri("/api/v1/rooms/{r}/messages/{m}/excerpt", roomId, messageId).exchange()
                .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    }

    protected static List<?> items(Map<?, ?> view, int section) {
        return (List<?>) ((Map<?, ?>) ((List<?>) view.get("sections")).get(section)).get("items");
    }

    protected static List<Object> field(List<?> maps, String... path) {
        return maps.stream().map(m -> {
            Object v = m;
            for (String p : path) {
                v = ((Map<?, ?>) v).get(p);
            }
            return v;
        }).toList();
    }
}
