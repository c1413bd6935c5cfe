package jp.tsunagu.chat.api;

import java.time.LocalDate;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PastOrPresent;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/** Request bodies of the REST API. Enumerations travel as lowercase codes and are parsed by the handlers. */
public final class Requests {

    /**
     * Longest message text. A thorough care summary runs to a few thousand characters; 10,000 leaves room
     * while staying below Mattermost's 16,383 and keeping events small.
     */
    public static final int MAX_TEXT = 10_000;
    /** Rich text carries markup around the same text, so it may be larger. */
    public static final int MAX_HTML = 30_000;
    /** A post carries a few photos of a wound or a document, not an album. */
    public static final int MAX_ATTACHMENTS = 10;
    /** Bounds the fan-out work one post can ask for. */
    public static final int MAX_MENTIONS = 50;
    /** A patient room holds the team around one person; 200 covers large group rooms too. */
    public static final int MAX_MEMBERS = 200;

    private Requests() {
    }

    /** {@code kind}: patient, group or direct. Patient rooms need {@code resident}; direct rooms one member. */
    public record CreateRoom(@NotBlank String kind, @Size(max = 100) String name, @Valid ResidentInput resident,
                             @Size(max = MAX_MEMBERS) List<@Valid MemberInput> members) {
    }

    public record ResidentInput(@NotBlank @Size(max = 100) String name, @Size(max = 100) String kana,
                                @PastOrPresent LocalDate birthDate, @Size(max = 64) String externalResidentId) {
    }

    /** {@code role}: owner, member, resident or family; defaults follow the person's profession. */
    public record MemberInput(@NotBlank @Size(max = 128) String userId, String role) {
    }

    /**
     * {@code text} is required unless {@code html} or attachments carry the content. {@code priority}:
     * normal (default) or urgent. {@code parentId} makes the message a reply in that message's thread. An urgent
     * message must be acknowledged by {@code acknowledgers} (people, professions, facilities of the room); without
     * them, by those it mentions, else by the room's doctors and nurses. {@code request} makes it a request (依頼).
     */
    public record PostMessage(@Size(max = MAX_TEXT) String text, @Size(max = MAX_HTML) String html, String parentId,
                              String priority, @Valid MentionsInput mentions,
                              @Size(max = MAX_ATTACHMENTS) List<String> attachmentIds, @Valid RequestInput request,
                              @Valid AssigneesInput acknowledgers) {

        /** A post that carries no request and names no acknowledgers. */
        public PostMessage(String text, String html, String parentId, String priority, MentionsInput mentions,
                           List<String> attachmentIds) {
            this(text, html, parentId, priority, mentions, attachmentIds, null, null);
        }
    }

    /**
     * A request (依頼) made with a post or added to one's message. {@code kind}: visit_arrangement (訪問調整),
     * prescription_change (処方変更), report (報告依頼) or other (その他). {@code dueAt}: an ISO-8601 date-time; without
     * an offset it is Japan time ({@code 2026-12-05T17:00} is 17:00 JST). A request without a due time is a
     * mention, so it is required.
     */
    public record RequestInput(String kind, @Valid AssigneesInput assignees, String dueAt) {
    }

    /** Members by id, or every member of a profession ({@code nurse}, 看護師) or facility of the room. */
    public record AssigneesInput(@Size(max = MAX_MENTIONS) List<String> users,
                                 @Size(max = MAX_MENTIONS) List<String> professions,
                                 @Size(max = MAX_MENTIONS) List<String> facilities) {
    }

    /**
     * Moves a request: {@code accept} (承知) or {@code complete} (完了, optional {@code note}) or {@code decline}
     * ({@code note} is the reason, required) by an assignee; {@code cancel} by the requester.
     */
    public record RequestAction(String action, @Size(max = MAX_NOTE) String note) {
    }

    /** A completion note or a reason for declining says what happened, not the whole report. */
    public static final int MAX_NOTE = 1_000;

    public record MentionsInput(@Size(max = MAX_MENTIONS) List<String> users,
                                @Size(max = MAX_MENTIONS) List<String> facilities, Boolean room) {
    }

    public record EditMessage(@Size(max = MAX_TEXT) String text, @Size(max = MAX_HTML) String html) {
    }

    /** The room's on-call contact; null clears it. */
    public record OnCall(String userId) {
    }

    public record MarkRead(@NotNull @PositiveOrZero Long upToSeq) {
    }
}
