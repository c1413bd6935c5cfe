package jp.tsunagu.chat.handler;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.LastMessage;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.ApiException;
import reactor.core.publisher.Mono;

/**
 * The one membership check every room endpoint and stream goes through. A room the caller is not an
 * active member of does not exist for them: 404, never 403, so room ids reveal nothing.
 */
public final class RoomAccess {

    private final RoomStore rooms;
    private final MembershipStore memberships;

    public RoomAccess(RoomStore rooms, MembershipStore memberships) {
        this.rooms = rooms;
        this.memberships = memberships;
    }

    /** The room and the caller's membership, or 404. */
    public Mono<Member> require(CareUser user, String roomId) {
        return memberships.findActive(roomId, user.id())
                .flatMap(m -> rooms.findById(roomId).map(room -> new Member(room, m)))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("room")));
    }

    /** As {@link #require}, and the room must not be archived (409 if it is). */
    public Mono<Member> requireWritable(CareUser user, String roomId) {
        return require(user, roomId).map(member -> {
            if (member.room().archived()) {
                throw ApiException.conflict("room-archived", "the room is archived and read-only");
            }
            return member;
        });
    }

    /**
     * The caller's active membership, or 404, without reading the room: for a write that checks the room
     * while taking its sequence number ({@link #nextSeqForWrite}), one database command fewer.
     */
    public Mono<Membership> requireMembership(CareUser user, String roomId) {
        return memberships.findActive(roomId, user.id())
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("room")));
    }

    /**
     * Takes the room's next sequence number for a new message, making {@code preview} the room's preview
     * ({@link RoomStore#nextSeqIfWritable}): 409 if the room is archived, 404 if it is gone. The room is read only
     * when the number could not be taken.
     */
    public Mono<RoomStore.SeqTaken> nextSeqForWrite(String roomId, LastMessage preview) {
        return rooms.nextSeqIfWritable(roomId, preview).switchIfEmpty(Mono.defer(() -> rooms.findById(roomId)
                .flatMap(room -> Mono.<RoomStore.SeqTaken>error(room.archived()
                        ? ApiException.conflict("room-archived", "the room is archived and read-only")
                        : new IllegalStateException("room " + roomId + " is writable but its number was not taken")))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("room")))));
    }

    public record Member(CareRoom room, Membership membership) {
    }
}
