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
import java.util.stream.IntStream;
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
import jp.tsunagu.chat.support.ApiException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * "My actions": everything waiting for the caller across the rooms they are an active member of. Open requests
 * asked of them (overdue first, then soonest due), urgent messages waiting for their acknowledgement, mentions they
 * have not read, and requests they made that are overdue or were declined in the last week: four {@link Part}s.
 * The overview ({@link #inbox}) shows the first {@link #FIRST_PAGE} items of each with its count; one part alone
 * ({@link #part}) shows up to {@link #PART_LIMIT}. Counts stop at {@link #PART_LIMIT} (a badge shows "50+").
 *
 * <p>Read from the caller's {@link RoomInbox} projection, a superset of the truth ({@link InboxEntries}):
 * entries are sorted and pre-filtered by what they carry (due time, number, decline time), only the messages a
 * part shows are fetched by id, in brief ({@link InboxMessageView}), and each is checked against its message
 * as it stands. Entries that can never show again are taken out on the way. A count is the items shown plus the
 * pre-filtered entries after them: exact but for an entry left behind by a crash or by a change that does not
 * take entries out (a reassigned request, an edit dropping a mention), which is counted until a read reaches it.
 */
public final class InboxHandler {

    /**
     * Items per part in the overview: about a phone screen of lines each, the most urgent first (overdue, then
     * soonest due; newest), the rest one tap away. Every item shown costs a message moved and mapped, most of a
     * read's time (docs/BENCHMARKS.md, inbox), and a phone reloads the overview on every change hint.
     */
    public static final int FIRST_PAGE = 10;
    /** Items in one part: a care manager with 30-40 residents rarely has more than a few dozen open at once. */
    public static final int PART_LIMIT = 50;
    /** A declined request stays in its requester's inbox this long: time to ask someone else, then it goes. */
    static final Duration DECLINED_SHOWN = Duration.ofDays(7);
    /**
     * An entry that does not hold yet may belong to a write still in flight (filed just before it); taken out
     * only once older than this. A write between its filing and its landing takes milliseconds; one taking a
     * minute has long failed on the driver's time-outs.
     */
    static final Duration IN_FLIGHT = Duration.ofMinutes(1);

    private static final Comparator<Candidate> SOONEST_DUE = Comparator.comparing((Candidate c) -> c.entry().dueAt())
            .thenComparing(Candidate::messageId);
    private static final Comparator<Candidate> NEWEST = Comparator.comparing((Candidate c) -> c.entry().at())
            .thenComparing(Candidate::messageId).reversed();

    /** The parts of the inbox; {@code key} names it in the answer and in {@code GET /api/v1/inbox/{key}}. */
    public enum Part {
        REQUESTS("requests", "request", SOONEST_DUE, Section.ASKED),
        ACKNOWLEDGEMENTS("acknowledgements", "acknowledgement", NEWEST, Section.ACKNOWLEDGE),
        MENTIONS("mentions", "mention", NEWEST, Section.MENTIONS),
        /** Items of kind {@code my_request_overdue} or {@code my_request_declined}. */
        MY_REQUESTS("myRequests", null, SOONEST_DUE, Section.MADE, Section.DECLINED);

        private final String key;
        private final String kind;
        private final Comparator<Candidate> order;
        private final List<Section> sections;

        Part(String key, String kind, Comparator<Candidate> order, Section... sections) {
            this.key = key;
            this.kind = kind;
            this.order = order;
            this.sections = List.of(sections);
        }

        public String key() {
            return key;
        }

        /** The part named {@code key}; a 400 naming the field {@code part} for any other. */
        public static Part of(String key) {
            return Stream.of(values()).filter(p -> p.key.equals(key)).findFirst()
                    .orElseThrow(() -> ApiException.invalid("part",
                            "one of requests, acknowledgements, mentions, myRequests"));
        }
    }

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

    /** The overview: each part's first {@link #FIRST_PAGE} items; {@code counts} says how many each has. */
    public record Inbox(Counts counts, List<Item> requests, List<Item> acknowledgements, List<Item> mentions,
                        List<Item> myRequests) {
    }

    /** One part, up to {@link #PART_LIMIT} items. */
    public record PartItems(String part, int count, List<Item> items) {
    }

    public Mono<Inbox> inbox(CareUser user) {
        return read(user, List.of(Part.values()), FIRST_PAGE).map(shown -> {
            int[] counts = shown.stream().mapToInt(Shown::count).toArray();
            return new Inbox(new Counts(counts[0], counts[1], counts[2], counts[3], IntStream.of(counts).sum()),
                    shown.get(0).items(), shown.get(1).items(), shown.get(2).items(), shown.get(3).items());
        });
    }

    public Mono<PartItems> part(CareUser user, Part part) {
        return read(user, List.of(part), PART_LIMIT)
                .map(shown -> new PartItems(part.key(), shown.get(0).count(), shown.get(0).items()));
    }

    /** What a read shows of one part. */
    private record Shown(int count, List<Item> items) {
    }

    private Mono<List<Shown>> read(CareUser user, List<Part> parts, int limit) {
        Instant now = clock.instant();
        return memberships.activeOf(user.id(), RoomHandler.MAX_ROOMS_PER_USER).map(Membership::roomId)
                .collect(Collectors.toSet())
                .flatMap(roomIds -> roomIds.isEmpty()
                        ? Mono.just(parts.stream().map(p -> new Shown(0, List.<Item>of())).toList())
                        : Mono.zip(inboxes.of(user.id(), roomIds).collectList(),
                                        reads.ofUser(user.id(), roomIds).collectMap(ReadReceipt::roomId, ReadReceipt::upToSeq))
                                .flatMap(t -> new Reading(user.id(), t.getT2(), now).read(t.getT1(), parts, limit)));
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

        Mono<List<Shown>> read(List<RoomInbox> inbox, List<Part> parts, int limit) {
            List<Take> takes = parts.stream().map(p -> new Take(p, limit, p.sections.stream()
                    .flatMap(s -> candidates(inbox, s)).sorted(p.order).toList())).toList();
            return fetch(takes).then(Mono.defer(() -> {
                List<Message> shown = takes.stream().flatMap(k -> k.shown.stream()).toList();
                Mono<Void> tidy = inboxes.file(obsolete.stream()
                        .map(c -> new InboxEntries.Filing(userId, c.roomId(), c.section(), c.messageId(), null)).toList());
                return tidy.then(rooms.names(shown.stream().map(Message::roomId).toList()))
                        .map(names -> takes.stream().map(k -> new Shown(k.count(), k.items(names))).toList());
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

            private final Part part;
            private final int limit;
            private final List<Candidate> candidates;
            private final List<Message> shown = new ArrayList<>();
            private int taken;

            Take(Part part, int limit, List<Candidate> candidates) {
                this.part = part;
                this.limit = limit;
                this.candidates = candidates;
            }

            /**
             * As many of the next candidates as the section still has room for. A message is never shown twice:
             * its {@code made} and {@code declined} entries cannot both hold.
             */
            List<Candidate> next() {
                int end = Math.min(candidates.size(), taken + limit - shown.size());
                List<Candidate> out = candidates.subList(taken, end);
                taken = end;
                return out;
            }

            /** The items shown and the entries not checked after them, up to {@link #PART_LIMIT}. */
            int count() {
                return Math.min(PART_LIMIT, shown.size() + candidates.size() - taken);
            }

            List<Item> items(Map<String, String> names) {
                return shown.stream().map(m -> item(part.kind != null ? part.kind
                        : m.request().isOverdue(now) ? "my_request_overdue" : "my_request_declined", m, names, now))
                        .toList();
            }
        }
    }

    private static Item item(String kind, Message m, Map<String, String> names, Instant now) {
        return new Item(kind, m.roomId(), names.getOrDefault(m.roomId(), ""), InboxMessageView.of(m),
                m.request() != null && m.request().isOverdue(now), MessageLinks.href(m));
    }

}
