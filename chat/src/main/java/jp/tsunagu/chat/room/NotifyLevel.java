package jp.tsunagu.chat.room;

import java.util.Locale;
import java.util.Optional;


/**
 * What a person is notified of in one room. Urgent messages that ask them to acknowledge reach them at every
 * level: the author named them, and the escalation that follows an unanswered one is worse than a buzz.
 */
public enum NotifyLevel {
    /** Every message of others. */
    ALL,
    /** Mentions of them (by name, facility or the whole room), requests asked of them, urgent messages. */
    MENTIONS,
    /** Only urgent messages that ask them to acknowledge. */
    NONE;

    /**
     * The level of a room nobody chose one for: everything in a direct room (a message there is addressed to
     * you); in patient and team rooms only what concerns you, the default, since a care manager with
     * 30-40 residents' rooms cannot take a buzz per note.
     */
    public static NotifyLevel defaultFor(RoomKind kind) {
        return kind == RoomKind.DIRECT ? ALL : MENTIONS;
    }

    /** {@code all}, {@code mentions} or {@code none}, any case. */
    public static Optional<NotifyLevel> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        for (NotifyLevel level : values()) {
            if (level.name().equalsIgnoreCase(value.strip())) {
                return Optional.of(level);
            }
        }
        return Optional.empty();
    }

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
