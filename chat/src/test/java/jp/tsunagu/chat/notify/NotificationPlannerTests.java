package jp.tsunagu.chat.notify;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Acknowledgement;
import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.room.NotifyAudience;
import jp.tsunagu.chat.room.NotifyLevel;
import jp.tsunagu.chat.room.RoomKind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** Who hears of a message, and why: one notification per person, for the strongest reason. */
class NotificationPlannerTests {

    private static final Instant NOW = Instant.parse("2026-12-09T01:00:00Z");
    private final NotificationPlanner planner = new NotificationPlanner(8, Duration.ofHours(1));

    @Test
    void eachPersonIsNotifiedOnceForTheStrongestReasonAndTheAuthorNever() {
        Message m = message("cm", List.of("ns", "dr", "cm", "pt"), request(List.of("ns", "dr"), NOW.plus(Duration.ofDays(2))),
                List.of("dr"));
        NotifyAudience audience = new NotifyAudience(RoomKind.PATIENT, List.of(), Map.of("ph", NotifyLevel.ALL));

        List<Notification> planned = planner.forNewMessage(m, audience, NOW);

        assertThat(planned).filteredOn(n -> n.reason() != Notification.Reason.DUE)
                .extracting(Notification::userId, Notification::reason)
                .containsExactlyInAnyOrder(tuple("dr", Notification.Reason.URGENT), tuple("ns", Notification.Reason.REQUEST),
                        tuple("pt", Notification.Reason.MENTION), tuple("ph", Notification.Reason.MESSAGE));
        assertThat(planned).filteredOn(n -> n.reason() == Notification.Reason.DUE).extracting(Notification::userId)
                .containsExactlyInAnyOrder("ns", "dr");
        assertThat(planned).allSatisfy(n -> assertThat(n.state()).isEqualTo(Notification.State.QUEUED));
    }

    @Test
    void noneLeavesOnlyUrgentMessagesAskingForAcknowledgement() {
        Message m = message("cm", List.of("ns", "dr"), request(List.of("ns"), NOW.plus(Duration.ofDays(2))), List.of("dr"));
        NotifyAudience audience = new NotifyAudience(RoomKind.PATIENT, List.of(),
                Map.of("ns", NotifyLevel.NONE, "dr", NotifyLevel.NONE));

        assertThat(planner.forNewMessage(m, audience, NOW)).extracting(Notification::userId, Notification::reason)
                .containsExactly(tuple("dr", Notification.Reason.URGENT));
    }

    @Test
    void aDirectRoomsPeopleHearEveryMessageUnlessTheyChoseLess() {
        Message m = message("cm", List.of(), null, null);
        assertThat(planner.forNewMessage(m, new NotifyAudience(RoomKind.DIRECT, List.of("cm", "ns"), Map.of()), NOW))
                .extracting(Notification::userId).containsExactly("ns");
        assertThat(planner.forNewMessage(m, new NotifyAudience(RoomKind.DIRECT, List.of("cm", "ns"),
                Map.of("ns", NotifyLevel.MENTIONS)), NOW)).isEmpty();
        assertThat(planner.forNewMessage(m, NotifyAudience.defaults(RoomKind.PATIENT), NOW)).isEmpty();
    }

    @Test
    void aRequestDueSoonGetsNoReminderAndOneDueLaterIsRemindedAnHourBefore() {
        Instant soon = NOW.plus(Duration.ofMinutes(90));
        Instant later = NOW.plus(Duration.ofHours(5));
        assertThat(planner.forNewMessage(message("cm", List.of(), request(List.of("ns"), soon), null),
                NotifyAudience.defaults(RoomKind.PATIENT), NOW)).extracting(Notification::reason)
                .containsExactly(Notification.Reason.REQUEST);
        assertThat(planner.forNewMessage(message("cm", List.of(), request(List.of("ns"), later), null),
                NotifyAudience.defaults(RoomKind.PATIENT), NOW))
                .filteredOn(n -> n.reason() == Notification.Reason.DUE).singleElement()
                .satisfies(n -> assertThat(n.dueAt()).isEqualTo(later.minus(Duration.ofHours(1))));
    }

    @Test
    void idsFollowFromWhatTheNotificationIsAboutSoEnqueuingAgainFindsTheSame() {
        Message m = message("cm", List.of("ns"), null, null);
        NotifyAudience a = NotifyAudience.defaults(RoomKind.PATIENT);
        assertThat(planner.forNewMessage(m, a, NOW)).extracting(Notification::id)
                .isEqualTo(planner.forNewMessage(m, a, NOW.plusSeconds(5)).stream().map(Notification::id).toList());
        assertThat(planner.forAddedAcknowledger(m, "ns", NOW).id()).as("an escalation's has its own")
                .isNotEqualTo(planner.forNewMessage(m, a, NOW).get(0).id());
        assertThat(planner.forNewMessage(m, a, NOW).get(0).shard()).isEqualTo(Notification.shardOf("ns", 8));
    }

    @Test
    void aDeletedMessageOrSeededHistoryNotifiesNobody() {
        assertThat(planner.forNewMessage(message("cm", List.of("ns"), null, null), null, NOW)).isEmpty();
    }

    private static Message message(String author, List<String> mentioned, CareRequest request, List<String> acknowledgers) {
        Acknowledgement ack = acknowledgers == null ? null
                : new Acknowledgement(acknowledgers, List.of(), 0, NOW.plus(Duration.ofMinutes(15)), List.of());
        return new Message("0123456789abcdef01234567", "r1", 7, 7, Message.Change.CREATED,
                new Message.Author(author, author, Profession.NURSE, "f", "f"), "text", null, null, null,
                ack == null ? Priority.NORMAL : Priority.URGENT, new Message.Mentions(mentioned, List.of(), false), mentioned,
                List.of(), Map.of(), List.of(), NOW, null, null, "h", null, null, null, null, request, ack);
    }

    private static CareRequest request(List<String> assignees, Instant due) {
        return new CareRequest(CareRequest.Kind.REPORT, new CareRequest.Assignees(assignees, List.of(), List.of()),
                assignees, "x", "cm", due, CareRequest.State.OPEN, List.of());
    }
}
