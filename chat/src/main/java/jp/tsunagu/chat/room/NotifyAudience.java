package jp.tsunagu.chat.room;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;


/**
 * Who in a room chose which level, as the room document holds it ({@code notify}: user id → level, only the
 * levels people chose), with what the default needs: the room's kind and, for a direct room, its two people.
 * Read with the room's sequence number on every post at no extra cost, so deciding who hears of a message needs
 * no read of its own.
 */
public record NotifyAudience(RoomKind kind, List<String> directMembers, Map<String, NotifyLevel> chosen) {

    /** An audience where nobody chose anything (a room without the field, a test). */
    public static NotifyAudience defaults(RoomKind kind) {
        return new NotifyAudience(kind, List.of(), Map.of());
    }

    public NotifyAudience {
        directMembers = directMembers == null ? List.of() : List.copyOf(directMembers);
        chosen = chosen == null ? Map.of() : Map.copyOf(chosen);
    }

    public NotifyLevel level(String userId) {
        NotifyLevel level = chosen.get(userId);
        return level != null ? level : NotifyLevel.defaultFor(kind);
    }

    /** Everyone known to want every message: a direct room's two people unless they chose less, and whoever chose all. */
    public Set<String> everyMessage() {
        Set<String> out = new LinkedHashSet<>();
        directMembers.stream().filter(u -> level(u) == NotifyLevel.ALL).forEach(out::add);
        chosen.forEach((u, level) -> {
            if (level == NotifyLevel.ALL) {
                out.add(u);
            }
        });
        return out;
    }
}
