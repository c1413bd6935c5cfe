package jp.tsunagu.bridge.link;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;

import jp.tsunagu.bridge.inbound.InboundImporter;
import jp.tsunagu.chat.handler.AdminAccess;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.connectors.sns.ConnectorException;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.SnsConnector;
import jp.tsunagu.bridge.connector.ConnectorRegistry;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Linking care rooms to external rooms, for system administrators.
 *
 * <p>Errors: 403 without the {@code system_admin} role; 400 invalid input naming the field; 404 unknown room
 * or link; 409 room archived, or already linked (this room through this instance, or that external room to
 * another room); 422 unknown connector instance ({@code instanceId}) or an external room the integration
 * account cannot see ({@code externalRoomId}); 502 the SNS could not be reached (nothing is stored then).
 */
public final class LinkHandler {

    /** Default backfill: about a screenful of recent history, enough context for people joining the room. */
    public static final int DEFAULT_BACKFILL = 20;
    /** Largest backfill: one page of the MCS profile's history call (the connector asks at most 100). */
    public static final int MAX_BACKFILL = 100;
    private static final int MAX_EXTERNAL_ID = 200;

    private final LinkStore links;
    private final RoomStore rooms;
    private final ConnectorRegistry registry;
    private final InboundImporter importer;
    private final Clock clock;
    private final LinkLeases leases;

    /** One node: every link is worked here. */
    public LinkHandler(LinkStore links, RoomStore rooms, ConnectorRegistry registry, InboundImporter importer,
                       Clock clock) {
        this(links, rooms, registry, importer, clock, LinkLeases.SINGLE_NODE);
    }

    /** @param leases which node works each link, shown in the list */
    public LinkHandler(LinkStore links, RoomStore rooms, ConnectorRegistry registry, InboundImporter importer,
                       Clock clock, LinkLeases leases) {
        this.leases = leases;
        this.links = links;
        this.rooms = rooms;
        this.registry = registry;
        this.importer = importer;
        this.clock = clock;
    }

    /** A link request; {@code backfill} null means {@link #DEFAULT_BACKFILL}. */
    public record LinkRequest(String roomId, String instanceId, String externalRoomId, Integer backfill) {
    }

    /**
     * A link as administrators see it; {@code backfilled} is set only in the answer to creating it, {@code workedBy}
     * (the node holding the link's lease, null when none does) only in the list.
     */
    public record LinkView(String id, String roomId, String instanceId, String externalRoomId, String cursor,
                           String createdBy, java.time.Instant createdAt, boolean active, long linkedAtSeq,
                           long outboundSeq, Integer backfilled, String workedBy) {

        static LinkView of(BridgeLink l, Integer backfilled) {
            return of(l, backfilled, null);
        }

        static LinkView of(BridgeLink l, Integer backfilled, String workedBy) {
            return new LinkView(l.id(), l.roomId(), l.instanceId(), l.externalRoomId(), l.cursor(), l.createdBy(),
                    l.createdAt(), l.active(), l.linkedAtSeq(), l.outboundSeq(), backfilled, workedBy);
        }
    }

    /**
     * Links the room, then imports the last {@code backfill} external messages oldest first. The inbound
     * cursor is taken from the SNS <em>before</em> the backfill is read, so anything posted in between comes
     * with the first poll (imports are idempotent, so the overlap is harmless).
     */
    public Mono<LinkView> link(CareUser user, LinkRequest request) {
        requireAdmin(user);
        if (request == null) {
            throw ApiException.invalid("roomId", "must be given");
        }
        String roomId = Ids.require("roomId", request.roomId());
        String instanceId = text("instanceId", request.instanceId());
        String externalRoomId = text("externalRoomId", request.externalRoomId());
        int backfill = request.backfill() == null ? DEFAULT_BACKFILL : request.backfill();
        if (backfill < 0 || backfill > MAX_BACKFILL) {
            throw ApiException.invalid("backfill", "must be 0-" + MAX_BACKFILL);
        }
        SnsConnector connector = registry.find(instanceId)
                .orElseThrow(() -> ApiException.unprocessable("instanceId", "no such connector instance"));
        String id = BridgeLink.idOf(roomId, instanceId);

        Mono<CareRoom> checks = rooms.findById(roomId)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("room")))
                .flatMap(room -> {
                    if (room.archived()) {
                        return Mono.error(ApiException.conflict("room-archived", "the room is archived and read-only"));
                    }
                    return links.findById(id).filter(BridgeLink::active)
                            .flatMap(l -> Mono.<Void>error(alreadyLinked("the room is already linked through " + instanceId)))
                            .then(links.activeFor(instanceId, externalRoomId)
                                    .flatMap(l -> Mono.<Void>error(alreadyLinked("that external room is linked to another room"))))
                            .thenReturn(room);
                });
        // The room is marked bridged before its sequence number is taken as the link's start: a message posted
        // after that number is pending for the SNS from its first write.
        return checks
                .then(connector.changes(externalRoomId, null).onErrorMap(ConnectorException.class, LinkHandler::unavailable))
                .flatMap(start -> history(connector, externalRoomId, backfill)
                        .flatMap(older -> rooms.setBridged(roomId, instanceId, true)
                                .flatMap(room -> store(new BridgeLink(id, roomId, instanceId, externalRoomId, start.next(),
                                        user.id(), clock.instant(), true, room.seq(), room.seq())))
                                .flatMap(link -> backfill(link, older))));
    }

    /** Imports the backfill oldest first; the answer counts what was new. */
    private Mono<LinkView> backfill(BridgeLink link, List<ExternalMessage> older) {
        return Flux.fromIterable(older)
                .concatMap(m -> importer.apply(link, m))
                .filter(o -> o == InboundImporter.Outcome.CREATED)
                .count()
                .map(n -> LinkView.of(link, n.intValue()));
    }

    /** Every link, active or not, with the node working it. */
    public Mono<List<LinkView>> list(CareUser user) {
        requireAdmin(user);
        return leases.holders().flatMap(holders -> links.all()
                .map(l -> LinkView.of(l, null, holders.get(l.id()))).collectList());
    }

    /** One link; 404 if there is none. */
    public Mono<LinkView> get(CareUser user, String linkId) {
        requireAdmin(user);
        Ids.require("linkId", linkId);
        return links.findById(linkId)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("link")))
                .map(l -> LinkView.of(l, null));
    }

    /** Stops mirroring; the imported messages stay. 404 if there is no such link. */
    public Mono<LinkView> unlink(CareUser user, String linkId) {
        requireAdmin(user);
        Ids.require("linkId", linkId);
        return links.deactivate(linkId)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("link")))
                .flatMap(l -> rooms.setBridged(l.roomId(), l.instanceId(), false).thenReturn(LinkView.of(l, null)));
    }

    /** Oldest first. */
    private Mono<List<ExternalMessage>> history(SnsConnector connector, String externalRoomId, int backfill) {
        if (backfill == 0) {
            return Mono.just(List.of());
        }
        return connector.history(externalRoomId, backfill).collectList()
                .map(newestFirst -> {
                    List<ExternalMessage> out = new ArrayList<>(newestFirst);
                    Collections.reverse(out);
                    return out;
                })
                .onErrorMap(ConnectorException.class, LinkHandler::unavailable);
    }

    /** Inserts, or re-activates an unlinked one (a fresh document with the new cursor). */
    private Mono<BridgeLink> store(BridgeLink link) {
        return links.insert(link)
                .onErrorResume(DuplicateKeyException.class, e -> links.findById(link.id())
                        .flatMap(existing -> existing.active()
                                ? Mono.error(alreadyLinked("the room is already linked through " + link.instanceId()))
                                : links.replace(link)));
    }

    private static Throwable unavailable(ConnectorException e) {
        if (e instanceof ConnectorException.Rejected r && (r.status() == 403 || r.status() == 404)) {
            return ApiException.unprocessable("externalRoomId", "not visible to the integration account");
        }
        return new ApiException(HttpStatus.BAD_GATEWAY, "connector-unavailable",
                "the external SNS could not be reached: " + e.getMessage(), List.of());
    }

    private static ApiException alreadyLinked(String detail) {
        return ApiException.conflict("already-linked", detail);
    }

    /** The bridge admin API is for system administrators only (403 otherwise). */
    public static void requireAdmin(CareUser user) {
        AdminAccess.require(user, "only system administrators manage the bridge");
    }

    private static String text(String field, String value) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalid(field, "must not be empty");
        }
        if (value.length() > MAX_EXTERNAL_ID) {
            throw ApiException.invalid(field, "must be at most " + MAX_EXTERNAL_ID + " characters");
        }
        return value;
    }
}
