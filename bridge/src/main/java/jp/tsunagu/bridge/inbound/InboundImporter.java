package jp.tsunagu.bridge.inbound;

import java.time.Clock;
import java.util.Comparator;
import java.util.Map;

import jp.tsunagu.bridge.link.BridgeLink;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import jp.tsunagu.bridge.outbound.OutboundRenderer;
import jp.tsunagu.bridge.metrics.BridgeMetrics;
import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.connectors.sns.ExternalMember;
import jp.tsunagu.connectors.sns.ExternalMessage;
import reactor.core.publisher.Mono;

/**
 * Applies one external message to the linked room: create it if unknown, edit it if known and changed, delete
 * it if deleted there, update its stamp counts if they changed. Idempotent: applying the same message again
 * changes nothing, so overlapping polls, pushed webhooks and a backfill that overlaps the first poll are harmless.
 *
 * <p>A new message comes with its mentions ({@link InboundMapping}: users, stations as facilities, everyone as
 * the room; who they reach is resolved among the room's members, as for posts here, so they appear in those
 * members' "mentioned me" lists), its files ({@link InboundAttachments}: stored, or a note on the message saying
 * why not) and its stamp counts. Mentions and files are taken when the message is first imported, as posts here
 * fix them when posted; later changes bring the body, the deletion and the stamp counts.
 *
 * <p>Messages the bridge itself posted (a {@code bridge_ids} entry with direction {@code OUTBOUND}) are not
 * imported; only the stamp counts the SNS shows on them are applied to the local original. Deletions of
 * messages never imported are skipped. A reply whose parent was never imported comes in top-level with
 * {@link ExternalMessageHandler#UNKNOWN_PARENT_QUOTE} instead of being dropped. Content the server refuses
 * (400/422, e.g. text too long) is quarantined and reported as {@link Outcome#QUARANTINED}; other failures
 * (room gone or archived, storage errors) are signalled, so the caller does not move its cursor past them.
 * Every outcome is counted in {@link BridgeMetrics}.
 */
public final class InboundImporter {

    /** What applying a message did. */
    public enum Outcome {
        CREATED, EDITED, DELETED, STAMPED, UNCHANGED, SKIPPED_ECHO, SKIPPED, QUARANTINED
    }

    private final ExternalMessageHandler handler;
    private final MessageStore messages;
    private final BridgeIdStore ids;
    private final QuarantineStore quarantine;
    private final InboundAttachments attachments;
    private final InboundMapping mapping;
    private final BridgeMetrics metrics;
    private final Clock clock;

    /** An importer that carries no files and maps no users or stations, with metrics in memory only. */
    public InboundImporter(ExternalMessageHandler handler, MessageStore messages, BridgeIdStore ids,
                           QuarantineStore quarantine, Clock clock) {
        this(handler, messages, ids, quarantine, InboundAttachments.none(), InboundMapping.none(),
                BridgeMetrics.inMemory(), clock);
    }

    public InboundImporter(ExternalMessageHandler handler, MessageStore messages, BridgeIdStore ids,
                           QuarantineStore quarantine, InboundAttachments attachments, InboundMapping mapping,
                           BridgeMetrics metrics, Clock clock) {
        this.handler = handler;
        this.messages = messages;
        this.ids = ids;
        this.quarantine = quarantine;
        this.attachments = attachments;
        this.mapping = mapping;
        this.metrics = metrics;
        this.clock = clock;
    }

    public BridgeMetrics metrics() {
        return metrics;
    }

    public Mono<Outcome> apply(BridgeLink link, ExternalMessage m) {
        String instance = link.instanceId();
        String localId = ExternalMessageHandler.localId(instance, m.id());
        return ids.find(instance, m.id())
                .filter(entry -> entry.direction() == BridgeId.Direction.OUTBOUND)
                .flatMap(echo -> echoStamps(echo, m))
                .switchIfEmpty(Mono.defer(() -> messages.findById(localId)
                        .flatMap(existing -> known(link, existing, m))
                        .switchIfEmpty(Mono.defer(() -> unknown(link, m)))))
                .onErrorResume(ApiException.class, e -> refused(e) ? quarantine(link, m, e.getMessage()) : Mono.error(e))
                .doOnNext(outcome -> metrics.inbound(instance, outcome));
    }

    /** A message the bridge posted, seen again: not imported, but the stamps people gave it there are shown. */
    private Mono<Outcome> echoStamps(BridgeId echo, ExternalMessage m) {
        if (echo.localMessageId() == null) {
            return Mono.just(Outcome.SKIPPED_ECHO);
        }
        return messages.findById(echo.localMessageId())
                .flatMap(local -> stamps(local, m, Outcome.SKIPPED_ECHO))
                .defaultIfEmpty(Outcome.SKIPPED_ECHO);
    }

    private Mono<Outcome> known(BridgeLink link, Message existing, ExternalMessage m) {
        if (!existing.roomId().equals(link.roomId())) {
            return quarantine(link, m, "already imported into another room");
        }
        if (m.deleted()) {
            return existing.isDeleted() ? Mono.just(Outcome.UNCHANGED)
                    : handler.importDeleted(existing.id()).thenReturn(Outcome.DELETED);
        }
        return handler.importEdited(existing.id(), m.html())
                .flatMap(view -> view.changeSeq() == existing.changeSeq()
                        ? stamps(existing, m, Outcome.UNCHANGED)
                        : stamps(existing, m, Outcome.EDITED).thenReturn(Outcome.EDITED));
    }

    /** Applies the message's stamp counts; {@code otherwise} when they did not change. */
    private Mono<Outcome> stamps(Message local, ExternalMessage m, Outcome otherwise) {
        Map<String, Integer> counts = InboundMapping.stamps(m.reactions());
        long before = local.changeSeq();
        return handler.importStamped(local.id(), counts)
                .map(view -> view.changeSeq() != before ? Outcome.STAMPED : otherwise);
    }

    private Mono<Outcome> unknown(BridgeLink link, ExternalMessage m) {
        if (m.deleted()) {
            return Mono.just(Outcome.SKIPPED);
        }
        // A post of the bridge whose answer was lost (crash, time-out) comes back before the bridge knows its id:
        // it is recognised by its content and mapped to the local message, never imported as someone else's.
        // A local message already mapped to an external post (adopted by the outbound side) is not a candidate:
        // one local message is at most one post there. Of identical awaiting messages, the oldest takes it.
        return messages.postsAwaitingConfirmation(link.roomId(), link.instanceId())
                .filter(local -> OutboundRenderer.isPostOf(local, m.html(), SANITIZER))
                .sort(Comparator.comparingLong(Message::seq))
                .concatMap(local -> ids.outboundOf(link.instanceId(), local.id()).hasElement()
                        .filter(mapped -> !mapped).map(x -> local))
                .next()
                .flatMap(local -> ids.insert(new BridgeId(BridgeId.idOf(link.instanceId(), m.id()), link.instanceId(),
                                m.id(), local.id(), BridgeId.Direction.OUTBOUND, clock.instant()))
                        .onErrorResume(org.springframework.dao.DuplicateKeyException.class, e -> Mono.empty())
                        .thenReturn(Outcome.SKIPPED_ECHO))
                .switchIfEmpty(Mono.defer(() -> create(link, m)));
    }

    /** Only reads text ({@link HtmlSanitizer#toText}): stateless, one for all. */
    private static final HtmlSanitizer SANITIZER = new HtmlSanitizer();

    private Mono<Outcome> create(BridgeLink link, ExternalMessage m) {
        String instance = link.instanceId();
        // A reply there to a message the bridge posted goes under the local original.
        Mono<String> parent = m.parentId() == null ? Mono.just("") : ids.localIdOf(instance, m.parentId());
        Message.Origin origin = origin(instance, m);
        return parent.flatMap(p -> attachments.fetch(instance, link.roomId(), ExternalMessageHandler.authorOf(origin).userId(),
                        m.attachments())
                .flatMap(files -> handler.importCreated(link.roomId(), new ExternalMessageHandler.Incoming(origin,
                        m.html(), m.createdAt(), p.isEmpty() ? null : p, mapping.mentions(instance, m.mentions()),
                        files.attachments(), files.notes(), InboundMapping.stamps(m.reactions())), true)))
                .thenReturn(Outcome.CREATED);
    }

    private static boolean refused(ApiException e) {
        int status = e.status().value();
        return status == 400 || status == 422;
    }

    private Mono<Outcome> quarantine(BridgeLink link, ExternalMessage m, String reason) {
        String payload = m.toString();
        return quarantine.keep(new QuarantinedItem(Ids.derived("quarantine", link.id(), m.id(), payload), link.id(),
                        link.instanceId(), link.externalRoomId(), m.id(), payload, reason, clock.instant()))
                .thenReturn(Outcome.QUARANTINED);
    }

    /** The external author as the SNS names them; the first profession that is one of ours is preferred. */
    static Message.Origin origin(String instanceId, ExternalMessage m) {
        ExternalMember a = m.author();
        if (a == null) {
            return new Message.Origin(instanceId, m.id(), null);
        }
        String profession = a.professions().stream().filter(p -> Profession.parse(p).isPresent()).findFirst()
                .orElse(a.professions().isEmpty() ? null : a.professions().get(0));
        return new Message.Origin(instanceId, m.id(), new Message.ExternalAuthor(a.id(), a.displayName(), profession,
                a.station() == null ? null : a.station().id(), a.station() == null ? null : a.station().name()));
    }
}
