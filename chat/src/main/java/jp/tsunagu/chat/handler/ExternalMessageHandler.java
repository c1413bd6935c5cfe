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

    private final RoomStore rooms;
    private final MessageStore messages;
    private final RoomLinearizer linearizer;
    private final RoomEventPublisher events;
    private final HtmlSanitizer sanitizer;
    private final Clock clock;

    public ExternalMessageHandler(RoomStore rooms, MessageStore messages, RoomLinearizer linearizer,
                                  RoomEventPublisher events, HtmlSanitizer sanitizer, Clock clock) {
        this.rooms = rooms;
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
        return "ext:" + instanceId + ":" + externalUserId;
    }

    /**
     * Imports a new external message into {@code roomId}; returns the stored message (the earlier one if it was
     * imported before, whatever its content now: changes come through {@link #importEdited}).
     *
     * @param localParentId the local id of the message this replies to, or null for a top-level message
     * @param quoteIfParentUnknown when the parent is not in the room: true imports the message top-level with
     *                             {@link #UNKNOWN_PARENT_QUOTE} above it; false refuses it (422 {@code parentId})
     */
    public Mono<MessageView> importCreated(String roomId, Message.Origin origin, String html, Instant createdAt,
                                           String localParentId, boolean quoteIfParentUnknown) {
        Objects.requireNonNull(origin, "origin");
        String id = localId(origin.instanceId(), origin.externalId());
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
                        .flatMap(place -> create(roomId, id, origin, html, createdAt, place)))))
                .onErrorResume(DuplicateKeyException.class, e -> messages.findById(id).map(MessageView::of));
    }

    /** Where an imported message goes in the room: its thread, or top-level with the unknown-parent quote. */
    private record Placement(String parentId, String threadRootId, boolean quote) {
    }

    private Mono<MessageView> create(String roomId, String id, Message.Origin origin, String html, Instant createdAt,
                                     Placement place) {
        String clean = sanitizer.clean(html == null ? "" : html);
        String text = text(clean);
        if (place.quote()) {
            clean = QUOTE_HTML + clean;
            text = UNKNOWN_PARENT_QUOTE + "\n" + text;
        }
        Message.Author author = author(origin);
        String storedHtml = clean.isEmpty() ? null : clean;
        String storedText = text;
        return rooms.nextSeq(roomId)
                .flatMap(seq -> messages.insert(new Message(id, roomId, seq, seq, Message.Change.CREATED, author,
                        storedText, storedHtml, place.parentId(), place.threadRootId(), Priority.NORMAL,
                        Message.Mentions.NONE, List.of(), List.of(), Map.of(), List.of(),
                        createdAt == null ? clock.instant() : createdAt, null, null,
                        Ids.derived(storedText, Objects.toString(storedHtml)), origin, null)))
                .flatMap(m -> rooms.recordLastMessage(roomId, new LastMessage(m.id(), m.seq(),
                        LastMessage.excerptOf(m.text()), author.displayName(), false, m.createdAt())).thenReturn(m))
                .map(m -> publish("message.created", m));
    }

    /**
     * Replaces an imported message's content. No change (same sanitised HTML) and deleted messages are returned
     * as they are, publishing nothing. 404 if there is no such message.
     */
    public Mono<MessageView> importEdited(String localMessageId, String html) {
        return onTurnOf(localMessageId, m -> {
            if (m.isDeleted()) {
                return Mono.just(MessageView.of(m));
            }
            String clean = sanitizer.clean(html == null ? "" : html);
            String storedHtml = clean.isEmpty() ? null : clean;
            String text = text(clean);
            // A quoted reply keeps its quote: compare and replace only the part that came from outside.
            if (m.html() != null && m.html().startsWith(QUOTE_HTML)) {
                storedHtml = QUOTE_HTML + clean;
                text = UNKNOWN_PARENT_QUOTE + "\n" + text;
            }
            if (Objects.equals(storedHtml, m.html()) && text.equals(m.text())) {
                return Mono.just(MessageView.of(m));
            }
            String newHtml = storedHtml;
            String newText = text;
            Instant now = clock.instant();
            return rooms.nextSeq(m.roomId())
                    .flatMap(seq -> messages.edit(m.id(), new Message.Edit(m.text(), m.html(),
                            m.editedAt() == null ? m.createdAt() : m.editedAt()), newText, newHtml, now, seq))
                    .map(edited -> publish("message.edited", edited));
        });
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

    private static Message.Author author(Message.Origin origin) {
        Message.ExternalAuthor a = origin.author();
        if (a == null) {
            return new Message.Author(externalUserId(origin.instanceId(), "unknown"), "(不明)", null, null, null);
        }
        return new Message.Author(externalUserId(origin.instanceId(), a.id()), a.displayName(),
                Profession.parse(a.profession()).orElse(null),
                a.stationId() == null ? null : externalUserId(origin.instanceId(), a.stationId()), a.stationName());
    }
}
