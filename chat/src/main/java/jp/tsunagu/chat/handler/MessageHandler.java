package jp.tsunagu.chat.handler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.springframework.dao.DuplicateKeyException;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.api.ReadView;
import jp.tsunagu.chat.api.Requests;
import jp.tsunagu.chat.attachment.Attachment;
import jp.tsunagu.chat.attachment.AttachmentStore;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.message.Acknowledgement;
import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.message.Delivery;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.message.ReadStore;
import jp.tsunagu.chat.message.Stamp;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.realtime.RoomEventPublisher;
import jp.tsunagu.chat.realtime.StreamHandler;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.LastMessage;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Posting, editing, deleting, stamping and reading messages.
 *
 * <p>Each change runs on its room's turn: check access, take the room's next sequence number, write one
 * document, publish the event. Errors: 404 room or message not visible; 400 invalid input (naming the
 * field); 403 acting on someone else's message; 409 archived room; 422 idempotency key reused with
 * different content, or a mention or attachment that does not fit the room.
 */
public final class MessageHandler {

    private final RoomStore rooms;
    private final MentionResolver mentionResolver;
    private final RequestAssignees requestAssignees;
    private final MessageStore messages;
    private final ReadStore reads;
    private final AttachmentStore attachments;
    private final RoomAccess access;
    private final RoomLinearizer linearizer;
    private final RoomEventPublisher events;
    private final HtmlSanitizer sanitizer;
    private final Clock clock;
    private final int roomQueueLimit;
    private final Duration roomBusyRetryAfter;
    private final Duration escalateAfter;

    public MessageHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, ReadStore reads,
                          AttachmentStore attachments, RoomAccess access, RoomLinearizer linearizer,
                          RoomEventPublisher events, HtmlSanitizer sanitizer, Clock clock) {
        this(rooms, memberships, messages, reads, attachments, access, linearizer, events, sanitizer, clock,
                Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ofMinutes(15));
    }

    /**
     * @param roomQueueLimit changes a room may have waiting for its turn; a change beyond that is refused at
     *                       once with 429 and {@code Retry-After: roomBusyRetryAfter} (admission control)
     * @param escalateAfter how long an urgent message may wait for its acknowledgements before it escalates
     */
    public MessageHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, ReadStore reads,
                          AttachmentStore attachments, RoomAccess access, RoomLinearizer linearizer,
                          RoomEventPublisher events, HtmlSanitizer sanitizer, Clock clock, int roomQueueLimit,
                          Duration roomBusyRetryAfter, Duration escalateAfter) {
        this.escalateAfter = escalateAfter;
        this.roomQueueLimit = roomQueueLimit;
        this.roomBusyRetryAfter = roomBusyRetryAfter;
        this.rooms = rooms;
        this.mentionResolver = new MentionResolver(memberships);
        this.requestAssignees = new RequestAssignees(memberships);
        this.messages = messages;
        this.reads = reads;
        this.attachments = attachments;
        this.access = access;
        this.linearizer = linearizer;
        this.events = events;
        this.sanitizer = sanitizer;
        this.clock = clock;
    }

    /** The stored message and whether it was stored before (a retried request). */
    public record Posted(MessageView message, boolean replayed) {
    }

    /**
     * Posts a message. With an idempotency key the message id follows from (user, key): a retry, even after
     * a restart or on another node, returns the stored message and never creates a second one.
     */
    public Mono<Posted> post(CareUser user, String roomId, Requests.PostMessage request, String idempotencyKey) {
        return post(user, roomId, request, idempotencyKey, null);
    }

    /**
     * Posts an excerpt card: a message whose text says what is shared and whose {@code excerpt} holds only the
     * references. The caller (the consent service) has checked the grant; the usual post rules apply.
     */
    public Mono<Posted> postExcerpt(CareUser user, String roomId, String text, Message.Excerpt excerpt,
                                    String idempotencyKey) {
        return post(user, roomId, new Requests.PostMessage(text, null, null, null, null, null), idempotencyKey,
                excerpt);
    }

    private Mono<Posted> post(CareUser user, String roomId, Requests.PostMessage request, String idempotencyKey,
                              Message.Excerpt excerpt) {
        Ids.require("roomId", roomId);
        Content content = content(request.text(), request.html(), request.attachmentIds());
        Priority priority = priority(request.priority());
        String parentId = request.parentId() == null ? null : Ids.require("parentId", request.parentId());
        List<String> attachmentIds = distinctIds("attachmentIds", request.attachmentIds());
        Requests.MentionsInput mentionsIn = request.mentions();
        Message.Mentions mentions = mentionsIn == null ? Message.Mentions.NONE
                : new Message.Mentions(userIds("mentions.users", mentionsIn.users()),
                        userIds("mentions.facilities", mentionsIn.facilities()), Boolean.TRUE.equals(mentionsIn.room()));
        String key = idempotencyKey(idempotencyKey);
        RequestAssignees.Draft draft = request.request() == null ? null
                : RequestAssignees.draft(request.request(), clock.instant());
        if (request.acknowledgers() != null && priority != Priority.URGENT) {
            throw ApiException.invalid("acknowledgers", "only an urgent message asks for acknowledgement");
        }
        CareRequest.Assignees acknowledgers = request.acknowledgers() == null ? null
                : RequestAssignees.spec(request.acknowledgers(), "acknowledgers");
        String requestHash = Ids.derived(content.text(), Objects.toString(content.html()), Objects.toString(parentId),
                priority.name(), mentions.toString(), attachmentIds.toString(), Objects.toString(excerpt),
                Objects.toString(draft), Objects.toString(acknowledgers));
        String id = key == null ? Ids.newId() : Ids.derived("message", user.id(), key);

        // Membership is checked first (404 for non-members); whether the room still exists and is not archived
        // is checked by the same command that takes its sequence number (RoomAccess.nextSeqForWrite).
        return turn(roomId, () -> access.requireMembership(user, roomId)
                .flatMap(member -> {
                    Mono<Posted> fresh = Mono.defer(() -> create(user, roomId, member, id, content, priority, parentId,
                            attachmentIds, mentions, requestHash, excerpt, draft, acknowledgers));
                    // Without a key the id is a new ObjectId that cannot exist yet: looking it up would only cost
                    // a database round trip on the room's turn (measured with the load tool, docs/BENCHMARKS.md).
                    return key == null ? fresh : messages.findById(id)
                            .map(existing -> replay(existing, roomId, requestHash))
                            .switchIfEmpty(fresh);
                }))
                .onErrorResume(DuplicateKeyException.class, e -> messages.findById(id)
                        .map(existing -> replay(existing, roomId, requestHash)));
    }

    private Posted replay(Message existing, String roomId, String requestHash) {
        if (!existing.roomId().equals(roomId) || !existing.requestHash().equals(requestHash)) {
            throw ApiException.unprocessable("Idempotency-Key", "was already used for a different message");
        }
        return new Posted(MessageView.of(existing), true);
    }

    private Mono<Posted> create(CareUser user, String roomId, Membership member, String id, Content content,
                                Priority priority, String parentId, List<String> attachmentIds,
                                Message.Mentions mentions, String requestHash, Message.Excerpt excerpt,
                                RequestAssignees.Draft draft, CareRequest.Assignees acknowledgers) {
        Mono<String> threadRoot = parentId == null ? Mono.just("") : messages.findById(parentId)
                .filter(p -> p.roomId().equals(roomId))
                .switchIfEmpty(Mono.error(() -> ApiException.unprocessable("parentId", "no such message in this room")))
                .map(p -> p.threadRootId() == null ? p.id() : p.threadRootId());
        Mono<List<Message.AttachmentRef>> refs = Flux.fromIterable(attachmentIds)
                .index()
                .concatMap(ia -> attachments.find(ia.getT2())
                        .filter(a -> a.roomId().equals(roomId) && a.uploadedBy().equals(user.id()))
                        .switchIfEmpty(Mono.error(() -> ApiException.unprocessable("attachmentIds[" + ia.getT1() + "]",
                                "no attachment of yours in this room")))
                        .map(MessageHandler::ref))
                .collectList();
        Mono<List<String>> mentioned = resolveMentions(roomId, user.id(), mentions);
        Instant asked = clock.instant();
        Mono<java.util.Optional<CareRequest>> careRequest = draft == null
                ? Mono.just(java.util.Optional.empty())
                : requestAssignees.resolve(roomId, user.id(), draft, asked).map(java.util.Optional::of);
        Mono<List<String>> mustAcknowledge = priority != Priority.URGENT ? Mono.just(List.of())
                : acknowledgers != null
                        ? requestAssignees.members(roomId, user.id(), acknowledgers, "acknowledgers").map(RequestAssignees.Reached::userIds)
                        : mentioned.flatMap(m -> requestAssignees.defaultAcknowledgers(roomId, user.id(), m));
        return Mono.zip(threadRoot, refs, mentioned, careRequest, mustAcknowledge)
                .flatMap(t -> {
                    Instant now = clock.instant();
                    LastMessage preview = LastMessage.ahead(id, content.text(), member.displayName(),
                            priority == Priority.URGENT, now);
                    return access.nextSeqForWrite(roomId, preview).flatMap(taken -> {
                        long seq = taken.seq();
                        // Nobody to ask (the doctor posting in a room with no other clinician): nothing to escalate.
                        Acknowledgement acknowledgement = t.getT5().isEmpty() ? null
                                : new Acknowledgement(t.getT5(), List.of(), 0, now.plus(escalateAfter), List.of());
                        Message m = new Message(id, roomId, seq, seq, Message.Change.CREATED, author(member),
                                content.text(), content.html(), parentId, t.getT1().isEmpty() ? null : t.getT1(), priority,
                                mentions, t.getT3(), t.getT2(), Map.of(), List.of(), now, null, null, requestHash, null,
                                pendingDeliveries(taken.bridges(), now), null, excerpt, t.getT4().orElse(null),
                                acknowledgement);
                        return insertCreated(m, taken.audience());
                    });
                })
                .map(view -> new Posted(view, false));
    }

    /**
     * Stores a new message on the room's turn (its preview was written with its number) and tells the room and
     * whoever wants to hear.
     */
    private Mono<MessageView> insertCreated(Message m, jp.tsunagu.chat.room.NotifyAudience audience) {
        return messages.insert(m, audience).map(stored -> publish("message.created", stored));
    }

    /** An id of a person or station of an SNS the room is bridged to: {@code ext:<instance>:<id>}. */
    private static boolean ofBridgedSns(List<String> bridges, String id) {
        String instance = ExternalMessageHandler.instanceOfExternalId(id);
        return instance != null && bridges != null && bridges.contains(instance);
    }

    /** A message posted in a bridged room is pending for each SNS it goes to, from its first write on. */
    private static Map<String, Delivery> pendingDeliveries(List<String> bridges, Instant now) {
        if (bridges == null || bridges.isEmpty()) {
            return null;
        }
        Map<String, Delivery> out = new LinkedHashMap<>();
        bridges.forEach(instance -> out.put(instance, Delivery.pending(now)));
        return out;
    }

    /**
     * Everyone a mention reaches: named members, members of named facilities, or the whole room. People and
     * stations of an SNS the room is bridged to ({@code ext:<instance>:<id>}) may be named too: the bridge
     * mentions them there; here they reach no one.
     */
    private Mono<List<String>> resolveMentions(String roomId, String authorId, Message.Mentions mentions) {
        // The room is read only for a mention of an SNS person or station: the common post skips that command.
        boolean namesElsewhere = mentions.users().stream().anyMatch(ExternalMessageHandler::isExternalId)
                || mentions.facilities().stream().anyMatch(ExternalMessageHandler::isExternalId);
        Mono<List<String>> bridges = namesElsewhere
                ? rooms.findById(roomId).map(r -> r.bridges() == null ? List.<String>of() : r.bridges())
                        .defaultIfEmpty(List.of())
                : Mono.just(List.of());
        return bridges.flatMap(b -> mentionResolver.resolve(roomId, authorId, mentions, true, id -> ofBridgedSns(b, id)));
    }

    /** The author of notices the service itself posts (no member wrote them). */
    public static final Message.Author SERVICE_AUTHOR = new Message.Author("service:tsunagu", "つなぐ (お知らせ)", null,
            null, null);

    /**
     * Posts a notice from the service into a room, urgent and mentioning everyone, so every member (the
     * resident and family included) is told: e.g. that someone opened the resident's emergency record. The id
     * makes it idempotent; a retry returns the stored notice. 409 if the room is archived, 404 if it is gone.
     */
    public Mono<MessageView> postNotice(String roomId, String id, String text) {
        return postNotice(roomId, id, text, new Message.Mentions(List.of(), List.of(), true));
    }

    /**
     * As {@link #postNotice(String, String, String)}, mentioning only {@code mentions} (e.g. who has not yet
     * acknowledged an urgent message). Idempotent on several nodes too: a second node's insert of the same id
     * finds the first one's notice.
     */
    public Mono<MessageView> postNotice(String roomId, String id, String text, Message.Mentions mentions) {
        return turn(roomId, () -> messages.findById(id).map(MessageView::of)
                .switchIfEmpty(Mono.defer(() -> mentionResolver.resolve(roomId, SERVICE_AUTHOR.userId(), mentions, false,
                                other -> false)
                        .flatMap(mentioned -> {
                            Instant now = clock.instant();
                            LastMessage preview = LastMessage.ahead(id, text, SERVICE_AUTHOR.displayName(), true, now);
                            return access.nextSeqForWrite(roomId, preview).flatMap(taken -> {
                                Message m = new Message(id, roomId, taken.seq(), taken.seq(), Message.Change.CREATED,
                                        SERVICE_AUTHOR, text, null, null, null, Priority.URGENT, mentions, mentioned,
                                        List.of(), Map.of(), List.of(), now, null, null, Ids.derived(text), null,
                                        pendingDeliveries(taken.bridges(), now));
                                return insertCreated(m, taken.audience());
                            });
                        }))))
                .onErrorResume(DuplicateKeyException.class, e -> messages.findById(id).map(MessageView::of));
    }

    /** Edits one's own message; the previous version stays in the history members can read. */
    public Mono<MessageView> edit(CareUser user, String roomId, String messageId, Requests.EditMessage request) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        return turn(roomId, () -> access.requireWritable(user, roomId)
                .then(messages.inRoom(roomId, messageId))
                .flatMap(m -> {
                    if (!m.author().userId().equals(user.id())) {
                        throw ApiException.forbidden("only the author may edit a message");
                    }
                    if (m.isDeleted()) {
                        throw ApiException.conflict("message-deleted", "the message was deleted");
                    }
                    Content content = content(request.text(), request.html(),
                            m.attachments() == null ? List.of() : m.attachments().stream().map(Message.AttachmentRef::id).toList());
                    if (content.text().equals(m.text()) && Objects.equals(content.html(), m.html())) {
                        return Mono.just(MessageView.of(m));
                    }
                    Instant now = clock.instant();
                    return rooms.nextSeq(roomId)
                            .flatMap(seq -> messages.edit(messageId, new Message.Edit(m.text(), m.html(),
                                    m.editedAt() == null ? m.createdAt() : m.editedAt()), content.text(), content.html(), now, seq))
                            .flatMap(edited -> refreshLastMessage(edited).thenReturn(edited))
                            .map(edited -> publish("message.edited", edited));
                }));
    }

    /** Deletes a message (author or room owner): content removed, who and when kept. */
    public Mono<MessageView> delete(CareUser user, String roomId, String messageId) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        return turn(roomId, () -> access.requireWritable(user, roomId)
                .flatMap(member -> messages.inRoom(roomId, messageId).flatMap(m -> {
                    boolean mayDelete = m.author().userId().equals(user.id()) || member.membership().role().canManage();
                    if (!mayDelete) {
                        throw ApiException.forbidden("only the author or a room owner may delete a message");
                    }
                    if (m.isDeleted()) {
                        return Mono.just(MessageView.of(m));
                    }
                    return rooms.nextSeq(roomId)
                            .flatMap(seq -> messages.delete(messageId, user.id(), clock.instant(), seq))
                            .flatMap(deleted -> refreshLastMessage(deleted).thenReturn(deleted))
                            .map(deleted -> publish("message.deleted", deleted));
                })));
    }

    /** Gives ({@code add}) or takes back one's stamp; doing what is already done changes nothing. */
    public Mono<MessageView> stamp(CareUser user, String roomId, String messageId, String stampCode, boolean add) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        Stamp stamp = Stamp.parse(stampCode).orElseThrow(() -> ApiException.invalid("stamp",
                "must be one of viewed, accepted, thanked, good, completed"));
        return turn(roomId, () -> access.requireWritable(user, roomId)
                .then(messages.inRoom(roomId, messageId))
                .flatMap(m -> {
                    if (m.isDeleted()) {
                        throw ApiException.conflict("message-deleted", "the message was deleted");
                    }
                    if (add) {
                        return give(m, user, stamp);
                    }
                    if (!MessageActs.stampedBy(m, stamp, user.id())) {
                        return Mono.just(MessageView.of(m));
                    }
                    return rooms.nextSeq(roomId)
                            .flatMap(seq -> messages.stamp(messageId, stamp, user.id(), false, seq))
                            .map(stamped -> publish("message.stamped", stamped))
                            .switchIfEmpty(messages.findById(messageId).map(MessageView::of));
                }));
    }

    /**
     * Gives a stamp with everything it means in the same write: an assignee's 承知/完了 moves the request, and a
     * required person's 見ました/承知/完了 acknowledges an urgent message.
     */
    private Mono<MessageView> give(Message m, CareUser user, Stamp stamp) {
        Instant now = clock.instant();
        CareRequest request = m.request();
        CareRequest.State moved = request == null ? null : request.movedBy(stamp, user.id());
        CareRequest next = moved == null ? null : request.moved(moved, user.id(), now, null);
        boolean acknowledging = MessageActs.ACKNOWLEDGING.contains(stamp);
        if (!MessageActs.changes(m, user.id(), stamp, next, acknowledging)) {
            return Mono.just(MessageView.of(m));
        }
        Mono<MessageView> raced = next == null ? messages.findById(m.id()).map(MessageView::of)
                : Mono.error(() -> ApiException.conflict("request-state", "the request changed meanwhile; read it again"));
        return rooms.nextSeq(m.roomId())
                .flatMap(seq -> messages.apply(MessageActs.of(m, user.id(), stamp, next, acknowledging, now, seq)))
                .map(changed -> publish(StreamHandler.messageType(changed.lastChange()), changed))
                .switchIfEmpty(raced);
    }

    /**
     * Acknowledges an urgent message without a stamp (the explicit call). 403 for someone it does not ask; doing
     * it again changes nothing.
     */
    public Mono<MessageView> acknowledge(CareUser user, String roomId, String messageId) {
        Ids.require("roomId", roomId);
        Ids.require("messageId", messageId);
        return turn(roomId, () -> access.requireWritable(user, roomId)
                .then(messages.inRoom(roomId, messageId))
                .flatMap(m -> {
                    if (m.isDeleted()) {
                        throw ApiException.conflict("message-deleted", "the message was deleted");
                    }
                    if (m.acknowledgement() == null || !m.acknowledgement().isRequired(user.id())) {
                        throw ApiException.forbidden("this message does not ask you to acknowledge it");
                    }
                    if (m.acknowledgement().isAcknowledgedBy(user.id())) {
                        return Mono.just(MessageView.of(m));
                    }
                    Instant now = clock.instant();
                    return rooms.nextSeq(roomId)
                            .flatMap(seq -> messages.apply(MessageActs.of(m, user.id(), null, null, true, now, seq)))
                            .map(changed -> publish("message.acknowledged", changed))
                            .switchIfEmpty(messages.findById(messageId).map(MessageView::of));
                }));
    }

    /**
     * Moves the caller's read position forward to {@code upToSeq} (clamped to the room's latest number).
     * Never moves it back; a position already reached changes nothing and publishes nothing.
     */
    public Mono<ReadView> markRead(CareUser user, String roomId, long upToSeq) {
        Ids.require("roomId", roomId);
        return turn(roomId, () -> access.require(user, roomId).flatMap(member -> {
            long target = Math.min(upToSeq, member.room().seq());
            return reads.find(roomId, user.id())
                    .filter(r -> r.upToSeq() >= target)
                    .map(ReadView::of)
                    .switchIfEmpty(Mono.defer(() -> rooms.nextSeq(roomId).flatMap(seq -> {
                        Membership m = member.membership();
                        return reads.save(new ReadReceipt(Membership.idOf(roomId, user.id()), roomId, user.id(),
                                m.displayName(), m.profession(), m.facilityId(), target, seq, clock.instant()));
                    }).map(saved -> {
                        ReadView view = ReadView.of(saved);
                        events.publish(RoomEvent.read(view));
                        return view;
                    })));
        }));
    }

    /** The room's turn, refused with 429 when too many changes of the room are already waiting. */
    private <T> Mono<T> turn(String roomId, java.util.function.Supplier<Mono<T>> task) {
        return linearizer.run(roomId, roomQueueLimit, () -> ApiException.roomBusy(roomBusyRetryAfter), task);
    }

    private MessageView publish(String type, Message m) {
        MessageView view = MessageView.of(m);
        events.publish(RoomEvent.message(type, view));
        return view;
    }

    private Mono<Void> refreshLastMessage(Message m) {
        return rooms.refreshPreview(m.roomId(), m.id(), LastMessage.excerptOf(m.text()));
    }

    private static Message.Author author(Membership m) {
        return new Message.Author(m.userId(), m.displayName(), m.profession(), m.facilityId(), m.facilityName());
    }

    /** The room list's preview of a stored message. */
    static LastMessage lastMessage(Message m) {
        return new LastMessage(m.id(), m.seq(), LastMessage.excerptOf(m.text()), m.author().displayName(),
                m.priority() == Priority.URGENT, m.createdAt());
    }

    private static Message.AttachmentRef ref(Attachment a) {
        return new Message.AttachmentRef(a.id(), a.name(), a.contentType(), a.size(), a.thumbnailFileId() != null);
    }

    private record Content(String text, String html) {
    }

    /** Sanitises HTML and derives the always-kept plain text; some content is required. */
    private Content content(String text, String html, List<String> attachmentIds) {
        String cleanHtml = html == null || html.isBlank() ? null : sanitizer.clean(html);
        String plain = text == null || text.isBlank() ? (cleanHtml == null ? "" : sanitizer.toText(cleanHtml)) : text.strip();
        if (plain.isEmpty() && (attachmentIds == null || attachmentIds.isEmpty())) {
            throw ApiException.invalid("text", "must not be empty");
        }
        if (plain.length() > Requests.MAX_TEXT) {
            throw ApiException.invalid("text", "must be at most " + Requests.MAX_TEXT + " characters");
        }
        return new Content(plain, cleanHtml);
    }

    private static Priority priority(String value) {
        if (value == null || value.isBlank() || value.equalsIgnoreCase("normal")) {
            return Priority.NORMAL;
        }
        if (value.equalsIgnoreCase("urgent")) {
            return Priority.URGENT;
        }
        throw ApiException.invalid("priority", "must be normal or urgent");
    }

    private static List<String> distinctIds(String field, List<String> ids) {
        if (ids == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            String id = Ids.require(field + "[" + i + "]", ids.get(i));
            if (!out.contains(id)) {
                out.add(id);
            }
        }
        return out;
    }

    private static List<String> userIds(String field, List<String> ids) {
        if (ids == null) {
            return List.of();
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            out.put(Ids.requireUserId(field + "[" + i + "]", ids.get(i)), true);
        }
        return List.copyOf(out.keySet());
    }

    /** Idempotency keys are client-chosen (a UUID in practice); bounded so they cannot bloat storage. */
    private static String idempotencyKey(String key) {
        if (key == null) {
            return null;
        }
        if (key.isBlank() || key.length() > 200) {
            throw ApiException.invalid("Idempotency-Key", "must be 1-200 characters");
        }
        return key;
    }
}
