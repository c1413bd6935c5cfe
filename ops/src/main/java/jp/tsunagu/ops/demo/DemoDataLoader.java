package jp.tsunagu.ops.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;

import jp.tsunagu.chat.consent.ConsentHandler;
import jp.tsunagu.chat.consent.ExcerptHandler;
import jp.tsunagu.chat.handler.RoomHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Acknowledgement;
import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.message.Stamp;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.DirectoryUser;
import jp.tsunagu.chat.room.LastMessage;
import jp.tsunagu.chat.room.MemberRole;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.Resident;
import jp.tsunagu.chat.room.RoomKind;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import jp.tsunagu.chat.support.Ids;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

/**
 * Seeds the demo: the people of four facilities, five patient rooms, a team room and a direct room with a
 * week of conversation dated relative to today, then the residents' consent (see {@link DemoConsentSeeder}). Runs once: an existing database is left alone, so a
 * restarted demo keeps what people posted.
 */
public final class DemoDataLoader implements ApplicationRunner, org.springframework.core.Ordered {

    /** Runs before the demo's bridge links rooms, which need the rooms to exist. */
    public static final int ORDER = 0;

    private static final Logger log = LoggerFactory.getLogger(DemoDataLoader.class);
    /** The demo's conversation happens in Japan; message times in the file are local times there. */
    private static final ZoneId JAPAN = ZoneId.of("Asia/Tokyo");

    private final ReactiveMongoTemplate mongo;
    private final MessageStore messages;
    private final MembershipStore memberships;
    private final HtmlSanitizer sanitizer;
    private final Clock clock;
    private final boolean seed;
    private final DemoData data;
    private final DemoConsentSeeder consent;

    public DemoDataLoader(ReactiveMongoTemplate mongo, MessageStore messages, MembershipStore memberships,
                          HtmlSanitizer sanitizer, Clock clock,
                          JsonMapper json, boolean seed, ConsentHandler consentHandler, ExcerptHandler excerptHandler) {
        this.mongo = mongo;
        this.messages = messages;
        this.memberships = memberships;
        this.sanitizer = sanitizer;
        this.clock = clock;
        this.seed = seed;
        this.consent = new DemoConsentSeeder(consentHandler, excerptHandler);
        try (InputStream in = new ClassPathResource("demo/demo-data.json").getInputStream()) {
            this.data = json.readValue(in, DemoData.class);
        } catch (IOException e) {
            throw new UncheckedIOException("demo/demo-data.json is missing or unreadable", e);
        }
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    public DemoData data() {
        return data;
    }

    /** The room id the server uses for a demo room, following the same rules as room creation. */
    public static String roomId(DemoData.Room room, String firstMember) {
        return switch (room.kind()) {
            case "patient" -> RoomHandler.patientRoomId(room.resident().externalResidentId());
            case "direct" -> RoomHandler.directRoomId(room.members().get(0).userId(), room.members().get(1).userId());
            default -> Ids.derived("demo-room", room.key());
        };
    }

    @Override
    public void run(ApplicationArguments args) {
        // Directory entries are refreshed every start so demo sign-in works even on an old data folder.
        Instant now = clock.instant();
        Map<String, String> facilityNames = new HashMap<>();
        data.facilities().forEach(f -> facilityNames.put(f.id(), f.name()));
        Map<String, DirectoryUser> users = new HashMap<>();
        for (DemoData.User u : data.users()) {
            users.put(u.id(), new DirectoryUser(u.id(), u.displayName(), profession(u.profession()), u.facilityId(),
                    u.facilityId() == null ? null : facilityNames.get(u.facilityId()),
                    u.roles() == null ? Set.of() : Set.copyOf(u.roles()), now));
        }
        Flux.fromIterable(users.values()).concatMap(mongo::save).then().block();
        if (!seed) {
            return;
        }
        Long existing = mongo.count(new Query(), CareRoom.class).block();
        if (existing != null && existing > 0) {
            log.info("demo data: database already has {} rooms, leaving it as it is", existing);
            return;
        }
        Map<String, String> roomIds = new HashMap<>();
        for (DemoData.Room room : data.rooms()) {
            seedRoom(room, users, now);
            roomIds.put(room.key(), roomId(room, null));
        }
        log.info("demo data: seeded {} users and {} rooms", users.size(), data.rooms().size());
        Map<String, CareUser> people = new HashMap<>();
        users.forEach((id, u) -> people.put(id, u.toCareUser()));
        consent.seed(data.consent(), roomIds, people);
    }

    private void seedRoom(DemoData.Room room, Map<String, DirectoryUser> users, Instant now) {
        String roomId = roomId(room, null);
        long seq = 0;
        Instant joined = now.minus(java.time.Duration.ofDays(8));
        Map<String, Membership> members = new HashMap<>();
        List<Object> docs = new ArrayList<>();
        for (DemoData.Member m : room.members()) {
            DirectoryUser u = users.get(m.userId());
            Membership membership = new Membership(Membership.idOf(roomId, u.id()), roomId, u.id(), u.displayName(),
                    u.profession(), u.facilityId(), u.facilityName(), MemberRole.valueOf(m.role().toUpperCase(Locale.ROOT)),
                    true, ++seq, joined, null, null);
            members.put(u.id(), membership);
            docs.add(membership);
        }
        LocalDate today = LocalDate.now(clock.withZone(JAPAN));
        List<DemoData.Message> ordered = room.messages().stream()
                .sorted(Comparator.comparing((DemoData.Message m) -> m.day()).thenComparing(DemoData.Message::time))
                .toList();
        Map<String, Message> byRef = new HashMap<>();
        Message last = null;
        for (DemoData.Message dm : ordered) {
            Instant at = today.plusDays(dm.day()).atTime(LocalTime.parse(dm.time())).atZone(JAPAN).toInstant();
            if (at.isAfter(now)) {
                at = now.minusSeconds(60L * (ordered.size() - ordered.indexOf(dm)));
            }
            Membership author = members.get(dm.author());
            Message parent = dm.parent() == null ? null : byRef.get(dm.parent());
            Map<String, List<String>> stamps = new HashMap<>();
            if (dm.stamps() != null) {
                dm.stamps().forEach(s -> stamps.computeIfAbsent(Stamp.parse(s.stamp()).orElseThrow().code(),
                        k -> new ArrayList<>()).add(s.user()));
            }
            long messageSeq = ++seq;
            Message m = new Message(Ids.derived("demo-message", roomId, dm.ref()), roomId, messageSeq, messageSeq,
                    dm.request() != null ? Message.Change.REQUEST : stamps.isEmpty() ? Message.Change.CREATED : Message.Change.STAMPED,
                    new Message.Author(author.userId(), author.displayName(), author.profession(), author.facilityId(),
                            author.facilityName()),
                    dm.text(), dm.html() == null ? null : sanitizer.clean(dm.html()),
                    parent == null ? null : parent.id(),
                    parent == null ? null : (parent.threadRootId() == null ? parent.id() : parent.threadRootId()),
                    "urgent".equals(dm.priority()) ? Priority.URGENT : Priority.NORMAL,
                    mentions(dm.mentions()), reached(dm.mentions(), members, author.userId()), List.of(), stamps,
                    List.of(), at, null, null, Ids.derived("demo", dm.ref()), null, null, null, null,
                    ask(dm, members, at, now), acknowledgement(dm, members, stamps, at, author.userId()));
            byRef.put(dm.ref(), m);
            docs.add(m);
            last = m;
        }
        // Everyone has read all but the last two messages, so the demo shows unread counts.
        long readUpTo = ordered.size() > 2 ? seq - 2 : 0;
        for (Membership m : members.values()) {
            if (readUpTo > 0) {
                docs.add(new ReadReceipt(m.id(), roomId, m.userId(), m.displayName(), m.profession(), m.facilityId(),
                        readUpTo, ++seq, now));
            }
        }
        Resident resident = room.resident() == null ? null : new Resident(room.resident().name(), room.resident().kana(),
                room.resident().birthDate(), room.resident().externalResidentId());
        String directKey = "direct".equals(room.kind())
                ? RoomHandler.directKey(room.members().get(0).userId(), room.members().get(1).userId())
                : null;
        LastMessage lastMessage = last == null ? null : new LastMessage(last.id(), last.seq(), LastMessage.excerptOf(last.text()),
                last.author().displayName(), last.priority() == Priority.URGENT, last.createdAt());
        CareRoom careRoom = new CareRoom(roomId, RoomKind.valueOf(room.kind().toUpperCase(Locale.ROOT)), room.name(),
                resident, false, null, null, joined, room.members().get(0).userId(), seq, 0, lastMessage,
                last == null ? joined : last.createdAt(), directKey, List.of());
        // Messages and memberships through their stores, which file them in people's inboxes and lists of rooms.
        mongo.insert(careRoom).thenMany(Flux.fromIterable(docs)
                .concatMap(doc -> doc instanceof Message m ? messages.insert(m)
                        : doc instanceof Membership ms ? memberships.save(ms) : mongo.insert(doc))).then().block();
    }

    private static Message.Mentions mentions(DemoData.Mentions m) {
        return m == null ? Message.Mentions.NONE : new Message.Mentions(m.users(), m.facilities(), m.room());
    }

    private static List<String> reached(DemoData.Mentions m, Map<String, Membership> members, String authorId) {
        if (m == null) {
            return List.of();
        }
        Set<String> out = new LinkedHashSet<>(m.users() == null ? List.of() : m.users());
        if (m.facilities() != null) {
            members.values().stream().filter(x -> m.facilities().contains(x.facilityId())).forEach(x -> out.add(x.userId()));
        }
        if (m.room()) {
            out.addAll(members.keySet());
        }
        out.remove(authorId);
        return List.copyOf(out);
    }

    private static Profession profession(String code) {
        return Profession.parse(code).orElseThrow(() -> new IllegalStateException("unknown profession " + code));
    }

    /** The demo's request on a message: open, accepted or done by its assignee, due relative to now. */
    private static CareRequest ask(DemoData.Message dm, Map<String, Membership> members, Instant at, Instant now) {
        DemoData.Ask a = dm.request();
        if (a == null) {
            return null;
        }
        List<CareRequest.Transition> history = new ArrayList<>();
        history.add(new CareRequest.Transition(CareRequest.State.OPEN, dm.author(), at, null));
        CareRequest.State state = CareRequest.State.valueOf(a.state().toUpperCase(Locale.ROOT));
        Instant moved = at.plus(Duration.ofHours(1));
        if (state == CareRequest.State.ACCEPTED || state == CareRequest.State.DONE) {
            history.add(new CareRequest.Transition(CareRequest.State.ACCEPTED, a.movedBy(), moved, null));
        }
        if (state == CareRequest.State.DONE) {
            history.add(new CareRequest.Transition(CareRequest.State.DONE, a.movedBy(), moved.plus(Duration.ofHours(2)), a.note()));
        }
        String label = String.join("、", a.assignees().stream().map(u -> members.get(u).displayName()).toList());
        return new CareRequest(CareRequest.Kind.parse(a.kind()).orElseThrow(),
                new CareRequest.Assignees(a.assignees(), List.of(), List.of()), a.assignees(), label, dm.author(),
                now.plus(Duration.ofHours(a.dueInHours())), state, history);
    }

    /**
     * An urgent demo message asks those it mentions (else the room's doctors and nurses); those who gave it an
     * acknowledging stamp have acknowledged it. The demo only has urgent messages that everyone acknowledged, so
     * nothing escalates on start.
     */
    private static Acknowledgement acknowledgement(DemoData.Message dm, Map<String, Membership> members,
                                                   Map<String, List<String>> stamps, Instant at, String authorId) {
        if (!"urgent".equals(dm.priority())) {
            return null;
        }
        List<String> required = dm.mentions() != null && dm.mentions().users() != null && !dm.mentions().users().isEmpty()
                ? dm.mentions().users()
                : members.values().stream().filter(m -> m.profession() != null && m.profession().isMedicalStaff()
                        && !m.userId().equals(authorId)).map(Membership::userId).toList();
        List<Acknowledgement.Ack> acks = new ArrayList<>();
        for (String code : List.of("viewed", "accepted", "completed")) {
            for (String u : stamps.getOrDefault(code, List.of())) {
                if (required.contains(u) && acks.stream().noneMatch(k -> k.userId().equals(u))) {
                    acks.add(new Acknowledgement.Ack(u, at.plus(Duration.ofMinutes(4 + acks.size())), code));
                }
            }
        }
        if (acks.size() < required.size()) {
            throw new IllegalStateException("demo message " + dm.ref() + " is urgent but not acknowledged by all it asks");
        }
        return new Acknowledgement(required, acks, 0, null, List.of());
    }
}
