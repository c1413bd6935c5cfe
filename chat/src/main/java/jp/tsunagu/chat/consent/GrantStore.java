package jp.tsunagu.chat.consent;

import java.time.Instant;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Consent grant versions. Versions are only ever inserted. */
public interface GrantStore {

    /** Inserts a version; fails with {@code DuplicateKeyException} if that version of the grant exists. */
    Mono<ConsentGrant> insert(ConsentGrant version);

    /** The grant's current (highest) version; empty if there is no such grant. */
    Mono<ConsentGrant> current(String grantId);

    /** Every version, oldest first. */
    Flux<ConsentGrant> versions(String grantId);

    /** The current version of each grant of a room, newest decision first. */
    Flux<ConsentGrant> currentOfRoom(String roomId);

    /** Active versions whose validity ends in {@code (after, upTo]}: candidates for the expiry announcement. */
    Flux<ConsentGrant> activeEndingBetween(Instant after, Instant upTo);
}
