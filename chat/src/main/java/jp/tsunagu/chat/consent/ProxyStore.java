package jp.tsunagu.chat.consent;

import java.time.Instant;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Family proxies recorded per resident. */
public interface ProxyStore {

    /** Records (or records again, after an end) a proxy. */
    Mono<ProxyAuthority> save(ProxyAuthority proxy);

    /** The active proxy record of this person for this resident; empty if none. */
    Mono<ProxyAuthority> findActive(String residentId, String userId);

    Flux<ProxyAuthority> ofResident(String residentId);

    /** Ends an active record; empty if there was none. */
    Mono<ProxyAuthority> end(String residentId, String userId, Actor by, Instant at);
}
