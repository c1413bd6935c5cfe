package jp.tsunagu.bridge.inbound;

import java.time.Clock;

import jp.tsunagu.bridge.link.BridgeLink;
import jp.tsunagu.chat.api.MessageView;
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
 * it if deleted there. Idempotent: applying the same message again changes nothing, so overlapping polls and
 * a backfill that overlaps the first poll are harmless.
 *
 * <p>Skipped: messages the bridge itself posted (a {@code bridge_ids} entry with direction {@code OUTBOUND}),
 * and deletions of messages never imported. A reply whose parent was never imported comes in top-level with
 * {@link ExternalMessageHandler#UNKNOWN_PARENT_QUOTE} instead of being dropped. Content the server refuses
 * (400/422, e.g. text too long) is quarantined and reported as {@link Outcome#QUARANTINED}; other failures
 * (room gone or archived, storage errors) are signalled, so the caller does not move its cursor past them.
 */
public final class InboundImporter {

    /** What applying a message did. */
    public enum Outcome {
        CREATED, EDITED, DELETED, UNCHANGED, SKIPPED_ECHO, SKIPPED, QUARANTINED
    }

    private final ExternalMessageHandler handler;
    private final MessageStore messages;
    private final BridgeIdStore ids;
    private final QuarantineStore quarantine;
    private final Clock clock;

    public InboundImporter(ExternalMessageHandler handler, MessageStore messages, BridgeIdStore ids,
                           QuarantineStore quarantine, Clock clock) {
        this.handler = handler;
        this.messages = messages;
        this.ids = ids;
        this.quarantine = quarantine;
        this.clock = clock;
    }

    public Mono<Outcome> apply(BridgeLink link, ExternalMessage m) {
        String instance = link.instanceId();
        String localId = ExternalMessageHandler.localId(instance, m.id());
        return ids.isOutbound(instance, m.id()).flatMap(echo -> {
            if (echo) {
                return Mono.just(Outcome.SKIPPED_ECHO);
            }
            return messages.findById(localId)
                    .flatMap(existing -> known(link, existing, m))
                    .switchIfEmpty(Mono.defer(() -> unknown(link, m)));
        }).onErrorResume(ApiException.class, e -> refused(e) ? quarantine(link, m, e.getMessage()) : Mono.error(e));
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
                .map(view -> view.changeSeq() == existing.changeSeq() ? Outcome.UNCHANGED : Outcome.EDITED);
    }

    private Mono<Outcome> unknown(BridgeLink link, ExternalMessage m) {
        if (m.deleted()) {
            return Mono.just(Outcome.SKIPPED);
        }
        // A reply there to a message the bridge posted goes under the local original.
        Mono<String> parent = m.parentId() == null ? Mono.just("") : ids.localIdOf(link.instanceId(), m.parentId());
        return parent.flatMap(p -> handler.importCreated(link.roomId(), origin(link.instanceId(), m), m.html(),
                        m.createdAt(), p.isEmpty() ? null : p, true))
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
