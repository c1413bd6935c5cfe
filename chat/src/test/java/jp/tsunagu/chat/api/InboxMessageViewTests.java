package jp.tsunagu.chat.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.Priority;

import static org.assertj.core.api.Assertions.assertThat;

/** An inbox line's message: the start of the text, cut on a character, never inside a surrogate pair. */
class InboxMessageViewTests {

    @Test
    void aLongTextIsCutAfterTheLimitInCharactersNotCodeUnits() {
        // 𠮷 (U+20BB7) is two UTF-16 code units: a cut by code units could split it.
        String text = "𠮷".repeat(InboxMessageView.TEXT_LIMIT + 5);

        InboxMessageView view = InboxMessageView.of(message(text));

        assertThat(view.text()).isEqualTo("𠮷".repeat(InboxMessageView.TEXT_LIMIT) + "…");
    }

    @Test
    void aShortTextIsKeptWhole() {
        assertThat(InboxMessageView.of(message("訪問後に報告をお願いします")).text()).isEqualTo("訪問後に報告をお願いします");
        assertThat(InboxMessageView.of(message("あ".repeat(InboxMessageView.TEXT_LIMIT))).text())
                .hasSize(InboxMessageView.TEXT_LIMIT);
    }

    private static Message message(String text) {
        return new Message("0123456789abcdef01234567", "room-1", 3, 3, Message.Change.CREATED,
                new Message.Author("ns-sato", "佐藤 美咲", Profession.NURSE, "f", "訪問看護ステーション"), text, null, null, null,
                Priority.NORMAL, Message.Mentions.NONE, List.of(), List.of(), Map.of(), List.of(), Instant.EPOCH, null,
                null, null, null, null, null, null, null, null);
    }
}
