package jp.tsunagu.chat.handler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jp.tsunagu.chat.api.InboxMessageView;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.message.InboxEntries;
import jp.tsunagu.chat.message.InboxEntries.Entry;
import jp.tsunagu.chat.message.InboxEntries.Section;
import jp.tsunagu.chat.message.InboxStore;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.message.ReadStore;
import jp.tsunagu.chat.message.RoomInbox;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * "My actions": everything waiting for the caller across the rooms they are an active member of, in one answer.
 * Open requests asked of them (overdue first, then soonest due), urgent messages waiting for their
 * acknowledgement, mentions they have not read, and requests they made that are overdue or were declined in the
 * last week. Each section holds at most {@link #SECTION_LIMIT} items; its count says how many there are up to
 * that limit (a badge shows "50+" beyond it).
 *
 * <p>Read from the caller's {@link RoomInbox} projection, a superset of the truth ({@link InboxEntries}):
 * entries are sorted and pre-filtered by what they carry (due time, number, decline time), only the messages a
 * section shows are fetched by id, in brief ({@link InboxMessageView}), and each is checked against its message
 * as it stands. Entries that can never show again are taken out on the way.
 */
public final class InboxHandler {

    /** Items per section: a care manager with 30-40 residents rarely has more than a few dozen open at once. */
    public static final int SECTION_LIMIT = 50;
    /** A declined request stays in its requester's inbox this long: time to ask someone else, then it goes. */
    static final Duration DECLINED_SHOWN = Duration.ofDays(7);
    /**
     * An entry that does not hold yet may belong to a write still in flight (filed just before it); taken out
     * only once older than this. A write between its filing and its landing takes milliseconds; one taking a
     * minute has long failed on the driver's time-outs.
     */
    static final Duration IN_FLIGHT = Duration.ofMinutes(1);

    private final RoomStore rooms;
    private final MembershipStore memberships;
    private final MessageStore messages;
    private final InboxStore inboxes;
    private final ReadStore reads;
    private final Clock clock;

    public InboxHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, InboxStore inboxes,
                        ReadStore reads, Clock clock) {
        this.rooms = rooms;
        this.memberships = memberships;
        this.messages = messages;
        this.inboxes = inboxes;
        this.reads = reads;
        this.clock = clock;
    }

    /** One thing waiting for me, with its room; {@code href} opens the room at the message in the web client. */
    public record Item(String kind, String roomId, String roomName, InboxMessageView message, boolean overdue,
                       String href) {
    }

    public record Counts(int requests, int acknowledgements, int mentions, int myRequests, int total) {
    }

    public record Inbox(Counts counts, List<Item> requests, List<Item> acknowledgements, List<Item> mentions,
                        List<Item> myRequests) {
    }

    public Mono<Inbox> inbox(CareUser user) {
        Instant now = clock.instant();
        return memberships.activeOf(user.id(), RoomHandler.MAX_ROOMS_PER_USER).map(Membership::roomId)
                .collect(Collectors.toSet())
                .flatMap(roomIds -> roomIds.isEmpty() ? Mono.just(empty()) : Mono.zip(
                                inboxes.of(user.id(), roomIds).collectList(),
                                reads.ofUser(user.id(), roomIds).collectMap(ReadReceipt::roomId, ReadReceipt::upToSeq))
                        .flatMap(t -> new Reading(user.id(), t.getT2(), now).read(t.getT1())));
    }

    /** One entry of a section, waiting to be checked against its message. */
    private record Candidate(String roomId, Section section, String messageId, Entry entry) {
    }

    /** One read of one person's inbox: sorts and checks the entries, and gathers those to take out. */
    private final class Reading {

        private final String userId;
        private final Map<String, Long> readUpTo;
        private final Instant now;
        private final Set<Candidate> obsolete = new LinkedHashSet<>();

        Reading(String userId, Map<String, Long> readUpTo, Instant now) {
            this.userId = userId;
            this.readUpTo = readUpTo;
            this.now = now;
        }

        Mono<InboxHandler.Inbox> read(List<RoomInbox> inbox) {
            Comparator<Candidate> soonestDue = Comparator.comparing((Candidate c) -> c.entry().dueAt())
                    .thenComparing(Candidate::messageId);
            Comparator<Candidate> newest = Comparator.comparing((Candidate c) -> c.entry().at())
                    .thenComparing(Candidate::messageId).reversed();
            List<Take> takes = List.of(
                    new Take("request", candidates(inbox, Section.ASKED).sorted(soonestDue).toList()),
                    new Take("acknowledgement", candidates(inbox, Section.ACKNOWLEDGE).sorted(newest).toList()),
                    new Take("mention", candidates(inbox, Section.MENTIONS).sorted(newest).toList()),
                    new Take(null, Stream.concat(candidates(inbox, Section.MADE), candidates(inbox, Section.DECLINED))
                            .sorted(soonestDue).toList()));
            return fetch(takes).then(Mono.defer(() -> {
                List<Message> shown = takes.stream().flatMap(k -> k.shown.stream()).toList();
                Mono<Void> tidy = inboxes.file(obsolete.stream()
                        .map(c -> new InboxEntries.Filing(userId, c.roomId(), c.section(), c.messageId(), null)).toList());
                return tidy.then(rooms.names(shown.stream().map(Message::roomId).toList()))
                        .map(names -> {
                            List<List<Item>> items = takes.stream().map(k -> k.items(names)).toList();
                            int total = items.stream().mapToInt(List::size).sum();
                            return new InboxHandler.Inbox(new Counts(items.get(0).size(), items.get(1).size(),
                                    items.get(2).size(), items.get(3).size(), total),
                                    items.get(0), items.get(1), items.get(2), items.get(3));
                        });
            }));
        }

        /** A section's entries worth fetching; the rest are left (not shown now) or gathered to take out. */
        private Stream<Candidate> candidates(List<RoomInbox> inbox, Section section) {
            List<Candidate> out = new ArrayList<>();
            for (RoomInbox room : inbox) {
                room.section(section).forEach((id, e) -> {
                    Candidate c = new Candidate(room.roomId(), section, id, e);
                    if (section == Section.MENTIONS && e.seq() <= readUpTo.getOrDefault(room.roomId(), 0L)) {
                        obsolete.add(c);
                    } else if (section == Section.DECLINED && !e.at().isAfter(now.minus(DECLINED_SHOWN))) {
                        obsolete.add(c);
                    } else if (section != Section.MADE || e.dueAt().isBefore(now)) {
                        out.add(c);
                    }
                });
            }
            return out.stream();
        }

        /**
         * Fetches each section's next candidates until it is full or has none left. A query per section, in
         * parallel: decoding and mapping the messages is most of a read's work, and this spreads it over the
         * driver's connections (and cores). The checks run once all have answered, on one thread.
         */
        private Mono<Void> fetch(List<Take> takes) {
            List<Map.Entry<Take, List<Candidate>>> round = new ArrayList<>();
            for (Take k : takes) {
                List<Candidate> next = k.next();
                if (!next.isEmpty()) {
                    round.add(Map.entry(k, next));
                }
            }
            if (round.isEmpty()) {
                return Mono.empty();
            }
            return Flux.fromIterable(round)
                    .flatMapSequential(r -> messages.briefs(r.getValue().stream().map(Candidate::messageId).toList())
                            .collectMap(Message::id))
                    .collectList()
                    .flatMap(found -> {
                        for (int i = 0; i < round.size(); i++) {
                            Take k = round.get(i).getKey();
                            Map<String, Message> byId = found.get(i);
                            round.get(i).getValue().forEach(c -> check(k, c, byId.get(c.messageId())));
                        }
                        return fetch(takes);
                    });
        }

        private void check(Take take, Candidate c, Message m) {
            if (m == null) {
                obsoleteUnlessInFlight(c);
            } else if (InboxEntries.isSettled(m, userId, c.section())) {
                obsolete.add(c);
            } else if (!InboxEntries.holds(m, userId, c.section())) {
                obsoleteUnlessInFlight(c);
            } else if (shownNow(c.section(), m)) {
                take.shown.add(m);
            }
        }

        /** What an entry that holds needs besides: a mention unread, my request overdue or declined lately. */
        private boolean shownNow(Section section, Message m) {
            return switch (section) {
                case MENTIONS -> m.seq() > readUpTo.getOrDefault(m.roomId(), 0L);
                case MADE -> m.request().isOverdue(now);
                case DECLINED -> InboxEntries.lastMove(m.request()).isAfter(now.minus(DECLINED_SHOWN));
                default -> true;
            };
        }

        /** An entry that does not hold may be a write in flight: taken out only once it is older than one. */
        private void obsoleteUnlessInFlight(Candidate c) {
            if (c.entry().filedAt() == null || c.entry().filedAt().isBefore(now.minus(IN_FLIGHT))) {
                obsolete.add(c);
            }
        }

        /** One section being filled: its candidates in order and the messages it shows. */
        private final class Take {

            private final String kind;
            private final List<Candidate> candidates;
            private final List<Message> shown = new ArrayList<>();
            private int taken;

            Take(String kind, List<Candidate> candidates) {
                this.kind = kind;
                this.candidates = candidates;
            }

            /**
             * As many of the next candidates as the section still has room for. A message is never shown twice:
             * its {@code made} and {@code declined} entries cannot both hold.
             */
            List<Candidate> next() {
                int end = Math.min(candidates.size(), taken + SECTION_LIMIT - shown.size());
                List<Candidate> out = candidates.subList(taken, end);
                taken = end;
                return out;
            }

            List<Item> items(Map<String, String> names) {
                return shown.stream().map(m -> item(kind != null ? kind
                        : m.request().isOverdue(now) ? "my_request_overdue" : "my_request_declined", m, names, now))
                        .toList();
            }
        }
    }

    private static Item item(String kind, Message m, Map<String, String> names, Instant now) {
        return new Item(kind, m.roomId(), names.getOrDefault(m.roomId(), ""), InboxMessageView.of(m),
                m.request() != null && m.request().isOverdue(now), MessageLinks.href(m));
    }

    private static Inbox empty() {
        return new Inbox(new Counts(0, 0, 0, 0, 0), List.of(), List.of(), List.of(), List.of());
    }
}
