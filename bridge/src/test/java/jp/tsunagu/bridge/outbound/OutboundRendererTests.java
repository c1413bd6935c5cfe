package jp.tsunagu.bridge.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.connectors.sns.OutboundMessage;
import jp.tsunagu.connectors.support.HtmlSanitizer;

class OutboundRendererTests {

    private static final Message.Author NURSE = new Message.Author("ns-1", "佐藤 美咲", Profession.NURSE, "f-aoba",
            "あおば訪問看護ステーション");
    private static final HtmlSanitizer SANITIZER = new HtmlSanitizer();

    @Test
    void aPostIsRecognisedOnlyByItsWholeText() {
        Message one = message("ローカル1", List.of());
        assertThat(OutboundRenderer.isPostOf(one, rendered(one, List.of()), SANITIZER)).isTrue();
        assertThat(OutboundRenderer.isPostOf(one, rendered(message("ローカル10", List.of()), List.of()), SANITIZER)).isFalse();
        assertThat(OutboundRenderer.isPostOf(one, rendered(message("ローカル1 追記", List.of()), List.of()), SANITIZER)).isFalse();
    }

    @Test
    void theNotesOfItsOwnAttachmentsAreTheOnlyTextAllowedAfterIt() {
        Message.AttachmentRef scan = new Message.AttachmentRef("a1", "scan.pdf", "application/pdf", 10, false);
        Message withScan = message("褥瘡の写真です", List.of(scan));
        assertThat(OutboundRenderer.isPostOf(withScan,
                rendered(withScan, List.of(OutboundRenderer.tooLargeNote("scan.pdf"))), SANITIZER)).isTrue();
        assertThat(OutboundRenderer.isPostOf(withScan,
                rendered(withScan, List.of(OutboundRenderer.notForwardedNote("other.pdf"))), SANITIZER)).isFalse();
        assertThat(OutboundRenderer.isPostOf(withScan, rendered(withScan,
                List.of(OutboundRenderer.tooLargeNote("scan.pdf"), OutboundRenderer.tooLargeNote("scan.pdf"))), SANITIZER))
                .as("one note per attachment").isFalse();
        Message without = message("褥瘡の写真です", List.of());
        assertThat(OutboundRenderer.isPostOf(without,
                rendered(withScan, List.of(OutboundRenderer.tooLargeNote("scan.pdf"))), SANITIZER)).isFalse();
    }

    private static String rendered(Message m, List<String> notes) {
        OutboundMessage out = OutboundRenderer.render(m, "mcs-main", null, List.of(), notes);
        return out.html() != null ? out.html() : out.text().replace("\n", "<br>");
    }

    private static Message message(String text, List<Message.AttachmentRef> refs) {
        return new Message("m1", "r1", 1, 1, Message.Change.CREATED, NURSE, text, null, null, null, Priority.NORMAL,
                Message.Mentions.NONE, List.of(), refs, Map.of(), List.of(), Instant.EPOCH, null, null, "h", null, null);
    }
}
