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
import jp.tsunagu.chat.room.CareRoom;
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
 * <p>Replay sends the current state of each changed item in sequence order. A client too far
 * behind ({@link #REPLAY_LIMIT}) gets a {@code resync} frame instead and reloads over REST.
 */
public final class StreamHandler {

    /**
     * The highest sequence number of a room up to which every change is stored, read on the room's turn: the
     * room's counter on one node; on several, the last number in the room event log, since a number taken on
     * another node may still be on its way to storage.
     */
    @FunctionalInterface
    public interface StoredHead {
        /** One node: every change up to the room's counter is stored once the room's turn is ours. */
        StoredHead ONE_NODE = room -> Mono.just(room.seq());

        Mono<Long> of(CareRoom room);
    }

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
    private final StoredHead storedHead;

    public StreamHandler(RoomAccess access, RoomStore rooms, MembershipStore memberships, MessageStore messages,
                         ReadStore reads, RoomLinearizer linearizer, RoomEventHub hub, StoredHead storedHead) {
        this.storedHead = storedHead;
        this.access = access;
        this.rooms = rooms;
        this.memberships = memberships;
        this.messages = messages;
        this.reads = reads;
        this.linearizer = linearizer;
        this.hub = hub;
    }

    /**
     * Replays and subscribes. Emits true once attached (after the replay and a {@code subscribed} frame carrying
     * the sequence number the replay reached), false when the client must resync instead; fails with 404 if the
     * user is not a member.
     *
     * <p>The hub keeps the room's live events for the connection from the moment it joins; the replay stops at
     * the number the hub had delivered then, so every change is sent once, by replay or live. Running on the
     * room's turn keeps this node's own changes out of the way; another node's changes reach the hub only once
     * every earlier number of the room is in the log ({@link StoredHead}).
     *
     * @param after the last sequence number the client has seen; null for live events only
     */
    public Mono<Boolean> attach(CareUser user, String roomId, Long after, StreamConnection connection) {
        Ids.require("roomId", roomId);
        if (after != null && after < 0) {
            throw ApiException.invalid("after", "must not be negative");
        }
        return linearizer.run(roomId, () -> access.require(user, roomId)
                .flatMap(member -> storedHead.of(member.room()))
                .flatMap(known -> hub.join(roomId, connection, known))
                .flatMap(bound -> {
                    if (after == null || after >= bound) {
                        long seen = after == null ? bound : after;
                        return hub.joined(roomId, connection, List.of(subscribed(roomId, seen)), seen).thenReturn(true);
                    }
                    return replay(roomId, after, bound).flatMap(events -> {
                        List<StreamConnection.Frame> first = new ArrayList<>(events.size() + 1);
                        events.forEach(e -> first.add(new StreamConnection.Frame(roomId, e.seq(), hub.serialise(e))));
                        first.add(subscribed(roomId, bound));
                        return hub.joined(roomId, connection, first, bound).thenReturn(true);
                    }).switchIfEmpty(Mono.fromSupplier(() -> {
                        hub.leave(roomId, connection);
                        connection.offer(StreamConnection.Frame.control(
                                "{\"type\":\"resync\",\"reason\":\"too_far_behind\",\"roomId\":\"" + roomId + "\"}"));
                        return false;
                    }));
                }));
    }

    private static StreamConnection.Frame subscribed(String roomId, long bound) {
        return StreamConnection.Frame.control("{\"type\":\"subscribed\",\"roomId\":\"" + roomId + "\",\"seq\":" + bound + "}");
    }

    /**
     * Changes in ({@code after}, {@code bound}] in sequence order, or empty when there are more than the replay
     * limit. An item changed again after {@code bound} is left out: its later event comes live, with its state.
     * (Not null: a mapper returning null fails the stream, which answered a client too far behind with a 500,
     * or on the WebSocket closed its connection, instead of the resync frame.)
     */
    private Mono<List<RoomEvent>> replay(String roomId, long after, long bound) {
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
                    t.getT4().forEach(r -> events.add(RoomEvent.room(r.archived() ? "room.archived" : "room.updated", r)));
                    events.removeIf(e -> e.seq() > bound);
                    events.sort(Comparator.comparingLong(RoomEvent::seq));
                    return events;
                });
    }

    /** The event type of a message's latest change. */
    public static String messageType(Message.Change change) {
        return switch (change == null ? Message.Change.CREATED : change) {
            case CREATED -> "message.created";
            case EDITED -> "message.edited";
            case DELETED -> "message.deleted";
            case STAMPED -> "message.stamped";
            case DELIVERY -> "message.delivery";
            case EXCERPT -> "message.excerpt";
            case REQUEST -> "request.changed";
            case ACKNOWLEDGED -> "message.acknowledged";
            case ESCALATED -> "message.escalated";
            case PINNED -> "message.pinned";
        };
    }

    public void unsubscribe(String roomId, StreamConnection connection) {
        hub.leave(roomId, connection);
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
