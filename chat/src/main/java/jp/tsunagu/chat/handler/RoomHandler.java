package jp.tsunagu.chat.handler;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.springframework.dao.DuplicateKeyException;

import jp.tsunagu.chat.api.MemberView;
import jp.tsunagu.chat.api.Requests;
import jp.tsunagu.chat.api.RoomView;
import jp.tsunagu.chat.api.Views;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.message.ReadStore;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.realtime.RoomEventPublisher;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.DirectoryUser;
import jp.tsunagu.chat.room.LastMessage;
import jp.tsunagu.chat.room.MemberRole;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.Resident;
import jp.tsunagu.chat.room.RoomKind;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.room.UserDirectory;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Cursor;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Rooms and their members: create, list, invite, remove, archive, and a facility administrator's removal of
 * departed staff.
 *
 * <p>Rules: residents and family never create rooms and only ever belong to their own patient room; owners
 * and members invite professionals, only owners invite the resident or family, remove others or archive;
 * anyone may leave; the last owner cannot leave while others stay. Errors: 404 room not visible; 400 invalid
 * input; 403 not allowed; 409 archived room, resident already has a room; 422 unknown invitee or a role that
 * does not fit the person.
 */
public final class RoomHandler {

    /** A care manager follows 30–40 residents plus team rooms; 1,000 bounds any one person's list. */
    public static final int MAX_ROOMS_PER_USER = 1_000;

    private final RoomStore rooms;
    private final MembershipStore memberships;
    private final MessageStore messages;
    private final ReadStore reads;
    private final UserDirectory directory;
    private final RoomAccess access;
    private final RoomLinearizer linearizer;
    private final RoomEventPublisher events;
    private final Clock clock;

    public RoomHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, ReadStore reads,
                       UserDirectory directory, RoomAccess access, RoomLinearizer linearizer,
                       RoomEventPublisher events, Clock clock) {
        this.rooms = rooms;
        this.memberships = memberships;
        this.messages = messages;
        this.reads = reads;
        this.directory = directory;
        this.access = access;
        this.linearizer = linearizer;
        this.events = events;
        this.clock = clock;
    }

    /** A patient room's id follows from its resident, so the same resident never gets two rooms. */
    public static String patientRoomId(String externalResidentId) {
        return Ids.derived("patient-room", externalResidentId);
    }

    /** The unique key of a direct room: the two user ids, sorted and joined. */
    public static String directKey(String a, String b) {
        return a.compareTo(b) < 0 ? a + "|" + b : b + "|" + a;
    }

    /** A direct room's id follows from the pair, so asking again finds the same room. */
    public static String directRoomId(String a, String b) {
        return Ids.derived("direct-room", directKey(a, b));
    }

    /** The created room, or for a direct room with the same person, the existing one. */
    public record Created(Views.RoomDetail room, boolean existed) {
    }

    /**
     * Creates a room with the caller as owner. A patient room's id follows from its external resident id,
     * so the same resident cannot get two rooms (409); a direct room's from the pair, so asking again
     * returns the existing room.
     */
    public Mono<Created> create(CareUser user, Requests.CreateRoom request) {
        if (user.profession().isLayPerson()) {
            throw ApiException.forbidden("residents and family cannot create rooms");
        }
        RoomKind kind = kind(request.kind());
        List<Requests.MemberInput> invited = request.members() == null ? List.of() : request.members();
        for (int i = 0; i < invited.size(); i++) {
            Ids.requireUserId("members[" + i + "].userId", invited.get(i).userId());
        }
        Resident resident = null;
        String id = Ids.newId();
        String directKey = null;
        String name = request.name() == null ? null : request.name().strip();
        switch (kind) {
            case PATIENT -> {
                if (request.resident() == null) {
                    throw ApiException.invalid("resident", "is required for a patient room");
                }
                var r = request.resident();
                resident = new Resident(r.name().strip(), r.kana(), r.birthDate(),
                        r.externalResidentId() == null || r.externalResidentId().isBlank() ? null : r.externalResidentId().strip());
                if (resident.externalResidentId() != null) {
                    id = patientRoomId(resident.externalResidentId());
                }
                if (name == null || name.isEmpty()) {
                    name = resident.name() + " 様";
                }
            }
            case DIRECT -> {
                if (invited.size() != 1 || invited.get(0).userId().equals(user.id())) {
                    throw ApiException.invalid("members", "a direct room has exactly one other member");
                }
                String other = invited.get(0).userId();
                directKey = directKey(user.id(), other);
                id = directRoomId(user.id(), other);
            }
            case GROUP -> {
                if (name == null || name.isEmpty()) {
                    throw ApiException.invalid("name", "is required for a group room");
                }
            }
        }
        if (kind != RoomKind.PATIENT && request.resident() != null) {
            throw ApiException.invalid("resident", "only patient rooms have a resident");
        }
        String roomId = id;
        String roomName = name;
        Resident roomResident = resident;
        String roomDirectKey = directKey;
        Instant now = clock.instant();
        CareRoom room = new CareRoom(roomId, kind, roomName, roomResident, false, null, null, now, user.id(), 0, 0,
                null, now, roomDirectKey, List.of());
        return resolveInvitees(invited, kind).flatMap(invitees -> rooms.insert(room)
                .flatMap(saved -> join(saved, DirectoryUser.of(user, now), MemberRole.OWNER, user.id())
                        .thenMany(Flux.fromIterable(invitees).concatMap(i -> join(saved, i.user(), i.role(), user.id())))
                        .then(detail(user, roomId)).map(d -> new Created(d, false)))
                .onErrorResume(DuplicateKeyException.class, e -> {
                    if (kind == RoomKind.DIRECT) {
                        return detail(user, roomId).map(d -> new Created(d, true));
                    }
                    return Mono.error(ApiException.conflict("resident-has-room",
                            "a room for this resident already exists"));
                }));
    }

    private record Invitee(DirectoryUser user, MemberRole role) {
    }

    private Mono<List<Invitee>> resolveInvitees(List<Requests.MemberInput> invited, RoomKind kind) {
        return Flux.range(0, invited.size()).concatMap(i -> {
            Requests.MemberInput in = invited.get(i);
            String field = "members[" + i + "]";
            return directory.find(in.userId())
                    .switchIfEmpty(Mono.error(() -> ApiException.unprocessable(field + ".userId",
                            "unknown user; they must sign in once or be provisioned")))
                    .map(u -> new Invitee(u, role(field + ".role", in.role(), u, kind)));
        }).collectList();
    }

    /** Lists the caller's rooms, most recently active first, with unread counts and the last message. */
    public Mono<Views.Page<Views.RoomSummary>> list(CareUser user, String cursor, Integer limit) {
        int size = TimelineHandler.pageSize(limit);
        Cursor after = Cursor.decode(cursor);
        return memberships.activeOf(user.id(), MAX_ROOMS_PER_USER).collectMap(Membership::roomId)
                .flatMap(mine -> mine.isEmpty() ? Mono.just(new Views.Page<>(List.<Views.RoomSummary>of(), null))
                        : rooms.findActiveFirst(mine.keySet(), after, size).collectList()
                                .flatMap(page -> previews(page).flatMap(shown -> Flux.fromIterable(page)
                                        .concatMap(room -> summary(user, room, mine.get(room.id()), shown.get(room.id())))
                                        .collectList()))
                                .map(list -> new Views.Page<>(list, list.size() < size ? null : cursorOf(list))));
    }

    /**
     * The preview each room shows: its stored preview with the message's number, once that message is stored. A
     * preview is written with the number its message takes, ahead of the message ({@link RoomStore#nextSeqIfWritable}),
     * so it may name one still being stored, or one that never was (its insert failed, the node stopped); such a room
     * shows its latest stored message instead. One query for the page, and one for each such room.
     */
    private Mono<Map<String, LastMessage>> previews(List<CareRoom> page) {
        List<String> ids = page.stream().map(CareRoom::lastMessage).filter(Objects::nonNull).map(LastMessage::id).toList();
        return messages.briefs(ids).collectMap(Message::id, Message::seq).flatMap(stored -> Flux.fromIterable(page)
                .filter(room -> room.lastMessage() != null)
                .concatMap(room -> {
                    Long seq = stored.get(room.lastMessage().id());
                    Mono<LastMessage> shown = seq != null ? Mono.just(room.lastMessage().withSeq(seq))
                            : messages.page(room.id(), null, 1).next().map(MessageHandler::lastMessage);
                    return shown.map(last -> Map.entry(room.id(), last));
                })
                .collectMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static String cursorOf(List<Views.RoomSummary> list) {
        RoomView last = list.get(list.size() - 1).room();
        return new Cursor(last.lastActivityAt(), last.id()).encode();
    }

    private Mono<Views.RoomSummary> summary(CareUser user, CareRoom room, Membership membership, LastMessage shown) {
        return reads.find(room.id(), user.id()).map(ReadReceipt::upToSeq).defaultIfEmpty(0L)
                .flatMap(readUpTo -> Mono.zip(messages.countUnread(room.id(), readUpTo, user.id()),
                                messages.countUrgentUnread(room.id(), readUpTo, user.id()))
                        .map(c -> new Views.RoomSummary(RoomView.of(room), code(membership.role()), c.getT1(), c.getT2(),
                                shown, readUpTo)));
    }

    public Mono<Views.RoomDetail> detail(CareUser user, String roomId) {
        Ids.require("roomId", roomId);
        return access.require(user, roomId).flatMap(member -> Mono.zip(
                memberships.activeMembers(roomId).map(MemberView::of).collectList(),
                reads.find(roomId, user.id()).map(ReadReceipt::upToSeq).defaultIfEmpty(0L))
                .map(t -> new Views.RoomDetail(RoomView.of(member.room()), code(member.membership().role()), t.getT1(), t.getT2())));
    }

    public Mono<List<MemberView>> members(CareUser user, String roomId) {
        Ids.require("roomId", roomId);
        return access.require(user, roomId).thenMany(memberships.activeMembers(roomId).map(MemberView::of)).collectList();
    }

    /** Invites a known user; inviting an active member again changes nothing. */
    public Mono<MemberView> invite(CareUser user, String roomId, Requests.MemberInput request) {
        Ids.require("roomId", roomId);
        Ids.requireUserId("userId", request.userId());
        return access.requireWritable(user, roomId).flatMap(member -> {
            MemberRole callerRole = member.membership().role();
            if (!callerRole.canInvite()) {
                throw ApiException.forbidden("residents and family cannot invite");
            }
            if (member.room().kind() == RoomKind.DIRECT) {
                throw ApiException.conflict("direct-room", "a direct room has exactly two members");
            }
            return directory.find(request.userId())
                    .switchIfEmpty(Mono.error(() -> ApiException.unprocessable("userId",
                            "unknown user; they must sign in once or be provisioned")))
                    .flatMap(invitee -> {
                        MemberRole role = role("role", request.role(), invitee, member.room().kind());
                        if ((role == MemberRole.OWNER || invitee.profession().isLayPerson()) && !callerRole.canManage()) {
                            throw ApiException.forbidden("only an owner may invite an owner, the resident or family");
                        }
                        return memberships.findActive(roomId, invitee.id()).map(MemberView::of)
                                .switchIfEmpty(Mono.defer(() -> join(member.room(), invitee, role, user.id())));
                    });
        });
    }

    /** Removes a member (owner), or the caller leaves. */
    public Mono<MemberView> remove(CareUser user, String roomId, String userId) {
        Ids.require("roomId", roomId);
        Ids.requireUserId("userId", userId);
        return access.require(user, roomId).flatMap(member -> {
            boolean self = userId.equals(user.id());
            if (!self && !member.membership().role().canManage()) {
                throw ApiException.forbidden("only an owner may remove others");
            }
            return memberships.findActive(roomId, userId)
                    .switchIfEmpty(Mono.error(() -> ApiException.notFound("member")))
                    .flatMap(target -> lastOwnerCheck(target).then(leave(target, user.id())));
        });
    }

    private Mono<Void> lastOwnerCheck(Membership target) {
        if (target.role() != MemberRole.OWNER) {
            return Mono.empty();
        }
        return memberships.activeMembers(target.roomId()).collectList().flatMap(all -> {
            boolean otherOwner = all.stream().anyMatch(m -> m.role() == MemberRole.OWNER && !m.userId().equals(target.userId()));
            boolean othersStay = all.size() > 1;
            return !otherOwner && othersStay
                    ? Mono.error(ApiException.conflict("last-owner", "make another member owner before the last owner leaves"))
                    : Mono.empty();
        });
    }

    /** Archives the room at the end of care: read-only, still readable by its members. Idempotent. */
    public Mono<RoomView> archive(CareUser user, String roomId) {
        Ids.require("roomId", roomId);
        return linearizer.run(roomId, () -> access.require(user, roomId).flatMap(member -> {
            if (!member.membership().role().canManage()) {
                throw ApiException.forbidden("only an owner may archive the room");
            }
            if (member.room().archived()) {
                return Mono.just(RoomView.of(member.room()));
            }
            return rooms.nextSeq(roomId)
                    .flatMap(seq -> rooms.markArchived(roomId, user.id(), clock.instant(), seq))
                    .map(archived -> {
                        RoomView view = RoomView.of(archived);
                        events.publish(RoomEvent.room("room.archived", view));
                        return view;
                    });
        }));
    }

    /**
     * Sets the room's on-call contact (owners only): the member an urgent message nobody acknowledged reaches at
     * its second escalation, such as the clinic's on-call doctor. Null clears it. 422 if the person is not an active
     * professional member (the resident and family are never on call); 409 if the room is archived.
     */
    public Mono<RoomView> setOnCall(CareUser user, String roomId, String userId) {
        Ids.require("roomId", roomId);
        String onCall = userId == null ? null : Ids.requireUserId("userId", userId);
        return linearizer.run(roomId, () -> access.requireWritable(user, roomId).flatMap(member -> {
            if (!member.membership().role().canManage()) {
                throw ApiException.forbidden("only an owner may set the room's on-call contact");
            }
            if (java.util.Objects.equals(member.room().onCallUserId(), onCall)) {
                return Mono.just(RoomView.of(member.room()));
            }
            Mono<Boolean> professional = onCall == null ? Mono.just(true) : memberships.findActive(roomId, onCall)
                    .map(m -> m.profession() != null && !m.profession().isLayPerson()).defaultIfEmpty(false);
            return professional.flatMap(ok -> {
                if (!ok) {
                    throw ApiException.unprocessable("userId", "is not a professional member of this room");
                }
                return rooms.nextSeq(roomId).flatMap(seq -> rooms.setOnCall(roomId, onCall, seq));
            }).map(updated -> {
                RoomView view = RoomView.of(updated);
                events.publish(RoomEvent.room("room.updated", view));
                return view;
            });
        }));
    }

    /**
     * A facility administrator removes a departed member of their facility from every room at once.
     * Rooms where they were the only owner keep running; their other owners or members carry on.
     */
    public Mono<Views.Departure> removeDeparted(CareUser admin, String facilityId, String userId) {
        Ids.requireUserId("facilityId", facilityId);
        Ids.requireUserId("userId", userId);
        if (!admin.isFacilityAdminOf(facilityId)) {
            throw ApiException.forbidden("only an administrator of this facility may do this");
        }
        return memberships.activeOf(userId, MAX_ROOMS_PER_USER)
                .filter(m -> facilityId.equals(m.facilityId()))
                .concatMap(m -> leave(m, admin.id()).thenReturn(m.roomId()))
                .collectList()
                .map(roomIds -> new Views.Departure(userId, facilityId, roomIds));
    }

    private Mono<MemberView> join(CareRoom room, DirectoryUser user, MemberRole role, String by) {
        return linearizer.run(room.id(), () -> rooms.nextSeq(room.id()).flatMap(seq -> memberships.save(
                        new Membership(Membership.idOf(room.id(), user.id()), room.id(), user.id(), user.displayName(),
                                user.profession(), user.facilityId(), user.facilityName(), role, true, seq,
                                clock.instant(), null, null)))
                .map(saved -> {
                    MemberView view = MemberView.of(saved);
                    events.publish(RoomEvent.member("member.joined", view));
                    return view;
                }));
    }

    private Mono<MemberView> leave(Membership m, String by) {
        return linearizer.run(m.roomId(), () -> memberships.findActive(m.roomId(), m.userId())
                .flatMap(current -> rooms.nextSeq(m.roomId()).flatMap(seq -> memberships.save(new Membership(
                        current.id(), current.roomId(), current.userId(), current.displayName(), current.profession(),
                        current.facilityId(), current.facilityName(), current.role(), false, seq, current.joinedAt(),
                        clock.instant(), by))))
                .map(saved -> {
                    MemberView view = MemberView.of(saved);
                    events.publish(RoomEvent.member("member.removed", view));
                    return view;
                }));
    }

    private static RoomKind kind(String value) {
        try {
            return RoomKind.valueOf(Objects.requireNonNull(value).toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw ApiException.invalid("kind", "must be patient, group or direct");
        }
    }

    /** The role a person takes: the resident and family get theirs by profession; others member or owner. */
    private static MemberRole role(String field, String value, DirectoryUser user, RoomKind kind) {
        MemberRole fitting = switch (user.profession()) {
            case RESIDENT -> MemberRole.RESIDENT;
            case FAMILY -> MemberRole.FAMILY;
            default -> null;
        };
        if (fitting != null && kind != RoomKind.PATIENT) {
            throw ApiException.unprocessable(field, "residents and family only join their own patient room");
        }
        if (value == null || value.isBlank()) {
            return fitting == null ? MemberRole.MEMBER : fitting;
        }
        MemberRole asked;
        try {
            asked = MemberRole.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(field, "must be owner, member, resident or family");
        }
        boolean fits = fitting == null ? (asked == MemberRole.OWNER || asked == MemberRole.MEMBER) : asked == fitting;
        if (!fits) {
            throw ApiException.unprocessable(field, "does not fit a " + user.profession().label());
        }
        return asked;
    }

    private static String code(MemberRole role) {
        return role.name().toLowerCase(Locale.ROOT);
    }
}
