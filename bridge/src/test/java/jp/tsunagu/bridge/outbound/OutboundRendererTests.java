package jp.tsunagu.bridge.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.CareRequest;
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

    @Test
    void aRequestGoesOutAsALineOfTextThatItsMovesDoNotChange() {
        CareRequest asked = new CareRequest(CareRequest.Kind.REPORT, new CareRequest.Assignees(List.of("dr-1"), null, null),
                List.of("dr-1"), "田中 一郎", "ns-1", Instant.parse("2026-12-05T08:00:00Z"), CareRequest.State.OPEN, List.of());
        Message plain = message("血圧の推移を報告します", List.of());
        Message withRequest = withRequest(plain, asked);
        OutboundMessage out = OutboundRenderer.render(withRequest, "mcs-main", null, List.of(), List.of());
        assertThat(out.text()).isEqualTo("【佐藤 美咲／看護師／あおば訪問看護ステーション】\n血圧の推移を報告します\n"
                + "【依頼：報告依頼／期限 12月5日(土) 17:00／担当 田中 一郎】");
        assertThat(OutboundRenderer.isPostOf(withRequest, rendered(withRequest, List.of()), SANITIZER)).isTrue();
        assertThat(OutboundRenderer.isPostOf(plain, rendered(withRequest, List.of()), SANITIZER)).isFalse();

        Message accepted = withRequest(plain, asked.moved(CareRequest.State.ACCEPTED, "dr-1", Instant.EPOCH, null));
        assertThat(OutboundRenderer.isPostOf(accepted, rendered(withRequest, List.of()), SANITIZER))
                .as("still the same post once accepted").isTrue();
        assertThat(OutboundRenderer.contentHash(accepted)).as("no edit for a move").isEqualTo(OutboundRenderer.contentHash(withRequest));
        assertThat(OutboundRenderer.contentHash(withRequest)).as("adding a request is an edit there")
                .isNotEqualTo(OutboundRenderer.contentHash(plain));
    }

    private static Message withRequest(Message m, CareRequest r) {
        return new Message(m.id(), m.roomId(), m.seq(), m.changeSeq(), m.lastChange(), m.author(), m.text(), m.html(),
                m.parentId(), m.threadRootId(), m.priority(), m.mentions(), m.mentionedUserIds(), m.attachments(),
                m.stamps(), m.edits(), m.createdAt(), m.editedAt(), m.deleted(), m.requestHash(), m.origin(),
                m.delivery(), m.externalStamps(), m.excerpt(), r);
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
