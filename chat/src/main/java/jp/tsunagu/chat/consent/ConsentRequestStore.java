package jp.tsunagu.chat.consent;

import java.time.Instant;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Requests to share a scope of a resident's record. */
public interface ConsentRequestStore {

    Mono<ConsentRequest> insert(ConsentRequest request);

    Mono<ConsentRequest> findById(String id);

    /** The room's requests, newest first; {@code status} null for all. */
    Flux<ConsentRequest> ofRoom(String roomId, ConsentRequest.Status status);

    /**
     * Moves a pending request to {@code to}, atomically: empty if it is no longer pending (someone decided first).
     */
    Mono<ConsentRequest> decide(String id, ConsentRequest.Status to, Actor by, Instant at, String reason, String grantId);
}
