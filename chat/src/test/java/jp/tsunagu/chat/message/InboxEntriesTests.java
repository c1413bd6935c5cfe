package jp.tsunagu.chat.message;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.InboxEntries.Section;

import static org.assertj.core.api.Assertions.assertThat;

/** Which entries a message's state files and which it settles for good. */
class InboxEntriesTests {

    private static final Instant NOW = Instant.parse("2026-12-04T01:00:00Z");

    @Test
    void anOpenRequestIsInItsAssigneesAskedAndItsRequestersMade() {
        Message m = with(request(CareRequest.State.OPEN), null, List.of());

        assertThat(InboxEntries.of(m, NOW)).extracting(f -> f.userId() + ":" + f.section())
                .containsExactlyInAnyOrder("ns-sato:ASKED", "ns-kato:ASKED", "cm-suzuki:MADE");
        assertThat(InboxEntries.settled(m)).isEmpty();
    }

    @Test
    void aDeclinedRequestIsInItsRequestersDeclinedAndSettlesTheRest() {
        Message m = with(request(CareRequest.State.OPEN).moved(CareRequest.State.DECLINED, "ns-sato", NOW, "枠なし"),
                null, List.of());

        assertThat(InboxEntries.of(m, NOW)).extracting(f -> f.userId() + ":" + f.section())
                .containsExactly("cm-suzuki:DECLINED");
        assertThat(InboxEntries.of(m, NOW).get(0).entry().at()).isEqualTo(NOW);
        assertThat(InboxEntries.settled(m)).extracting(f -> f.userId() + ":" + f.section())
                .containsExactlyInAnyOrder("ns-sato:ASKED", "ns-kato:ASKED", "cm-suzuki:MADE");
    }

    @Test
    void anUrgentMessageIsInTheAcknowledgeOfThoseWhoHaveNotAndMentionsSkipTheAuthor() {
        Acknowledgement ack = new Acknowledgement(List.of("dr-tanaka", "ns-sato"),
                List.of(new Acknowledgement.Ack("ns-sato", NOW, "viewed")), 0, NOW, List.of());
        Message m = with(null, ack, List.of("dr-tanaka", "cm-suzuki"));

        assertThat(InboxEntries.of(m, NOW)).extracting(f -> f.userId() + ":" + f.section())
                .containsExactlyInAnyOrder("dr-tanaka:ACKNOWLEDGE", "dr-tanaka:MENTIONS");
        assertThat(InboxEntries.settled(m)).extracting(f -> f.userId() + ":" + f.section())
                .containsExactly("ns-sato:ACKNOWLEDGE");
    }

    @Test
    void aDeletedMessageFilesNothingAndSettlesEverySectionOfEveryoneItConcerned() {
        Message m = with(request(CareRequest.State.OPEN), null, List.of("dr-tanaka"));
        Message deleted = new Message(m.id(), m.roomId(), m.seq(), m.seq() + 1, Message.Change.DELETED, m.author(), "",
                null, null, null, Priority.NORMAL, m.mentions(), m.mentionedUserIds(), List.of(), Map.of(), List.of(),
                m.createdAt(), null, new Message.Deletion("cm-suzuki", NOW), null, null, null, null, null, m.request(), null);

        assertThat(InboxEntries.of(deleted, NOW)).isEmpty();
        assertThat(InboxEntries.settled(deleted)).hasSize(4 * Section.values().length).allMatch(InboxEntries.Filing::removes);
    }

    private static CareRequest request(CareRequest.State state) {
        return new CareRequest(CareRequest.Kind.VISIT_ARRANGEMENT, new CareRequest.Assignees(null, List.of("nurse"), null),
                List.of("ns-sato", "ns-kato"), "看護師", "cm-suzuki", NOW.plus(Duration.ofDays(1)), state,
                List.of(new CareRequest.Transition(CareRequest.State.OPEN, "cm-suzuki", NOW.minusSeconds(60), null)));
    }

    private static Message with(CareRequest request, Acknowledgement ack, List<String> mentioned) {
        return new Message("0123456789abcdef01234567", "room-1", 7, 7, Message.Change.CREATED,
                new Message.Author("cm-suzuki", "鈴木", Profession.CARE_MANAGER, "f", "f"), "訪問の調整をお願いします", null,
                null, null, ack == null ? Priority.NORMAL : Priority.URGENT,
                new Message.Mentions(mentioned, List.of(), false), mentioned, List.of(), Map.of(), List.of(),
                NOW.minusSeconds(60), null, null, null, null, null, null, null, request, ack);
    }
}
