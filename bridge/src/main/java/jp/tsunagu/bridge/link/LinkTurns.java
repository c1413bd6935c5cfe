package jp.tsunagu.bridge.link;

import java.util.function.Supplier;

import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Mono;

/**
 * One task at a time per link: the inbound poll and the outbound delivery of a link never overlap, so a message
 * the bridge posts is recorded as its own before a poll can see it come back (no echo).
 */
public final class LinkTurns {

    private final RoomLinearizer turns = new RoomLinearizer();

    public <T> Mono<T> run(String linkId, Supplier<Mono<T>> task) {
        return turns.run(linkId, task);
    }
}
