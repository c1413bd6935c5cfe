package jp.tsunagu.chat.handler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.api.ProfessionView;
import jp.tsunagu.chat.api.Views;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.message.ReadStore;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Cursor;
import jp.tsunagu.chat.support.Ids;
import reactor.core.publisher.Mono;

/**
 * Reading a room's timeline: pages, threads, edit history, readers and the cross-room "mentioned me"
 * list. Only active members read a room (404 otherwise); the mentions list shows only rooms the caller is
 * still in.
 */
public final class TimelineHandler {

    /** A phone screen shows about 20 messages; 50 fills it twice and keeps a page small on a weak signal. */
    public static final int DEFAULT_PAGE = 50;
    public static final int MAX_PAGE = 200;
    /** Threads in care rooms are short; this only bounds a pathological one. */
    private static final int MAX_THREAD = 1_000;

    private final MembershipStore memberships;
    private final MessageStore messages;
    private final ReadStore reads;
    private final RoomAccess access;

    public TimelineHandler(MembershipStore memberships, MessageStore messages, ReadStore reads, RoomAccess access) {
        this.memberships = memberships;
        this.messages = messages;
        this.reads = reads;
        this.access = access;
    }

    /** Newest first; {@code nextCursor} is the seq to pass as {@code before} for older messages. */
    public Mono<Views.Page<MessageView>> page(CareUser user, String roomId, Long beforeSeq, Integer limit) {
        Ids.require("roomId", roomId);
        int size = pageSize(limit);
        if (beforeSeq != null && beforeSeq < 0) {
            throw ApiException.invalid("before", "must not be negative");
        }
        return access.require(user, roomId)
                .then(messages.page(roomId, beforeSeq, size).map(MessageView::of).collectList())
                .map(items -> new Views.Page<>(items, items.size() < size ? null
                        : String.valueOf(items.get(items.size() - 1).seq())));
    }

    public Mono<MessageView> get(CareUser user, String roomId, String messageId) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        return access.require(user, roomId).then(messages.inRoom(roomId, messageId)).map(MessageView::of);
    }

    /** The thread a message belongs to, root first. */
    public Mono<List<MessageView>> thread(CareUser user, String roomId, String messageId) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        return access.require(user, roomId).then(messages.inRoom(roomId, messageId))
                .flatMap(m -> messages.thread(roomId, m.threadRootId() == null ? m.id() : m.threadRootId(), MAX_THREAD)
                        .map(MessageView::of).collectList());
    }

    public Mono<Views.EditHistory> edits(CareUser user, String roomId, String messageId) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        return access.require(user, roomId).then(messages.inRoom(roomId, messageId)).map(m -> {
            List<Views.Version> versions = new ArrayList<>();
            if (m.edits() != null) {
                m.edits().forEach(e -> versions.add(new Views.Version(e.text(), e.html(), e.editedAt())));
            }
            if (!m.isDeleted()) {
                versions.add(new Views.Version(m.text(), m.html(), m.editedAt() == null ? m.createdAt() : m.editedAt()));
            }
            return new Views.EditHistory(m.id(), versions);
        });
    }

    /** Who of the current members has read the message, grouped by profession; the author is left out. */
    public Mono<Views.Readers> readers(CareUser user, String roomId, String messageId) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        return access.require(user, roomId).then(messages.inRoom(roomId, messageId)).flatMap(m -> Mono.zip(
                memberships.activeMembers(roomId).filter(x -> !x.userId().equals(m.author().userId())).collectList(),
                reads.readersOf(roomId, m.seq()).collectMap(ReadReceipt::userId)).map(t -> {
                    Map<Profession, List<Views.MemberRef>> byProfession = new LinkedHashMap<>();
                    List<Views.MemberRef> notRead = new ArrayList<>();
                    t.getT1().stream().sorted(Comparator.comparing(Membership::profession)).forEach(member -> {
                        ReadReceipt r = t.getT2().get(member.userId());
                        Views.MemberRef ref = new Views.MemberRef(member.userId(), member.displayName(),
                                ProfessionView.of(member.profession()), member.facilityName(), r == null ? null : r.at());
                        if (r == null) {
                            notRead.add(ref);
                        } else {
                            byProfession.computeIfAbsent(member.profession(), p -> new ArrayList<>()).add(ref);
                        }
                    });
                    List<Views.ProfessionGroup> groups = byProfession.entrySet().stream()
                            .map(e -> new Views.ProfessionGroup(ProfessionView.of(e.getKey()), e.getValue())).toList();
                    int readCount = groups.stream().mapToInt(g -> g.members().size()).sum();
                    return new Views.Readers(m.id(), m.seq(), readCount, t.getT1().size(), groups, notRead);
                }));
    }

    /** Messages that mentioned the caller, newest first, across the rooms the caller is still in. */
    public Mono<Views.Page<MessageView>> mentions(CareUser user, String cursor, Integer limit) {
        int size = pageSize(limit);
        Cursor after = Cursor.decode(cursor);
        return memberships.activeOf(user.id(), RoomHandler.MAX_ROOMS_PER_USER).map(Membership::roomId).collectList()
                .flatMap(roomIds -> messages.mentioning(user.id(), roomIds, after, size).collectList())
                .map(list -> new Views.Page<>(list.stream().map(MessageView::of).toList(),
                        list.size() < size ? null : new Cursor(list.get(list.size() - 1).createdAt(),
                                list.get(list.size() - 1).id()).encode()));
    }

    static int pageSize(Integer limit) {
        if (limit == null) {
            return DEFAULT_PAGE;
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw ApiException.invalid("limit", "must be between 1 and " + MAX_PAGE);
        }
        return limit;
    }
}
