package jp.tsunagu.ops.nodes;

import java.time.Clock;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import jp.tsunagu.bridge.link.LinkLeases;
import jp.tsunagu.chat.realtime.RoomEventFeed;
import jp.tsunagu.chat.realtime.RoomEventHub;
import jp.tsunagu.chat.support.NodeIdentity;
import jp.tsunagu.chat.support.RoomLinearizer;

/** The node directory; its admin endpoint ({@link NodeController}) is found by component scanning. */
@Configuration(proxyBeanMethods = false)
public class NodeConfiguration {

    @Bean(destroyMethod = "close")
    NodeDirectory nodeDirectory(ReactiveMongoTemplate mongo, LinkLeases leases, NodeIdentity node, RoomEventHub hub,
                                RoomLinearizer linearizer, ObjectProvider<RoomEventFeed> feed, Clock clock) {
        return new NodeDirectory(mongo, leases, node.id(), hub, linearizer, feed.getIfAvailable(), clock).start();
    }
}
