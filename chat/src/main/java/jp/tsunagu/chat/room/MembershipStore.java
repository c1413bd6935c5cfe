package jp.tsunagu.chat.room;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Storage of room memberships, active and past. */
public interface MembershipStore {

    Mono<Membership> find(String roomId, String userId);

    /** The membership if the user is an active member; empty otherwise. */
    Mono<Membership> findActive(String roomId, String userId);

    /** The active memberships among these ({@link Membership#idOf}), in one query. */
    Flux<Membership> findActive(java.util.Collection<String> membershipIds);

    Mono<Membership> save(Membership membership);

    Flux<Membership> activeMembers(String roomId);

    /** Active memberships of a user, at most {@code limit}. */
    Flux<Membership> activeOf(String userId, int limit);

    /** Memberships that changed after {@code seq}, oldest change first. */
    Flux<Membership> changedSince(String roomId, long seq, int limit);
}
