package jp.tsunagu.bridge.link;

import java.util.Map;

import reactor.core.publisher.Mono;

/**
 * Which node works a link. With several server nodes on one database, a link's inbound poll and outbound
 * delivery must run on exactly one of them at a time (two pollers would import twice; two senders would post
 * twice). A node works a link only while it holds the link's lease.
 */
public interface LinkLeases {

    /** One node, nothing to share: every link is always this node's. */
    LinkLeases SINGLE_NODE = new LinkLeases() {
        @Override
        public Mono<Boolean> hold(String linkId) {
            return Mono.just(true);
        }

        @Override
        public Mono<Void> releaseAll() {
            return Mono.empty();
        }

        @Override
        public Mono<Map<String, String>> holders() {
            return Mono.just(Map.of());
        }
    };

    /**
     * Takes or renews this node's lease on the link. True when this node holds it now and for at least two thirds
     * of the lease time from now; false when another node holds an unexpired lease.
     */
    Mono<Boolean> hold(String linkId);

    /** Gives up every lease this node holds (a graceful shutdown), so another node takes over at once. */
    Mono<Void> releaseAll();

    /** The node holding each link's live lease, by link id; links nobody holds are absent. For administrators. */
    Mono<Map<String, String>> holders();
}
