package jp.tsunagu.chat.message;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A request (依頼) a message carries: what kind, who is asked, by when, and where it stands. It lives inside the
 * message document, so a change of state (and the 承知/完了 stamp that makes it) is one atomic write and one room
 * change, replayed with the message.
 *
 * @param assignees who the requester named: people, professions or facilities of the room
 * @param assigneeIds the members those names reached when the request was made; they may move it on
 * @param assigneeLabel the names as people read them (佐藤 美咲、看護師), fixed when the request was made
 * @param requesterId the message's author, who may cancel it
 * @param history every state the request has been in, oldest first, with who moved it and when
 */
public record CareRequest(Kind kind, Assignees assignees, List<String> assigneeIds, String assigneeLabel,
                          String requesterId, Instant dueAt, State state, List<Transition> history) {

    public CareRequest {
        assigneeIds = assigneeIds == null ? List.of() : List.copyOf(assigneeIds);
        history = history == null ? List.of() : List.copyOf(history);
    }

    /** The kinds care teams ask each other for most; {@link #OTHER} for the rest. */
    public enum Kind {
        VISIT_ARRANGEMENT("訪問調整"), PRESCRIPTION_CHANGE("処方変更"), REPORT("報告依頼"), OTHER("その他");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static java.util.Optional<Kind> parse(String value) {
            return java.util.Arrays.stream(values())
                    .filter(k -> k.code().equalsIgnoreCase(value) || k.label.equals(value)).findFirst();
        }
    }

    /** open → accepted → done, or declined (by an assignee) or cancelled (by the requester). */
    public enum State {
        OPEN, ACCEPTED, DONE, DECLINED, CANCELLED;

        /** Still waiting for someone to act: it can be overdue and it stays in inboxes. */
        public boolean isActive() {
            return this == OPEN || this == ACCEPTED;
        }

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public record Assignees(List<String> users, List<String> professions, List<String> facilities) {

        public Assignees {
            users = users == null ? List.of() : List.copyOf(users);
            professions = professions == null ? List.of() : List.copyOf(professions);
            facilities = facilities == null ? List.of() : List.copyOf(facilities);
        }
    }

    /** @param note the completion note or the reason for declining; null otherwise */
    public record Transition(State state, String by, Instant at, String note) {
    }

    private static final java.time.format.DateTimeFormatter DUE = java.time.format.DateTimeFormatter
            .ofPattern("M月d日(E) H:mm", java.util.Locale.JAPANESE).withZone(java.time.ZoneId.of("Asia/Tokyo"));

    /**
     * The request in one line, as a message text that cannot carry it otherwise shows it (an external SNS):
     * {@code 【依頼：報告依頼／期限 12月5日(土) 17:00／担当 佐藤 美咲】}. Only what does not change after it is made, so
     * the line the bridge posted still matches the message later.
     */
    public String line() {
        return "【依頼：" + kind.label() + "／期限 " + DUE.format(dueAt) + "／担当 " + assigneeLabel + "】";
    }

    /** Past its due time and nobody has finished, declined or cancelled it. */
    public boolean isOverdue(Instant now) {
        return state.isActive() && now.isAfter(dueAt);
    }

    public boolean isAssignee(String userId) {
        return assigneeIds.contains(userId);
    }

    /**
     * The state an assignee's stamp moves the request to, or null when it stays a stamp: 承知 accepts an open
     * request, 完了 finishes an active one. Anyone else's stamp is only a stamp.
     */
    public State movedBy(Stamp stamp, String userId) {
        if (!isAssignee(userId)) {
            return null;
        }
        if (stamp == Stamp.ACCEPTED && state == State.OPEN) {
            return State.ACCEPTED;
        }
        if (stamp == Stamp.COMPLETED && state.isActive()) {
            return State.DONE;
        }
        return null;
    }

    /** The request moved to {@code next} by {@code by} at {@code at}. */
    public CareRequest moved(State next, String by, Instant at, String note) {
        List<Transition> h = new ArrayList<>(history);
        h.add(new Transition(next, by, at, note));
        return new CareRequest(kind, assignees, assigneeIds, assigneeLabel, requesterId, dueAt, next, h);
    }
}
