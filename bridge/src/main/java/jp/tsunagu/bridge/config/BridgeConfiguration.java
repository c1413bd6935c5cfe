package jp.tsunagu.bridge.config;

import java.time.Clock;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import jp.tsunagu.bridge.api.BridgeAdminController;
import jp.tsunagu.bridge.api.ConnectorAdminController;
import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.inbound.BridgeIdStore;
import jp.tsunagu.bridge.inbound.InboundImporter;
import jp.tsunagu.bridge.inbound.InboundPoller;
import jp.tsunagu.bridge.inbound.QuarantineStore;
import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.bridge.link.LinkStore;
import jp.tsunagu.bridge.link.MongoLinkStore;
import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.connectors.mcs.McsConnectorFactory;
import jp.tsunagu.connectors.mcs.McsConnectorProperties;
import tools.jackson.databind.json.JsonMapper;

/** Wires the bridge: connector instances from configuration, stores, the importer, the poller, the admin API. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(BridgeProperties.class)
public class BridgeConfiguration {

    @Bean
    ConnectorRegistry connectorRegistry(BridgeProperties properties, JsonMapper json, Clock clock) {
        McsConnectorFactory mcs = new McsConnectorFactory(json, clock);
        return new ConnectorRegistry(properties.mcs().instances().stream()
                .map(i -> mcs.create(McsConnectorProperties.of(i.id(), i.baseUrl(), i.tokenUrl(), i.clientId(),
                        i.clientSecret())))
                .toList());
    }

    @Bean
    LinkStore linkStore(ReactiveMongoTemplate mongo) {
        return new MongoLinkStore(mongo);
    }

    @Bean
    BridgeIdStore bridgeIdStore(ReactiveMongoTemplate mongo) {
        return new BridgeIdStore(mongo);
    }

    @Bean
    QuarantineStore quarantineStore(ReactiveMongoTemplate mongo) {
        return new QuarantineStore(mongo);
    }

    @Bean
    InboundImporter inboundImporter(ExternalMessageHandler handler, MessageStore messages, BridgeIdStore ids,
                                    QuarantineStore quarantine, Clock clock) {
        return new InboundImporter(handler, messages, ids, quarantine, clock);
    }

    @Bean(destroyMethod = "close")
    InboundPoller inboundPoller(ConnectorRegistry registry, LinkStore links, InboundImporter importer,
                                QuarantineStore quarantine, Clock clock, BridgeProperties properties) {
        InboundPoller poller = new InboundPoller(registry, links, importer, quarantine, clock, properties.pollPeriod());
        if (properties.pollerEnabled()) {
            poller.start();
        }
        return poller;
    }

    @Bean
    LinkHandler linkHandler(LinkStore links, RoomStore rooms, ConnectorRegistry registry, InboundImporter importer,
                            Clock clock) {
        return new LinkHandler(links, rooms, registry, importer, clock);
    }

    @Bean
    ConnectorAdminController connectorAdminController(ConnectorRegistry registry) {
        return new ConnectorAdminController(registry);
    }

    @Bean
    BridgeAdminController bridgeAdminController(LinkHandler links) {
        return new BridgeAdminController(links);
    }
}
