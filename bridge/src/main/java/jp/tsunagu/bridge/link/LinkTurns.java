package jp.tsunagu.bridge.link;

import java.time.Duration;
import java.util.function.Supplier;

import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Mono;

/**
 * One task at a time per link, on one node. On this node the inbound poll and the outbound delivery of a link
 * never overlap, so a message the bridge posts is recorded as its own before a poll can see it come back (no
 * echo); across nodes a task runs only while this node holds the link's lease ({@link LinkLeases}), so a
 * link is worked by exactly one node at a time.
 */
public final class LinkTurns implements AutoCloseable {

    private final RoomLinearizer turns = new RoomLinearizer();
    private final LinkLeases leases;

    /** A single node: every link is this node's. */
    public LinkTurns() {
        this(LinkLeases.SINGLE_NODE);
    }

    public LinkTurns(LinkLeases leases) {
        this.leases = leases;
    }

    /** Runs the task on the link's turn if this node holds (or could take) its lease; else completes empty. */
    public <T> Mono<T> run(String linkId, Supplier<Mono<T>> task) {
        return turns.run(linkId, () -> leases.hold(linkId).flatMap(held -> held ? task.get() : Mono.<T>empty()));
    }

    /**
     * Renews this node's lease on the link from within its task; false once another node holds it. A long task
     * asks before each step with an effect elsewhere, since the lease taken at its start may have lapsed.
     */
    public Mono<Boolean> renew(String linkId) {
        return leases.hold(linkId);
    }

    /** Hands this node's links over at once (a clean shutdown) instead of after the lease time. */
    @Override
    public void close() {
        leases.releaseAll().onErrorComplete().block(Duration.ofSeconds(5));
    }
}
