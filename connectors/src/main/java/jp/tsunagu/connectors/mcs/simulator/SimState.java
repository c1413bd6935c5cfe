package jp.tsunagu.connectors.mcs.simulator;

import static jp.tsunagu.connectors.mcs.simulator.SimulatorException.badRequest;
import static jp.tsunagu.connectors.mcs.simulator.SimulatorException.forbidden;
import static jp.tsunagu.connectors.mcs.simulator.SimulatorException.notFound;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import jp.tsunagu.connectors.mcs.simulator.McsSimulator.Attachment;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator.Mention;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator.Message;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator.Project;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator.Station;
import jp.tsunagu.connectors.mcs.simulator.McsSimulator.User;

/**
 * The simulated SNS's data. Every read and write takes one lock, so a change and its timestamp become visible
 * together: a poller that has seen a change stamped {@code t} can never later find another change stamped at or
 * before {@code t}. Readers get immutable snapshots, which are turned into JSON outside the lock.
 */
final class SimState {

    static final List<String> REACTION_TYPES = List.of("good", "viewed", "accepted", "thanked", "completed");
    static final Set<String> PROJECT_TYPES = Set.of("patient", "group", "direct");
    static final Set<String> MENTION_TYPES = Set.of("user", "station", "project");
    static final int MAX_BODY_CHARS = 20_000;

    private final Object lock = new Object();
    private final Clock clock;
    private Instant lastStamp = Instant.EPOCH;
    private long projectSeq = 1000;
    private long messageSeq = 50_000;
    private long attachmentSeq = 9000;

    private final Map<String, Station> stations = new LinkedHashMap<>();
    private final Map<String, UserRec> users = new LinkedHashMap<>();
    private final Map<String, ProjectRec> projects = new LinkedHashMap<>();
    private final Map<String, MessageRec> messages = new HashMap<>();
    /** When a user joined or left a project, or a project of theirs was removed: their room list changed. */
    private final Map<String, Instant> membershipChanged = new HashMap<>();
    /** Bytes are immutable once stored, so downloads need no lock. */
    private final Map<String, AttachmentRec> attachments = new ConcurrentHashMap<>();

    SimState(Clock clock) {
        this.clock = clock;
    }

    // ---- clock -------------------------------------------------------------------------------------------------

    /** The next change stamp: now at microsecond precision, but always after the previous stamp. */
    private Instant tick() {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        if (!now.isAfter(lastStamp)) {
            now = lastStamp.plus(1, ChronoUnit.MICROS);
        }
        lastStamp = now;
        return now;
    }

    Instant now() {
        return clock.instant();
    }

    // ---- directory (back door) ---------------------------------------------------------------------------------

    void addStation(String id, String name) {
        requireText(id, "station id");
        requireText(name, "station name");
        synchronized (lock) {
            stations.put(id, new Station(id, name));
        }
    }

    void addUser(String id, String lastName, String firstName, String stationId, List<String> professions) {
        requireText(id, "user id");
        synchronized (lock) {
            if (stationId != null && !stations.containsKey(stationId)) {
                throw badRequest("unknown station " + stationId);
            }
            users.put(id, new UserRec(id, nullToEmpty(lastName), nullToEmpty(firstName), stationId,
                    List.copyOf(professions)));
        }
    }

    boolean hasUser(String id) {
        synchronized (lock) {
            return users.containsKey(id);
        }
    }

    String createProject(String type, String name, String patientId) {
        if (!PROJECT_TYPES.contains(type)) {
            throw badRequest("project type must be one of " + PROJECT_TYPES + ": " + type);
        }
        requireText(name, "project name");
        synchronized (lock) {
            String id = Long.toString(++projectSeq);
            Instant t = tick();
            projects.put(id, new ProjectRec(id, type, name, "patient".equals(type) ? patientId : null, t));
            return id;
        }
    }

    void addMember(String projectId, String userId) {
        synchronized (lock) {
            ProjectRec p = liveProject(projectId);
            user(userId);
            if (p.members.add(userId)) {
                Instant t = tick();
                p.lastChange = t;
                membershipChanged.put(userId, t);
            }
        }
    }

    void removeMember(String projectId, String userId) {
        synchronized (lock) {
            ProjectRec p = liveProject(projectId);
            if (p.members.remove(userId)) {
                Instant t = tick();
                p.lastChange = t;
                membershipChanged.put(userId, t);
            }
        }
    }

    void removeProject(String projectId) {
        synchronized (lock) {
            ProjectRec p = liveProject(projectId);
            p.removed = true;
            Instant t = tick();
            p.lastChange = t;
            for (String member : p.members) {
                membershipChanged.put(member, t);
            }
        }
    }

    // ---- reads -------------------------------------------------------------------------------------------------

    /** Projects the user is a member of, oldest first; {@code type} null for all. */
    List<Project> visibleProjects(String userId, String type) {
        synchronized (lock) {
            List<Project> out = new ArrayList<>();
            for (ProjectRec p : projects.values()) {
                if (!p.removed && p.members.contains(userId) && (type == null || type.equals(p.type))) {
                    out.add(p.snapshot());
                }
            }
            return out;
        }
    }

    List<Project> allProjects() {
        synchronized (lock) {
            List<Project> out = new ArrayList<>();
            for (ProjectRec p : projects.values()) {
                if (!p.removed) {
                    out.add(p.snapshot());
                }
            }
            return out;
        }
    }

    List<User> members(String userId, String projectId) {
        synchronized (lock) {
            ProjectRec p = visibleProject(userId, projectId);
            List<User> out = new ArrayList<>(p.members.size());
            for (String member : p.members) {
                out.add(users.get(member).snapshot());
            }
            return out;
        }
    }

    /** A page of the project's messages, newest first. */
    Page history(String userId, String projectId, int page, int perPage) {
        synchronized (lock) {
            ProjectRec p = visibleProject(userId, projectId);
            int total = p.messages.size();
            List<Message> out = new ArrayList<>();
            long from = (long) (page - 1) * perPage;
            for (long i = from; i < from + perPage && i < total; i++) {
                out.add(snapshot(p.messages.get(total - 1 - (int) i)));
            }
            return new Page(out, total, from + out.size() < total);
        }
    }

    /** Messages created or changed after {@code after}, oldest change first, at most {@code limit}. */
    Page latest(String userId, String projectId, Instant after, int limit) {
        synchronized (lock) {
            ProjectRec p = visibleProject(userId, projectId);
            NavigableMap<Instant, MessageRec> tail = p.byUpdate.tailMap(after, false);
            List<Message> out = new ArrayList<>(Math.min(limit, tail.size()));
            for (MessageRec m : tail.values()) {
                if (out.size() == limit) {
                    break;
                }
                out.add(snapshot(m));
            }
            return new Page(out, tail.size(), tail.size() > out.size());
        }
    }

    /** Whether anything visible to the user changed after {@code after}, and a stamp no later change can equal. */
    Status status(String userId, Instant after) {
        synchronized (lock) {
            boolean updated = after == null;
            Instant membership = membershipChanged.get(userId);
            if (membership != null && after != null && membership.isAfter(after)) {
                updated = true;
            }
            for (ProjectRec p : projects.values()) {
                if (updated) {
                    break;
                }
                if (!p.removed && p.members.contains(userId) && p.lastChange.isAfter(after)) {
                    updated = true;
                }
            }
            return new Status(updated, tick());
        }
    }

    List<Message> messages(String projectId) {
        synchronized (lock) {
            ProjectRec p = projects.get(projectId);
            if (p == null) {
                throw notFound("project not found: " + projectId);
            }
            List<Message> out = new ArrayList<>(p.messages.size());
            for (MessageRec m : p.messages) {
                out.add(snapshot(m));
            }
            return out;
        }
    }

    Message message(String messageId) {
        synchronized (lock) {
            return snapshot(anyMessage(messageId));
        }
    }

    // ---- writes ------------------------------------------------------------------------------------------------

    Message post(String userId, String projectId, String parentId, String body, List<String> attachmentIds,
                 List<Mention> mentions) {
        if (body == null) {
            throw badRequest("body: required");
        }
        if (body.length() > MAX_BODY_CHARS) {
            throw badRequest("body: longer than " + MAX_BODY_CHARS + " characters");
        }
        if (body.isBlank() && attachmentIds.isEmpty()) {
            throw badRequest("body: must not be empty without attachments");
        }
        synchronized (lock) {
            ProjectRec p = visibleProject(userId, projectId);
            String parent = null;
            if (parentId != null) {
                MessageRec pm = messages.get(parentId);
                if (pm == null || pm.project != p || pm.deleted) {
                    throw notFound("message not found in project " + projectId + ": " + parentId);
                }
                // Threads are one level deep: a reply to a reply joins the root's thread.
                parent = pm.parentId != null ? pm.parentId : pm.id;
            }
            List<Attachment> files = new ArrayList<>();
            for (String aid : attachmentIds) {
                AttachmentRec a = attachments.get(aid);
                if (a == null) {
                    throw badRequest("attachment_ids: unknown attachment " + aid);
                }
                files.add(a.meta);
            }
            List<Mention> ms = new ArrayList<>();
            for (Mention m : mentions) {
                ms.add(checkMention(m, p));
            }
            Instant t = tick();
            MessageRec m = new MessageRec(Long.toString(++messageSeq), p, parent, userId, body, t,
                    List.copyOf(files), List.copyOf(ms), null);
            p.add(m);
            messages.put(m.id, m);
            return snapshot(m);
        }
    }

    String injectRaw(String projectId, String rawJson) {
        synchronized (lock) {
            ProjectRec p = liveProject(projectId);
            Instant t = tick();
            MessageRec m = new MessageRec(Long.toString(++messageSeq), p, null, null, "", t, List.of(), List.of(),
                    rawJson);
            p.add(m);
            messages.put(m.id, m);
            return m.id;
        }
    }

    Message edit(String userId, String messageId, String body) {
        if (body == null) {
            throw badRequest("body: required");
        }
        if (body.length() > MAX_BODY_CHARS) {
            throw badRequest("body: longer than " + MAX_BODY_CHARS + " characters");
        }
        synchronized (lock) {
            MessageRec m = ownLiveMessage(userId, messageId, "edit");
            if (body.isBlank() && m.attachments.isEmpty()) {
                throw badRequest("body: must not be empty without attachments");
            }
            if (!body.equals(m.body)) {
                m.body = body;
                touch(m);
            }
            return snapshot(m);
        }
    }

    /** Deleting a deleted message again changes nothing and is not an error. */
    Message delete(String userId, String messageId) {
        synchronized (lock) {
            MessageRec m = visibleMessage(userId, messageId);
            if (m.deleted) {
                return snapshot(m);
            }
            if (!userId.equals(m.userId)) {
                throw forbidden("only the author may delete message " + messageId);
            }
            m.deleted = true;
            m.body = "";
            m.attachments = List.of();
            m.reactions.clear();
            touch(m);
            return snapshot(m);
        }
    }

    /** Gives or takes back the user's stamp; giving it twice or taking back a missing one changes nothing. */
    Message react(String userId, String messageId, String type, boolean add) {
        if (type == null || !REACTION_TYPES.contains(type)) {
            throw badRequest("type: must be one of " + REACTION_TYPES);
        }
        synchronized (lock) {
            MessageRec m = visibleMessage(userId, messageId);
            if (m.deleted) {
                throw notFound("message deleted: " + messageId);
            }
            Set<String> who = m.reactions.computeIfAbsent(type, k -> new LinkedHashSet<>());
            boolean changed = add ? who.add(userId) : who.remove(userId);
            if (who.isEmpty()) {
                m.reactions.remove(type);
            }
            if (changed) {
                touch(m);
            }
            return snapshot(m);
        }
    }

    Attachment upload(String userId, String name, String contentType, byte[] bytes) {
        String id;
        synchronized (lock) {
            user(userId);
            id = Long.toString(++attachmentSeq);
        }
        Attachment meta = new Attachment(id, name == null || name.isBlank() ? "file" : name,
                contentType == null || contentType.isBlank() ? "application/octet-stream" : contentType,
                bytes.length);
        attachments.put(id, new AttachmentRec(meta, userId, bytes.clone()));
        return meta;
    }

    /** The stored file, or null. The array is the stored one: callers must not change it. */
    AttachmentRec attachment(String id) {
        return id == null ? null : attachments.get(id);
    }

    // ---- helpers (call with the lock held) ---------------------------------------------------------------------

    private void touch(MessageRec m) {
        Instant t = tick();
        m.project.byUpdate.remove(m.updatedAt);
        m.updatedAt = t;
        m.project.byUpdate.put(t, m);
        m.project.lastChange = t;
    }

    private Mention checkMention(Mention m, ProjectRec p) {
        switch (m.type()) {
            case "user" -> {
                if (!users.containsKey(m.id())) {
                    throw badRequest("mentions: unknown user " + m.id());
                }
                return m;
            }
            case "station" -> {
                if (!stations.containsKey(m.id())) {
                    throw badRequest("mentions: unknown station " + m.id());
                }
                return m;
            }
            case "project" -> {
                if (m.id() != null && !m.id().equals(p.id)) {
                    throw badRequest("mentions: a project mention must name this project " + p.id);
                }
                return new Mention("project", p.id);
            }
            default -> throw badRequest("mentions: type must be one of " + MENTION_TYPES);
        }
    }

    private UserRec user(String id) {
        UserRec u = id == null ? null : users.get(id);
        if (u == null) {
            throw badRequest("unknown user " + id);
        }
        return u;
    }

    private ProjectRec liveProject(String id) {
        ProjectRec p = id == null ? null : projects.get(id);
        if (p == null || p.removed) {
            throw notFound("project not found: " + id);
        }
        return p;
    }

    private ProjectRec visibleProject(String userId, String projectId) {
        ProjectRec p = liveProject(projectId);
        if (!p.members.contains(userId)) {
            throw forbidden("not a member of project " + projectId);
        }
        return p;
    }

    private MessageRec anyMessage(String id) {
        MessageRec m = id == null ? null : messages.get(id);
        if (m == null) {
            throw notFound("message not found: " + id);
        }
        return m;
    }

    private MessageRec visibleMessage(String userId, String messageId) {
        MessageRec m = anyMessage(messageId);
        if (m.project.removed) {
            throw notFound("message not found: " + messageId);
        }
        if (!m.project.members.contains(userId)) {
            throw forbidden("not a member of the project of message " + messageId);
        }
        if (m.raw != null) {
            throw badRequest("message " + messageId + " cannot be changed");
        }
        return m;
    }

    private MessageRec ownLiveMessage(String userId, String messageId, String what) {
        MessageRec m = visibleMessage(userId, messageId);
        if (m.deleted) {
            throw notFound("message deleted: " + messageId);
        }
        if (!userId.equals(m.userId)) {
            throw forbidden("only the author may " + what + " message " + messageId);
        }
        return m;
    }

    private Message snapshot(MessageRec m) {
        Map<String, List<String>> reactions = new LinkedHashMap<>();
        for (String type : REACTION_TYPES) {
            Set<String> who = m.reactions.get(type);
            if (who != null && !who.isEmpty()) {
                reactions.put(type, List.copyOf(who));
            }
        }
        User author = m.userId == null ? null : users.get(m.userId).snapshot();
        return new Message(m.id, m.project.id, m.parentId, author, m.body, m.createdAt, m.updatedAt, m.deleted,
                m.attachments, Collections.unmodifiableMap(reactions), m.mentions, m.raw);
    }

    private static void requireText(String s, String what) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    // ---- records -----------------------------------------------------------------------------------------------

    record Page(List<Message> items, int total, boolean more) {
    }

    record Status(boolean updated, Instant timestamp) {
    }

    record AttachmentRec(Attachment meta, String uploaderId, byte[] bytes) {
    }

    private final class UserRec {
        final String id;
        final String lastName;
        final String firstName;
        final String stationId;
        final List<String> professions;

        UserRec(String id, String lastName, String firstName, String stationId, List<String> professions) {
            this.id = id;
            this.lastName = lastName;
            this.firstName = firstName;
            this.stationId = stationId;
            this.professions = professions;
        }

        User snapshot() {
            return new User(id, lastName, firstName, stationId == null ? null : stations.get(stationId),
                    professions);
        }
    }

    private static final class ProjectRec {
        final String id;
        final String type;
        final String name;
        final String patientId;
        final Instant createdAt;
        final Set<String> members = new LinkedHashSet<>();
        final List<MessageRec> messages = new ArrayList<>();
        /** Keyed by updated_at, which is unique: every stamp comes from the one monotonic tick. */
        final NavigableMap<Instant, MessageRec> byUpdate = new TreeMap<>();
        Instant lastChange;
        boolean removed;

        ProjectRec(String id, String type, String name, String patientId, Instant createdAt) {
            this.id = id;
            this.type = type;
            this.name = name;
            this.patientId = patientId;
            this.createdAt = createdAt;
            this.lastChange = createdAt;
        }

        void add(MessageRec m) {
            messages.add(m);
            byUpdate.put(m.updatedAt, m);
            lastChange = m.updatedAt;
        }

        Project snapshot() {
            return new Project(id, type, name, patientId, createdAt, lastChange, List.copyOf(members));
        }
    }

    private static final class MessageRec {
        final String id;
        final ProjectRec project;
        final String parentId;
        final String userId;
        final Instant createdAt;
        final List<Mention> mentions;
        final String raw;
        final Map<String, Set<String>> reactions = new HashMap<>();
        String body;
        Instant updatedAt;
        boolean deleted;
        List<Attachment> attachments;

        MessageRec(String id, ProjectRec project, String parentId, String userId, String body, Instant createdAt,
                   List<Attachment> attachments, List<Mention> mentions, String raw) {
            this.id = id;
            this.project = project;
            this.parentId = parentId;
            this.userId = userId;
            this.body = body;
            this.createdAt = createdAt;
            this.updatedAt = createdAt;
            this.attachments = attachments;
            this.mentions = mentions;
            this.raw = raw;
        }
    }
}
