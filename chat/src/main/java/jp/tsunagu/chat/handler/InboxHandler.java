package jp.tsunagu.chat.handler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.message.ReadStore;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import reactor.core.publisher.Mono;

/**
 * "My actions": everything waiting for the caller across the rooms they are an active member of, in one answer.
 * Open requests asked of them (overdue first, then soonest due), urgent messages waiting for their
 * acknowledgement, mentions they have not read, and requests they made that are overdue or were declined in the
 * last week. Each section holds at most {@link #SECTION_LIMIT} items; its count says how many there are up to
 * that limit (a badge shows "50+" beyond it).
 */
public final class InboxHandler {

    /** Items per section: a care manager with 30-40 residents rarely has more than a few dozen open at once. */
    public static final int SECTION_LIMIT = 50;
    /** A declined request stays in its requester's inbox this long: time to ask someone else, then it goes. */
    static final Duration DECLINED_SHOWN = Duration.ofDays(7);

    private final RoomStore rooms;
    private final MembershipStore memberships;
    private final MessageStore messages;
    private final ReadStore reads;
    private final Clock clock;

    public InboxHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, ReadStore reads, Clock clock) {
        this.rooms = rooms;
        this.memberships = memberships;
        this.messages = messages;
        this.reads = reads;
        this.clock = clock;
    }

    /** One thing waiting for me, with its room; {@code href} opens the room at the message in the web client. */
    public record Item(String kind, String roomId, String roomName, MessageView message, boolean overdue, String href) {
    }

    public record Counts(int requests, int acknowledgements, int mentions, int myRequests, int total) {
    }

    public record Inbox(Counts counts, List<Item> requests, List<Item> acknowledgements, List<Item> mentions,
                        List<Item> myRequests) {
    }

    public Mono<Inbox> inbox(CareUser user) {
        Instant now = clock.instant();
        return memberships.activeOf(user.id(), RoomHandler.MAX_ROOMS_PER_USER).map(Membership::roomId).collectList()
                .flatMap(roomIds -> roomIds.isEmpty() ? Mono.just(empty()) : sections(user, roomIds, now));
    }

    private Mono<Inbox> sections(CareUser user, List<String> roomIds, Instant now) {
        Mono<List<Message>> asked = messages.requests(new MessageStore.RequestQuery(roomIds, user.id(), null,
                        EnumSet.of(CareRequest.State.OPEN, CareRequest.State.ACCEPTED), null, null, null, SECTION_LIMIT))
                .collectList()
                .map(list -> list.stream().sorted(Comparator.comparing((Message m) -> !m.request().isOverdue(now))
                        .thenComparing(m -> m.request().dueAt())).toList());
        Mono<List<Message>> toAcknowledge = messages.awaitingAcknowledgement(user.id(), roomIds, SECTION_LIMIT).collectList();
        Mono<List<Message>> unreadMentions = reads.ofUser(user.id(), roomIds)
                .collectMap(ReadReceipt::roomId, ReadReceipt::upToSeq)
                .map(read -> roomIds.stream().collect(Collectors.toMap(r -> r, r -> read.getOrDefault(r, 0L))))
                .flatMap(read -> messages.unreadMentions(user.id(), read, SECTION_LIMIT).collectList());
        Instant declinedSince = now.minus(DECLINED_SHOWN);
        Mono<List<Message>> mine = messages.requests(new MessageStore.RequestQuery(roomIds, null, user.id(),
                        EnumSet.of(CareRequest.State.DECLINED), now, null, null, 2 * SECTION_LIMIT)).collectList()
                .map(list -> list.stream()
                        .filter(m -> m.request().isOverdue(now) || lastMove(m.request()).isAfter(declinedSince))
                        .limit(SECTION_LIMIT).toList());
        return Mono.zip(asked, toAcknowledge, unreadMentions, mine).flatMap(t -> {
            List<String> shown = java.util.stream.Stream.of(t.getT1(), t.getT2(), t.getT3(), t.getT4())
                    .flatMap(List::stream).map(Message::roomId).toList();
            return MessageLinks.roomNames(rooms, shown).map(names -> {
                List<Item> requests = items("request", t.getT1(), names, now);
                List<Item> acks = items("acknowledgement", t.getT2(), names, now);
                List<Item> mentions = items("mention", t.getT3(), names, now);
                List<Item> myRequests = items(t.getT4(), names, now);
                return new Inbox(new Counts(requests.size(), acks.size(), mentions.size(), myRequests.size(),
                        requests.size() + acks.size() + mentions.size() + myRequests.size()),
                        requests, acks, mentions, myRequests);
            });
        });
    }

    /** The kinds of my own requests: why each is here. */
    private static List<Item> items(List<Message> mine, Map<String, String> names, Instant now) {
        return mine.stream().map(m -> item(m.request().isOverdue(now) ? "my_request_overdue" : "my_request_declined",
                m, names, now)).toList();
    }

    private static List<Item> items(String kind, List<Message> list, Map<String, String> names, Instant now) {
        return list.stream().map(m -> item(kind, m, names, now)).toList();
    }

    private static Item item(String kind, Message m, Map<String, String> names, Instant now) {
        return new Item(kind, m.roomId(), names.getOrDefault(m.roomId(), ""), MessageView.of(m),
                m.request() != null && m.request().isOverdue(now), MessageLinks.href(m));
    }

    private static Instant lastMove(CareRequest r) {
        return r.history().isEmpty() ? Instant.EPOCH : r.history().get(r.history().size() - 1).at();
    }

    private static Inbox empty() {
        return new Inbox(new Counts(0, 0, 0, 0, 0), List.of(), List.of(), List.of(), List.of());
    }
}
