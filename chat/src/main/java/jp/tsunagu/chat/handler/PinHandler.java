package jp.tsunagu.chat.handler;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.message.Bookmark;
import jp.tsunagu.chat.message.BookmarkStore;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.realtime.RoomEventPublisher;
import jp.tsunagu.chat.room.MemberRole;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Mono;

/**
 * Pins (a message everyone in the room should find again: the care plan, the emergency contacts) and private
 * bookmarks. Pinning is a room change ({@code message.pinned}) that owners and members may make; the resident and
 * family read the pins but do not set them. A bookmark is the caller's own and no event. Errors: 404 room or message
 * not visible; 403 a resident or family member pinning; 409 a deleted message or an archived room (pins only).
 */
public final class PinHandler {

    /** A room's pins fit on one screen; more would no longer help anyone find the important ones. */
    public static final int MAX_PINS = 50;
    static final int BOOKMARK_PAGE = 100;

    private final RoomStore rooms;
    private final MembershipStore memberships;
    private final MessageStore messages;
    private final BookmarkStore bookmarks;
    private final RoomAccess access;
    private final RoomLinearizer linearizer;
    private final RoomEventPublisher events;
    private final Clock clock;
    private final int roomQueueLimit;
    private final Duration roomBusyRetryAfter;

    public PinHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, BookmarkStore bookmarks,
                      RoomAccess access, RoomLinearizer linearizer, RoomEventPublisher events, Clock clock,
                      int roomQueueLimit, Duration roomBusyRetryAfter) {
        this.rooms = rooms;
        this.memberships = memberships;
        this.messages = messages;
        this.bookmarks = bookmarks;
        this.access = access;
        this.linearizer = linearizer;
        this.events = events;
        this.clock = clock;
        this.roomQueueLimit = roomQueueLimit;
        this.roomBusyRetryAfter = roomBusyRetryAfter;
    }

    /** Pins ({@code on}) or unpins the message; doing what is done changes nothing. 409 beyond {@link #MAX_PINS}. */
    public Mono<MessageView> pin(CareUser user, String roomId, String messageId, boolean on) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        return linearizer.run(roomId, roomQueueLimit, () -> ApiException.roomBusy(roomBusyRetryAfter),
                () -> access.requireWritable(user, roomId).flatMap(member -> {
                    MemberRole role = member.membership().role();
                    if (role != MemberRole.OWNER && role != MemberRole.MEMBER) {
                        throw ApiException.forbidden("only the room's owners and members pin messages");
                    }
                    return messages.inRoom(roomId, messageId).flatMap(m -> {
                        if (m.isDeleted()) {
                            throw ApiException.conflict("message-deleted", "the message was deleted");
                        }
                        if ((m.pin() != null) == on) {
                            return Mono.just(MessageView.of(m));
                        }
                        Mono<Long> room = on ? messages.pinned(roomId, MAX_PINS).count() : Mono.just(0L);
                        return room.flatMap(count -> {
                            if (count >= MAX_PINS) {
                                throw ApiException.conflict("too-many-pins", "a room keeps at most " + MAX_PINS + " pins");
                            }
                            return rooms.nextSeq(roomId).flatMap(seq -> messages.pin(messageId,
                                    on ? new Message.Pin(user.id(), clock.instant()) : null, seq));
                        }).map(changed -> {
                            MessageView view = MessageView.of(changed);
                            events.publish(RoomEvent.message("message.pinned", view));
                            return view;
                        });
                    });
                }));
    }

    /** The room's pins, most recently pinned first; for every member. */
    public Mono<List<MessageView>> pins(CareUser user, String roomId) {
        Ids.require("roomId", roomId);
        return access.require(user, roomId)
                .thenMany(messages.pinned(roomId, MAX_PINS)).map(MessageView::of).collectList();
    }

    /** Keeps ({@code on}) or drops the caller's bookmark of a message they can see. */
    public Mono<Void> bookmark(CareUser user, String roomId, String messageId, boolean on) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        return access.require(user, roomId).then(messages.inRoom(roomId, messageId)).flatMap(m -> on
                ? bookmarks.save(new Bookmark(Bookmark.idOf(user.id(), m.id()), user.id(), roomId, m.id(), clock.instant())).then()
                : bookmarks.remove(user.id(), m.id()));
    }

    /** The caller's bookmarks in rooms they are still an active member of, newest first, deleted messages left out. */
    public Mono<List<MessageView>> bookmarks(CareUser user) {
        return memberships.activeOf(user.id(), RoomHandler.MAX_ROOMS_PER_USER).map(Membership::roomId).collectList()
                .flatMapMany(roomIds -> bookmarks.of(user.id(), roomIds, BOOKMARK_PAGE))
                .concatMap(b -> messages.findById(b.messageId()))
                .filter(m -> !m.isDeleted())
                .map(MessageView::of).collectList();
    }
}
