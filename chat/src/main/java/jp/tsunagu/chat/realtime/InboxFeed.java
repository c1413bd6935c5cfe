package jp.tsunagu.chat.realtime;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.room.MembershipStore;

/**
 * The user-level subscription of "my actions": a WebSocket that sent {@code {"type":"subscribe_inbox"}} gets an
 * {@code {"type":"inbox.changed","roomId","reason"}} frame whenever a change in one of their rooms may change
 * their inbox (a mention of them, their facility or the room; a request they are asked or made; an urgent
 * message they must acknowledge; their own read position), and reloads {@code GET /api/v1/inbox}.
 *
 * <p>Best-effort, like presence in Mattermost: the frame is a hint offered to the connection's bounded queue and
 * carries no data, so a dropped one costs only freshness, and a reconnecting client reloads the inbox anyway. The
 * hub hands every event of this node (with several nodes, every node's) to {@link #accept}; an event is parsed only
 * while someone is subscribed.
 */
public final class InboxFeed {

    private static final Logger log = LoggerFactory.getLogger(InboxFeed.class);

    private record Subscriber(CareUser user, StreamConnection connection) {
    }

    private final Map<String, Set<Subscriber>> byUser = new ConcurrentHashMap<>();
    private final JsonMapper json;
    private final MembershipStore memberships;

    public InboxFeed(JsonMapper json, MembershipStore memberships) {
        this.json = json;
        this.memberships = memberships;
    }

    public void subscribe(CareUser user, StreamConnection connection) {
        byUser.computeIfAbsent(user.id(), u -> ConcurrentHashMap.newKeySet()).add(new Subscriber(user, connection));
        connection.offer(StreamConnection.Frame.control("{\"type\":\"inbox.subscribed\"}"));
    }

    public void unsubscribe(StreamConnection connection) {
        byUser.computeIfPresent(connection.userId(), (u, subs) -> {
            subs.removeIf(s -> s.connection() == connection);
            return subs.isEmpty() ? null : subs;
        });
    }

    /** A hub listener: returns at once and never throws. */
    public void accept(LoggedEvent event) {
        if (byUser.isEmpty() || event.json() == null) {
            return;
        }
        try {
            JsonNode e = json.readTree(event.json());
            JsonNode m = e.path("message");
            if (e.path("type").asString("").equals("read")) {
                tell(e.path("read").path("userId").asString(""), event);
                return;
            }
            if (m.isMissingNode()) {
                return;
            }
            m.path("mentions").path("users").forEach(u -> tell(u.asString(), event));
            m.path("request").path("assigneeIds").forEach(u -> tell(u.asString(), event));
            tell(m.path("request").path("requesterId").asString(""), event);
            m.path("acknowledgement").path("required").forEach(u -> tell(u.asString(), event));
            JsonNode facilities = m.path("mentions").path("facilities");
            if (!facilities.isEmpty()) {
                byUser.values().forEach(subs -> subs.forEach(s -> facilities.forEach(f -> {
                    if (f.asString().equals(s.user().facilityId())) {
                        offer(s, event);
                    }
                })));
            }
            if (m.path("mentions").path("room").asBoolean(false)) {
                // The whole room: only the subscribers who are its members (looked up off the hub's thread).
                memberships.activeMembers(event.roomId()).subscribe(member -> tell(member.userId(), event),
                        error -> log.debug("inbox feed: members of {} not read", event.roomId(), error));
            }
        } catch (RuntimeException e) {
            log.debug("inbox feed: event {}:{} not read", event.roomId(), event.seq(), e);
        }
    }

    private void tell(String userId, LoggedEvent event) {
        Set<Subscriber> subs = byUser.get(userId);
        if (subs != null) {
            subs.forEach(s -> offer(s, event));
        }
    }

    private void offer(Subscriber s, LoggedEvent event) {
        s.connection().offer(StreamConnection.Frame.control(json.createObjectNode().put("type", "inbox.changed")
                .put("roomId", event.roomId()).put("reason", event.type()).toString()));
    }
}
