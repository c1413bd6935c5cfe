package jp.tsunagu.chat.search;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.realtime.RoomEvent;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The index thread takes a message from the event this node made, or from an event's JSON read from the log (other
 * nodes'): both must give the same document, or a search would find a message on one node and not on another.
 */
class SearchDocumentsTests {

    private static final JsonMapper JSON = JsonMapper.builder().findAndAddModules().build();
    private static final Instant T0 = Instant.parse("2026-11-20T01:00:00.123456789Z");

    static Stream<Message> messages() {
        Message.Author nurse = new Message.Author("ns-sato", "佐藤", Profession.NURSE, "fac-1", "あおば訪問看護");
        Message.Author family = new Message.Author("fam-1", "家族", null, null, null);
        return Stream.of(
                message(nurse, "訪問しました。血圧 140/85", Priority.NORMAL, List.of(), null, null, null),
                message(family, "ありがとうございます", Priority.URGENT, List.of(), null, null, null),
                message(nurse, "写真と報告書", Priority.NORMAL, List.of(
                        new Message.AttachmentRef("a1", "wound.jpg", "image/jpeg", 10, true),
                        new Message.AttachmentRef("a2", "report.pdf", "application/pdf", 20, false),
                        new Message.AttachmentRef("a3", "x", null, 1, false)), null, null, null),
                message(nurse, "報告をお願いします", Priority.NORMAL, List.of(), new CareRequest(CareRequest.Kind.REPORT,
                        new CareRequest.Assignees(List.of("dr-1"), List.of(), List.of()), List.of("dr-1"), "x", "ns-sato",
                        T0, CareRequest.State.OPEN, List.of()), null, null),
                message(nurse, "検査結果を共有します", Priority.NORMAL, List.of(), null, new Message.Excerpt("res-1",
                        "grant-1", "labs", List.of("labs"), 30, List.of(), "active"), null),
                message(nurse, "", Priority.NORMAL, List.of(), null, null, new Message.Deletion("ns-sato", T0)));
    }

    @ParameterizedTest
    @MethodSource("messages")
    void theViewThisNodeMadeAndItsJsonGiveTheSameDocument(Message m) {
        MessageView view = MessageView.of(m);
        String json = JSON.writeValueAsString(RoomEvent.message("message.created", view));

        SearchDocument fromJson = SearchDocuments.of(JSON.readTree(json).path("message"));
        SearchDocument fromView = SearchDocuments.of(view);

        assertThat(fromView).isEqualTo(fromJson);
        assertThat(fromView == null).isEqualTo(m.deleted() != null);
    }

    private static Message message(Message.Author author, String text, Priority priority,
                                   List<Message.AttachmentRef> attachments, CareRequest request, Message.Excerpt excerpt,
                                   Message.Deletion deleted) {
        return new Message("0000000000000000000000a1", "room-1", 7, 9, Message.Change.CREATED, author, text, null, null,
                null, priority, Message.Mentions.NONE, List.of(), attachments, Map.of(), List.of(), T0, null, deleted,
                "h", null, null, null, excerpt, request, null, null);
    }
}
