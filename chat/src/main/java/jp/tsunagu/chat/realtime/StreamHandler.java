package jp.tsunagu.chat.realtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import jp.tsunagu.chat.api.MemberView;
import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.api.ReadView;
import jp.tsunagu.chat.api.RoomView;
import jp.tsunagu.chat.handler.RoomAccess;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.ReadStore;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Mono;

/**
 * Attaches a connection to a room: replays what the client missed since {@code after}, then live events,
 * with no gap and no duplicate.
 *
 * <p>Both steps run on the room's turn, so no change of the room can fall between the replay query and the
 * subscription. Replay sends the current state of each changed item in sequence order. A client too far
 * behind ({@link #REPLAY_LIMIT}) gets a {@code resync} frame instead and reloads over REST.
 */
public final class StreamHandler {

    /**
     * Most changes replayed per kind on reconnect. A phone back from an hour without signal in a busy room
     * misses a few hundred; beyond this a REST reload is cheaper than a stream replay.
     */
    public static final int REPLAY_LIMIT = 1_000;

    private final RoomAccess access;
    private final RoomStore rooms;
    private final MembershipStore memberships;
    private final MessageStore messages;
    private final ReadStore reads;
    private final RoomLinearizer linearizer;
    private final RoomEventHub hub;

    public StreamHandler(RoomAccess access, RoomStore rooms, MembershipStore memberships, MessageStore messages,
                         ReadStore reads, RoomLinearizer linearizer, RoomEventHub hub) {
        this.access = access;
        this.rooms = rooms;
        this.memberships = memberships;
        this.messages = messages;
        this.reads = reads;
        this.linearizer = linearizer;
        this.hub = hub;
    }

    /**
     * Replays and subscribes. Emits true once attached (after a {@code subscribed} frame carrying the room's
     * latest sequence number), false when the client must resync instead; fails with 404 if the user is not a
     * member.
     *
     * @param after the last sequence number the client has seen; null for live events only
     */
    public Mono<Boolean> attach(CareUser user, String roomId, Long after, StreamConnection connection) {
        Ids.require("roomId", roomId);
        if (after != null && after < 0) {
            throw ApiException.invalid("after", "must not be negative");
        }
        return linearizer.run(roomId, () -> access.require(user, roomId).flatMap(member -> {
            long head = member.room().seq();
            if (after == null || after >= head) {
                subscribe(roomId, head, connection);
                return Mono.just(true);
            }
            return replay(roomId, after).map(events -> {
                connection.offerReplay(events.stream()
                        .map(e -> new StreamConnection.Frame(roomId, e.seq(), hub.serialise(e)))
                        .toList());
                subscribe(roomId, head, connection);
                return true;
            }).switchIfEmpty(Mono.fromSupplier(() -> {
                connection.offer(StreamConnection.Frame.control(
                        "{\"type\":\"resync\",\"reason\":\"too_far_behind\",\"roomId\":\"" + roomId + "\"}"));
                return false;
            }));
        }));
    }

    private void subscribe(String roomId, long head, StreamConnection connection) {
        connection.offer(StreamConnection.Frame.control(
                "{\"type\":\"subscribed\",\"roomId\":\"" + roomId + "\",\"seq\":" + head + "}"));
        hub.subscribe(roomId, connection);
    }

    /**
     * Changes after {@code after} in sequence order, or empty when there are more than the replay limit. (Not
     * null: a mapper returning null fails the stream, which answered a client too far behind with a 500, or on
     * the WebSocket closed its connection, instead of the resync frame.)
     */
    private Mono<List<RoomEvent>> replay(String roomId, long after) {
        return Mono.zip(
                messages.changedSince(roomId, after, REPLAY_LIMIT + 1).collectList(),
                memberships.changedSince(roomId, after, REPLAY_LIMIT + 1).collectList(),
                reads.changedSince(roomId, after, REPLAY_LIMIT + 1).collectList(),
                rooms.changedSince(roomId, after).map(RoomView::of).map(r -> List.of(r)).defaultIfEmpty(List.of()))
                .mapNotNull(t -> {
                    if (t.getT1().size() > REPLAY_LIMIT || t.getT2().size() > REPLAY_LIMIT || t.getT3().size() > REPLAY_LIMIT) {
                        return null;
                    }
                    List<RoomEvent> events = new ArrayList<>();
                    t.getT1().forEach(m -> events.add(RoomEvent.message(messageType(m.lastChange()), MessageView.of(m))));
                    t.getT2().forEach(m -> events.add(RoomEvent.member(m.active() ? "member.joined" : "member.removed",
                            MemberView.of(m))));
                    t.getT3().forEach(r -> events.add(RoomEvent.read(ReadView.of(r))));
                    t.getT4().forEach(r -> events.add(RoomEvent.room("room.archived", r)));
                    events.sort(Comparator.comparingLong(RoomEvent::seq));
                    return events;
                });
    }

    static String messageType(Message.Change change) {
        return switch (change == null ? Message.Change.CREATED : change) {
            case CREATED -> "message.created";
            case EDITED -> "message.edited";
            case DELETED -> "message.deleted";
            case STAMPED -> "message.stamped";
            case DELIVERY -> "message.delivery";
            case EXCERPT -> "message.excerpt";
        };
    }

    public void unsubscribe(String roomId, StreamConnection connection) {
        hub.unsubscribe(roomId, connection);
    }

    /** Call once when a connection opens; {@link #detach} counts it closed. */
    public void opened() {
        hub.connectionOpened();
    }

    public void detach(StreamConnection connection) {
        hub.connectionClosed();
        hub.disconnect(connection);
    }
}
