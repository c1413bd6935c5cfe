package jp.tsunagu.bridge.link;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Storage of bridge links; each method is one single-document operation or one query. */
public interface LinkStore {

    /** Inserts; fails with {@code DuplicateKeyException} if the (room, instance) link exists, active or not. */
    Mono<BridgeLink> insert(BridgeLink link);

    /** Replaces a link document as a whole (re-linking an inactive link). */
    Mono<BridgeLink> replace(BridgeLink link);

    Mono<BridgeLink> findById(String id);

    /** Every link, active or not. */
    Flux<BridgeLink> all();

    Flux<BridgeLink> active();

    /** The active link of an external room through an instance, if any. */
    Mono<BridgeLink> activeFor(String instanceId, String externalRoomId);

    /** Moves the inbound cursor of an active link; empty if it is gone or inactive. */
    Mono<BridgeLink> saveCursor(String id, String cursor);

    /** Moves the outbound cursor forward to {@code seq} (never back); empty if there is no such link. */
    Mono<BridgeLink> advanceOutbound(String id, long seq);

    /** Marks the link inactive; empty if there is none. */
    Mono<BridgeLink> deactivate(String id);
}
