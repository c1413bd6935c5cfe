package jp.tsunagu.chat.handler;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.springframework.dao.DuplicateKeyException;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.api.Requests;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.realtime.RoomEventPublisher;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.LastMessage;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.RoomLinearizer;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import reactor.core.publisher.Mono;

/**
 * Messages that come from an external SNS through the bridge: created, edited and deleted there, stored and
 * published here exactly as local changes are (on the room's turn: next sequence number, one document, one
 * event).
 *
 * <p>The caller (the bridge) is trusted: there is no membership check, the external author has no local
 * account. The room must exist (404) and not be archived (409). Content longer than the API allows is a
 * 400 naming {@code html}. Imports are idempotent: the local id follows from (instance, external id)
 * ({@link #localId}), so importing the same message twice returns the stored one.
 */
public final class ExternalMessageHandler {

    /** Shown above a reply whose parent was never imported (older than the backfill, or refused). */
    public static final String UNKNOWN_PARENT_QUOTE = "> (返信先のメッセージは未取得)";
    private static final String QUOTE_HTML = "<blockquote>(返信先のメッセージは未取得)</blockquote>";
    /** Starts the notes below an imported body (see {@link #notesHtml}). */
    private static final String NOTES_MARKER = "<!--tsunagu:notes-->";
    /** Put before each note: it speaks of an attachment. */
    public static final String NOTE_SIGN = "📎 ";

    private final RoomStore rooms;
    private final MentionResolver mentions;
    private final MessageStore messages;
    private final RoomLinearizer linearizer;
    private final RoomEventPublisher events;
    private final HtmlSanitizer sanitizer;
    private final Clock clock;

    public ExternalMessageHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages,
                                  RoomLinearizer linearizer, RoomEventPublisher events, HtmlSanitizer sanitizer,
                                  Clock clock) {
        this.rooms = rooms;
        this.mentions = new MentionResolver(memberships);
        this.messages = messages;
        this.linearizer = linearizer;
        this.events = events;
        this.sanitizer = sanitizer;
        this.clock = clock;
    }

    /** The local id of the message {@code externalId} of connector instance {@code instanceId}. */
    public static String localId(String instanceId, String externalId) {
        return Ids.derived("external", instanceId, externalId);
    }

    /** The local user id standing for an external person: {@code ext:<instance>:<id>}. */
    public static String externalUserId(String instanceId, String externalUserId) {
        return EXTERNAL_PREFIX + instanceId + ":" + externalUserId;
    }

    private static final String EXTERNAL_PREFIX = "ext:";

    /** Whether a user or facility id stands for a person or station of an external SNS ({@link #externalUserId}). */
    public static boolean isExternalId(String id) {
        return id.startsWith(EXTERNAL_PREFIX);
    }

    /** The connector instance of an external id, or null if {@code id} is none. */
    public static String instanceOfExternalId(String id) {
        if (!isExternalId(id)) {
            return null;
        }
        int end = id.indexOf(':', EXTERNAL_PREFIX.length());
        return end > EXTERNAL_PREFIX.length() ? id.substring(EXTERNAL_PREFIX.length(), end) : null;
    }

    /**
     * An external message as the bridge hands it in, already mapped to local terms.
     *
     * @param html the body as the SNS sent it (sanitised again here)
     * @param localParentId the local id of the message this replies to, or null for a top-level message
     * @param mentions users, facilities and the room, in local ids; who they reach is resolved among the room's
     *                 members as for a post here, except that a mention reaching nobody is kept, not refused
     * @param attachments files already stored in the attachment store for this message
     * @param notes one line each, shown below the body: what could not be carried (a file too large, a download
     *              that failed), so that nothing disappears without a word
     * @param externalStamps stamp code to how many people of the SNS gave it, as {@link #importStamped} takes
     */
    public record Incoming(Message.Origin origin, String html, Instant createdAt, String localParentId,
                           Message.Mentions mentions, List<Message.AttachmentRef> attachments, List<String> notes,
                           Map<String, Integer> externalStamps) {

        public Incoming {
            Objects.requireNonNull(origin, "origin");
            mentions = mentions == null ? Message.Mentions.NONE : mentions;
            attachments = attachments == null ? List.of() : List.copyOf(attachments);
            notes = notes == null ? List.of() : List.copyOf(notes);
            externalStamps = externalStamps == null ? Map.of() : Map.copyOf(externalStamps);
        }
    }

    /**
     * Imports a new external message with only a body (no mentions, files or stamps); see
     * {@link #importCreated(String, Incoming, boolean)}.
     */
    public Mono<MessageView> importCreated(String roomId, Message.Origin origin, String html, Instant createdAt,
                                           String localParentId, boolean quoteIfParentUnknown) {
        return importCreated(roomId, new Incoming(origin, html, createdAt, localParentId, null, null, null, null),
                quoteIfParentUnknown);
    }

    /**
     * Imports a new external message into {@code roomId}; returns the stored message (the earlier one if it was
     * imported before, whatever its content now: changes come through {@link #importEdited} and
     * {@link #importStamped}).
     *
     * @param quoteIfParentUnknown when the parent is not in the room: true imports the message top-level with
     *                             {@link #UNKNOWN_PARENT_QUOTE} above it; false refuses it (422 {@code parentId})
     */
    public Mono<MessageView> importCreated(String roomId, Incoming in, boolean quoteIfParentUnknown) {
        String id = localId(in.origin().instanceId(), in.origin().externalId());
        String localParentId = in.localParentId();
        return linearizer.run(roomId, () -> writableRoom(roomId)
                .then(messages.findById(id))
                .map(MessageView::of)
                .switchIfEmpty(Mono.defer(() -> parent(roomId, localParentId)
                        .map(p -> new Placement(p.id(), p.threadRootId() == null ? p.id() : p.threadRootId(), false))
                        .switchIfEmpty(Mono.fromSupplier(() -> {
                            if (localParentId != null && !quoteIfParentUnknown) {
                                throw ApiException.unprocessable("parentId", "no such message in this room");
                            }
                            return new Placement(null, null, localParentId != null);
                        }))
                        .flatMap(place -> create(roomId, id, in, place)))))
                .onErrorResume(DuplicateKeyException.class, e -> messages.findById(id).map(MessageView::of));
    }

    /** Where an imported message goes in the room: its thread, or top-level with the unknown-parent quote. */
    private record Placement(String parentId, String threadRootId, boolean quote) {
    }

    private Mono<MessageView> create(String roomId, String id, Incoming in, Placement place) {
        Content content = content(in.html(), place.quote(), notesHtml(in.notes()));
        Message.Author author = authorOf(in.origin());
        Instant createdAt = in.createdAt() == null ? clock.instant() : in.createdAt();
        return mentions.resolve(roomId, author.userId(), in.mentions(), false, ignored -> false)
                .zipWith(rooms.audience(roomId).defaultIfEmpty(jp.tsunagu.chat.room.NotifyAudience.defaults(
                        jp.tsunagu.chat.room.RoomKind.GROUP)))
                .flatMap(t -> rooms.nextSeq(roomId, LastMessage.ahead(id, content.text(), author.displayName(), false,
                        createdAt)).flatMap(seq -> messages.insert(new Message(id, roomId, seq,
                        seq, Message.Change.CREATED, author, content.text(), content.html(), place.parentId(),
                        place.threadRootId(), Priority.NORMAL, in.mentions(), t.getT1(), in.attachments(), Map.of(),
                        List.of(), createdAt, null, null, Ids.derived(content.text(), Objects.toString(content.html())),
                        in.origin(), null, in.externalStamps().isEmpty() ? null : in.externalStamps()), t.getT2())))
                .map(m -> publish("message.created", m));
    }

    /** An imported message's stored form: the quote above, the notes below what came from outside. */
    private record Content(String html, String text) {
    }

    private Content content(String externalHtml, boolean quote, String notesHtml) {
        String clean = sanitizer.clean(externalHtml == null ? "" : externalHtml);
        String text = text(clean);
        String html = clean;
        if (quote) {
            html = QUOTE_HTML + html;
            text = UNKNOWN_PARENT_QUOTE + "\n" + text;
        }
        if (notesHtml != null) {
            html = html + notesHtml;
            String notes = sanitizer.toText(notesHtml);
            text = text.isEmpty() ? notes : text + "\n" + notes;
        }
        return new Content(html.isEmpty() ? null : html, text);
    }

    /**
     * The notes as HTML after {@link #NOTES_MARKER}: a comment, which sanitised HTML from outside never holds, so
     * an edit finds where the external part ends and keeps the notes.
     */
    private String notesHtml(List<String> notes) {
        if (notes.isEmpty()) {
            return null;
        }
        StringBuilder html = new StringBuilder(NOTES_MARKER);
        notes.forEach(n -> html.append("<p>").append(sanitizer.textToHtml(NOTE_SIGN + n)).append("</p>"));
        return html.toString();
    }

    /**
     * Replaces an imported message's content. No change (same sanitised HTML) and deleted messages are returned
     * as they are, publishing nothing. A quote of an unknown parent and notes about attachments stay. 404 if there
     * is no such message.
     */
    public Mono<MessageView> importEdited(String localMessageId, String html) {
        return onTurnOf(localMessageId, m -> {
            if (m.isDeleted()) {
                return Mono.just(MessageView.of(m));
            }
            boolean quote = m.html() != null && m.html().startsWith(QUOTE_HTML);
            int notesAt = m.html() == null ? -1 : m.html().indexOf(NOTES_MARKER);
            Content content = content(html, quote, notesAt < 0 ? null : m.html().substring(notesAt));
            if (Objects.equals(content.html(), m.html()) && content.text().equals(m.text())) {
                return Mono.just(MessageView.of(m));
            }
            Instant now = clock.instant();
            return rooms.nextSeq(m.roomId())
                    .flatMap(seq -> messages.edit(m.id(), new Message.Edit(m.text(), m.html(),
                            m.editedAt() == null ? m.createdAt() : m.editedAt()), content.text(), content.html(), now, seq))
                    .map(edited -> publish("message.edited", edited));
        });
    }

    /**
     * Sets how many people of the SNS gave each stamp ({@link Message#externalStamps()}), published as
     * {@code message.stamped}. Counts of 0 or less are left out; the same counts, or a deleted message, change
     * nothing. 404 if there is no such message.
     */
    public Mono<MessageView> importStamped(String localMessageId, Map<String, Integer> counts) {
        Map<String, Integer> wanted = positive(counts);
        return onTurnOf(localMessageId, m -> {
            if (m.isDeleted() || wanted.equals(positive(m.externalStamps()))) {
                return Mono.just(MessageView.of(m));
            }
            return rooms.nextSeq(m.roomId())
                    .flatMap(seq -> messages.externalStamps(m.id(), wanted, seq))
                    .map(stamped -> publish("message.stamped", stamped))
                    .switchIfEmpty(messages.findById(m.id()).map(MessageView::of));
        });
    }

    private static Map<String, Integer> positive(Map<String, Integer> counts) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        if (counts != null) {
            counts.forEach((code, n) -> {
                if (n != null && n > 0) {
                    out.put(code, n);
                }
            });
        }
        return out;
    }

    /** Deletes an imported message (content removed, the fact kept); deleting twice changes nothing. 404 if none. */
    public Mono<MessageView> importDeleted(String localMessageId) {
        return onTurnOf(localMessageId, m -> {
            if (m.isDeleted()) {
                return Mono.just(MessageView.of(m));
            }
            return rooms.nextSeq(m.roomId())
                    .flatMap(seq -> messages.delete(m.id(), m.author().userId(), clock.instant(), seq))
                    .map(deleted -> publish("message.deleted", deleted));
        });
    }

    /** Finds the message, then re-reads it on its room's turn so the change applies to its latest state. */
    private Mono<MessageView> onTurnOf(String localMessageId,
                                       java.util.function.Function<Message, Mono<MessageView>> change) {
        return messages.findById(localMessageId)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("message")))
                .flatMap(found -> linearizer.run(found.roomId(), () -> writableRoom(found.roomId())
                        .then(messages.findById(localMessageId))
                        .flatMap(change)));
    }

    private Mono<CareRoom> writableRoom(String roomId) {
        return rooms.findById(roomId)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("room")))
                .map(room -> {
                    if (room.archived()) {
                        throw ApiException.conflict("room-archived", "the room is archived and read-only");
                    }
                    return room;
                });
    }

    private Mono<Message> parent(String roomId, String localParentId) {
        return localParentId == null ? Mono.empty()
                : messages.findById(localParentId).filter(p -> p.roomId().equals(roomId));
    }

    private String text(String cleanHtml) {
        String text = sanitizer.toText(cleanHtml);
        if (text.length() > Requests.MAX_TEXT) {
            throw ApiException.invalid("html", "must be at most " + Requests.MAX_TEXT + " characters of text");
        }
        return text;
    }

    private MessageView publish(String type, Message m) {
        MessageView view = MessageView.of(m);
        events.publish(RoomEvent.message(type, view));
        return view;
    }

    /** The local author of an imported message: the external person as {@link #externalUserId}, with their station. */
    public static Message.Author authorOf(Message.Origin origin) {
        Message.ExternalAuthor a = origin.author();
        if (a == null) {
            return new Message.Author(externalUserId(origin.instanceId(), "unknown"), "(不明)", null, null, null);
        }
        return new Message.Author(externalUserId(origin.instanceId(), a.id()), a.displayName(),
                Profession.parse(a.profession()).orElse(null),
                a.stationId() == null ? null : externalUserId(origin.instanceId(), a.stationId()), a.stationName());
    }
}
