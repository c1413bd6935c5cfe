package jp.tsunagu.chat.handler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.api.Requests;
import jp.tsunagu.chat.api.Views;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.Stamp;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.realtime.RoomEventPublisher;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Cursor;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Mono;

/**
 * Requests (依頼): adding one to one's message, moving it, and listing them across one's rooms. A request made
 * with a post is created by {@link MessageHandler#post}; an assignee's 承知/完了 stamp moves it there too.
 *
 * <p>Each move runs on the room's turn and is one conditional write of the message (the request's state must
 * still be the one the move was checked against), so it is a room change with its own sequence number
 * ({@code request.changed}) and a move racing another on a second node is refused, never lost. Errors: 404 room
 * or message not visible; 400 malformed input or an unknown action (naming the field); 403 a move the caller may
 * not make (only assignees accept, complete or decline; only the requester cancels; only the author adds a
 * request); 409 a move the request's state does not allow, a message that already carries a request, a deleted
 * message or an archived room; 422 an assignee who is not a member.
 */
public final class RequestHandler {

    private final RoomStore rooms;
    private final MembershipStore memberships;
    private final MessageStore messages;
    private final RoomAccess access;
    private final RoomLinearizer linearizer;
    private final RoomEventPublisher events;
    private final RequestAssignees assignees;
    private final Clock clock;
    private final int roomQueueLimit;
    private final Duration roomBusyRetryAfter;

    public RequestHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, RoomAccess access,
                          RoomLinearizer linearizer, RoomEventPublisher events, Clock clock, int roomQueueLimit,
                          Duration roomBusyRetryAfter) {
        this.rooms = rooms;
        this.memberships = memberships;
        this.messages = messages;
        this.access = access;
        this.linearizer = linearizer;
        this.events = events;
        this.assignees = new RequestAssignees(memberships);
        this.clock = clock;
        this.roomQueueLimit = roomQueueLimit;
        this.roomBusyRetryAfter = roomBusyRetryAfter;
    }

    /** Adds a request to the caller's own message, which carries none yet. */
    public Mono<MessageView> add(CareUser user, String roomId, String messageId, Requests.RequestInput input) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        if (input == null) {
            throw ApiException.invalid("request", "is required");
        }
        Instant now = clock.instant();
        RequestAssignees.Draft draft = RequestAssignees.draft(input, now);
        return turn(roomId, () -> access.requireWritable(user, roomId)
                .then(messages.inRoom(roomId, messageId))
                .flatMap(m -> {
                    if (!m.author().userId().equals(user.id())) {
                        throw ApiException.forbidden("only the author may add a request to a message");
                    }
                    live(m);
                    if (m.request() != null) {
                        throw ApiException.conflict("request-exists", "the message already carries a request");
                    }
                    return assignees.resolve(roomId, user.id(), draft, now)
                            .flatMap(request -> write(m, request, null, user.id()));
                }));
    }

    /** The moves of a request, by the action names of the API. */
    enum Action {
        ACCEPT(CareRequest.State.ACCEPTED, Stamp.ACCEPTED),
        COMPLETE(CareRequest.State.DONE, Stamp.COMPLETED),
        DECLINE(CareRequest.State.DECLINED, null),
        CANCEL(CareRequest.State.CANCELLED, null);

        final CareRequest.State target;
        /** An assignee's accept and complete are their 承知 and 完了: one act, shown the same both ways. */
        final Stamp stamp;

        Action(CareRequest.State target, Stamp stamp) {
            this.target = target;
            this.stamp = stamp;
        }

        static Action parse(String value) {
            if (value != null) {
                for (Action a : values()) {
                    if (a.name().equalsIgnoreCase(value.strip())) {
                        return a;
                    }
                }
            }
            throw ApiException.invalid("action", "must be one of accept, complete, decline, cancel");
        }

        boolean allowedFrom(CareRequest.State state) {
            return this == ACCEPT ? state == CareRequest.State.OPEN : state.isActive();
        }
    }

    /**
     * Moves the message's request. Doing what is already done (accepting an accepted request, completing a done
     * one) changes nothing and returns the message as it is.
     */
    public Mono<MessageView> act(CareUser user, String roomId, String messageId, Requests.RequestAction input) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        if (input == null) {
            throw ApiException.invalid("action", "is required");
        }
        Action action = Action.parse(input.action());
        String note = input.note() == null || input.note().isBlank() ? null : input.note().strip();
        if (note != null && note.length() > Requests.MAX_NOTE) {
            throw ApiException.invalid("note", "must be at most " + Requests.MAX_NOTE + " characters");
        }
        if (action == Action.DECLINE && note == null) {
            throw ApiException.invalid("note", "a reason is required to decline");
        }
        return turn(roomId, () -> access.requireWritable(user, roomId)
                .then(messages.inRoom(roomId, messageId))
                .flatMap(m -> {
                    live(m);
                    CareRequest r = m.request();
                    if (r == null) {
                        throw ApiException.notFound("request");
                    }
                    if (action == Action.CANCEL ? !r.requesterId().equals(user.id()) : !r.isAssignee(user.id())) {
                        throw ApiException.forbidden(action == Action.CANCEL ? "only the requester may cancel a request"
                                : "only an assignee may " + action.name().toLowerCase(Locale.ROOT) + " this request");
                    }
                    if (r.state() == action.target) {
                        return Mono.just(MessageView.of(m));
                    }
                    if (!action.allowedFrom(r.state())) {
                        throw new ApiException(org.springframework.http.HttpStatus.CONFLICT, "request-state",
                                "a " + r.state().code() + " request cannot be moved by " + action.name().toLowerCase(Locale.ROOT),
                                List.of(new ApiException.FieldError("action", "not allowed while the request is "
                                        + r.state().code())));
                    }
                    CareRequest next = r.moved(action.target, user.id(), clock.instant(), note);
                    return write(m, next, action.stamp, user.id());
                }));
    }

    /**
     * Requests across the caller's active rooms, soonest due first.
     *
     * @param role {@code assignee} (default: asked of me) or {@code requester} (made by me)
     * @param state comma-separated: open, accepted, done, declined, cancelled, {@code active} (open and accepted)
     *              or {@code overdue} (active and past due); default active
     * @param dueBefore ISO-8601 (Japan time without an offset): only requests due before it
     */
    public Mono<Views.Page<RequestItem>> list(CareUser user, String role, String state, String dueBefore,
                                              String cursor, Integer limit) {
        boolean asRequester = parseRole(role);
        Instant now = clock.instant();
        Set<CareRequest.State> states = EnumSet.noneOf(CareRequest.State.class);
        boolean overdue = parseStates(state, states);
        Instant before = dueBefore == null || dueBefore.isBlank() ? null : dueBefore(dueBefore);
        Cursor after = Cursor.decode(cursor);
        int size = TimelineHandler.pageSize(limit);
        return memberships.activeOf(user.id(), RoomHandler.MAX_ROOMS_PER_USER).collectMap(Membership::roomId)
                .flatMap(mine -> messages.requests(new MessageStore.RequestQuery(mine.keySet(),
                                asRequester ? null : user.id(), asRequester ? user.id() : null, states,
                                overdue ? now : null, before, after, size)).collectList()
                        .flatMap(list -> rooms.names(list.stream().map(Message::roomId).toList()).map(names -> new Views.Page<>(list.stream()
                                .map(m -> RequestItem.of(m, names.get(m.roomId()), now)).toList(),
                                list.size() < size ? null : new Cursor(list.get(list.size() - 1).request().dueAt(),
                                        list.get(list.size() - 1).id()).encode()))));
    }

    /**
     * One request in a list: the message carrying it (with {@code request}), its room and whether it is overdue
     * now. {@code href} opens the room at the message in the web client.
     */
    public record RequestItem(String roomId, String roomName, MessageView message, boolean overdue, String href) {

        static RequestItem of(Message m, String roomName, Instant now) {
            return new RequestItem(m.roomId(), roomName, MessageView.of(m), m.request().isOverdue(now),
                    MessageLinks.href(m));
        }
    }

    private Mono<MessageView> write(Message m, CareRequest next, Stamp stamp, String by) {
        Instant now = clock.instant();
        boolean acknowledging = stamp != null && MessageActs.ACKNOWLEDGING.contains(stamp);
        return rooms.nextSeq(m.roomId())
                .flatMap(seq -> messages.apply(MessageActs.of(m, by, stamp, next, acknowledging, now, seq)))
                .switchIfEmpty(Mono.error(() -> ApiException.conflict("request-state",
                        "the request changed meanwhile; read it again")))
                .map(changed -> {
                    MessageView view = MessageView.of(changed);
                    events.publish(RoomEvent.message("request.changed", view));
                    return view;
                });
    }

    private static void live(Message m) {
        if (m.isDeleted()) {
            throw ApiException.conflict("message-deleted", "the message was deleted");
        }
    }

    private <T> Mono<T> turn(String roomId, java.util.function.Supplier<Mono<T>> task) {
        return linearizer.run(roomId, roomQueueLimit, () -> ApiException.roomBusy(roomBusyRetryAfter), task);
    }

    private static boolean parseRole(String role) {
        if (role == null || role.isBlank() || role.equals("assignee")) {
            return false;
        }
        if (role.equals("requester")) {
            return true;
        }
        throw ApiException.invalid("role", "must be assignee or requester");
    }

    /** Fills {@code states}; true when {@code overdue} was asked for. */
    private static boolean parseStates(String value, Set<CareRequest.State> states) {
        if (value == null || value.isBlank()) {
            states.addAll(List.of(CareRequest.State.OPEN, CareRequest.State.ACCEPTED));
            return false;
        }
        boolean overdue = false;
        for (String part : value.split(",")) {
            String p = part.strip().toLowerCase(Locale.ROOT);
            switch (p) {
                case "active" -> states.addAll(List.of(CareRequest.State.OPEN, CareRequest.State.ACCEPTED));
                case "overdue" -> overdue = true;
                default -> states.add(java.util.Arrays.stream(CareRequest.State.values())
                        .filter(s -> s.code().equals(p)).findFirst()
                        .orElseThrow(() -> ApiException.invalid("state",
                                "must be open, accepted, done, declined, cancelled, active or overdue")));
            }
        }
        return overdue;
    }

    private static Instant dueBefore(String value) {
        try {
            return RequestAssignees.dueAt(value);
        } catch (ApiException e) {
            throw ApiException.invalid("dueBefore", "must be an ISO-8601 date-time, e.g. 2026-12-05T17:00+09:00");
        }
    }

}
