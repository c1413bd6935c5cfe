package jp.tsunagu.bridge.config;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import io.micrometer.core.instrument.MeterRegistry;
import jp.tsunagu.bridge.api.BridgeAdminController;
import jp.tsunagu.bridge.api.BridgeWebhookController;
import jp.tsunagu.bridge.api.ConnectorAdminController;
import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.bridge.inbound.BridgeIdStore;
import jp.tsunagu.bridge.inbound.InboundAttachments;
import jp.tsunagu.bridge.inbound.InboundImporter;
import jp.tsunagu.bridge.inbound.InboundMapping;
import jp.tsunagu.bridge.inbound.InboundPoller;
import jp.tsunagu.bridge.inbound.QuarantineStore;
import jp.tsunagu.bridge.link.LinkHandler;
import jp.tsunagu.bridge.link.LinkStore;
import jp.tsunagu.bridge.link.LinkTurns;
import jp.tsunagu.bridge.metrics.BridgeBacklogProbe;
import jp.tsunagu.bridge.metrics.BridgeIndexes;
import jp.tsunagu.bridge.link.LinkLeases;
import jp.tsunagu.bridge.link.MongoLinkLeases;
import jp.tsunagu.bridge.link.RateShare;
import jp.tsunagu.chat.support.NodeIdentity;
import jp.tsunagu.bridge.outbound.DeadLetterHandler;
import jp.tsunagu.bridge.outbound.DeadLetterStore;
import jp.tsunagu.bridge.outbound.OutboundDelivery;
import jp.tsunagu.bridge.outbound.OutboundScheduler;
import jp.tsunagu.bridge.outbound.RetrySchedule;
import jp.tsunagu.chat.attachment.AttachmentStore;
import jp.tsunagu.chat.handler.DeliveryHandler;
import jp.tsunagu.chat.realtime.RoomEventHub;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import jp.tsunagu.bridge.link.MongoLinkStore;
import jp.tsunagu.bridge.metrics.BridgeMetrics;
import jp.tsunagu.chat.config.PublicPaths;
import jp.tsunagu.chat.handler.AttachmentHandler;
import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.realtime.StreamHandler;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.RoomLinearizer;
import jp.tsunagu.connectors.mcs.McsConnectorFactory;
import jp.tsunagu.connectors.mcs.McsConnectorProperties;
import jp.tsunagu.connectors.sns.SnsConnector;
import jp.tsunagu.connectors.webhook.WebhookConnector;
import jp.tsunagu.connectors.webhook.WebhookConnectorConfig;
import tools.jackson.databind.json.JsonMapper;

/** Wires the bridge: connector instances from configuration, stores, the importer, the poller, the admin API. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(BridgeProperties.class)
public class BridgeConfiguration {

    @Bean
    ConnectorRegistry connectorRegistry(BridgeProperties properties, JsonMapper json, Clock clock) {
        McsConnectorFactory mcs = new McsConnectorFactory(json, clock);
        List<SnsConnector> connectors = new ArrayList<>();
        // requests-per-second: the profile assumes ~10/s per account (MCS-STYLE-API.md); the default applies when unset.
        properties.mcs().instances().forEach(i -> connectors.add(mcs.create(new McsConnectorProperties(i.id(),
                i.baseUrl(), i.tokenUrl(), i.clientId(), i.clientSecret(), null, null,
                i.requestsPerSecond() == null ? 0 : i.requestsPerSecond(), 0, 0))));
        properties.webhook().instances().forEach(i -> connectors.add(new WebhookConnector(
                WebhookConnectorConfig.of(i.id(), i.url(), i.receiveKeys(), i.sendKeys()).withClock(clock))));
        return new ConnectorRegistry(connectors);
    }

    @Bean
    BridgeMetrics bridgeMetrics(MeterRegistry meters, ConnectorRegistry registry) {
        return new BridgeMetrics(meters, registry.all());
    }

    @Bean
    BridgeIndexes bridgeIndexes(ReactiveMongoTemplate mongo, ConnectorRegistry registry) {
        return new BridgeIndexes(mongo, registry.all().stream().map(c -> c.descriptor().instanceId()).toList());
    }

    /** After the backlog index exists, so its first count does not scan. */
    @Bean(destroyMethod = "close")
    @DependsOn("bridgeIndexes")
    BridgeBacklogProbe bridgeBacklogProbe(ConnectorRegistry registry, MessageStore messages, DeadLetterStore deadLetters,
                                          BridgeMetrics metrics, BridgeProperties properties) {
        return new BridgeBacklogProbe(registry, messages, deadLetters, metrics, properties.outbound().sweep());
    }

    @Bean
    InboundAttachments inboundAttachments(ConnectorRegistry registry, AttachmentHandler attachments,
                                          BridgeProperties properties) {
        return new InboundAttachments(registry, attachments, properties.attachmentMaxBytes().toBytes());
    }

    /** The signed-webhook endpoint authenticates by signature, not by bearer token. */
    @Bean
    PublicPaths bridgeWebhookPaths() {
        return new PublicPaths(List.of("/api/v1/bridge/webhooks/*"));
    }

    @Bean
    BridgeWebhookController bridgeWebhookController(ConnectorRegistry registry, InboundPoller poller,
                                                    BridgeMetrics metrics) {
        return new BridgeWebhookController(registry, poller, metrics);
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
                                    QuarantineStore quarantine, InboundAttachments attachments,
                                    BridgeProperties properties, BridgeMetrics metrics, Clock clock) {
        return new InboundImporter(handler, messages, ids, quarantine, attachments,
                new InboundMapping(properties.mappings()), metrics, clock);
    }

    /** Shares each SNS account's client-side rate limit among the nodes working its links, recounted every lease period. */
    @Bean(destroyMethod = "close")
    RateShare rateShare(LinkLeases leases, LinkStore links, ConnectorRegistry registry, BridgeProperties properties) {
        return new RateShare(leases, links, registry).start(properties.leaseTtl());
    }

    /** Links are worked by the node that holds their lease, so several nodes on one database never double up. */
    @Bean(destroyMethod = "close")
    LinkTurns linkTurns(LinkLeases leases) {
        return new LinkTurns(leases);
    }

    @Bean
    LinkLeases linkLeases(ReactiveMongoTemplate mongo, NodeIdentity node, BridgeProperties properties, Clock clock) {
        return new MongoLinkLeases(mongo, node.id(), properties.leaseTtl(), clock);
    }

    @Bean(destroyMethod = "close")
    InboundPoller inboundPoller(ConnectorRegistry registry, LinkStore links, InboundImporter importer,
                                QuarantineStore quarantine, LinkTurns turns, Clock clock, BridgeProperties properties) {
        InboundPoller poller = new InboundPoller(registry, links, importer, quarantine, turns, clock,
                properties.pollPeriod());
        if (properties.pollerEnabled()) {
            poller.start();
        }
        return poller;
    }

    @Bean
    DeadLetterStore deadLetterStore(ReactiveMongoTemplate mongo) {
        return new DeadLetterStore(mongo);
    }

    @Bean
    OutboundDelivery outboundDelivery(RoomStore rooms, RoomLinearizer linearizer, StreamHandler.StoredHead storedHead,
                                      MessageStore messages, AttachmentStore attachments,
                                      DeliveryHandler deliveries, BridgeIdStore ids, LinkStore links,
                                      DeadLetterStore deadLetters, HtmlSanitizer sanitizer, Clock clock,
                                      BridgeProperties properties) {
        BridgeProperties.Outbound o = properties.outbound();
        return new OutboundDelivery(rooms, linearizer, storedHead, messages, attachments, deliveries, ids, links, deadLetters, sanitizer,
                new RetrySchedule(o.retrySteps(), o.giveUpAfter()), properties.attachmentMaxBytes().toBytes(), clock);
    }

    /** Listens to the chat's events to wake the links of rooms with new changes. */
    @Bean(destroyMethod = "close")
    OutboundScheduler outboundScheduler(ConnectorRegistry registry, LinkStore links, OutboundDelivery delivery,
                                        LinkTurns turns, RoomEventHub hub, Clock clock, BridgeProperties properties) {
        BridgeProperties.Outbound o = properties.outbound();
        OutboundScheduler scheduler = new OutboundScheduler(registry, links, delivery, turns, clock, o.tick(), o.sweep());
        hub.addListener(scheduler::onEvent);
        if (o.enabled()) {
            scheduler.start();
        }
        return scheduler;
    }

    @Bean
    LinkHandler linkHandler(LinkStore links, RoomStore rooms, ConnectorRegistry registry, InboundImporter importer,
                            Clock clock, LinkLeases leases) {
        return new LinkHandler(links, rooms, registry, importer, clock, leases);
    }

    @Bean
    ConnectorAdminController connectorAdminController(ConnectorRegistry registry) {
        return new ConnectorAdminController(registry);
    }

    @Bean
    BridgeAdminController bridgeAdminController(LinkHandler links, DeadLetterHandler deadLetters,
                                                OutboundScheduler outbound) {
        return new BridgeAdminController(links, deadLetters, outbound);
    }

    @Bean
    DeadLetterHandler deadLetterHandler(DeadLetterStore letters, MessageStore messages, DeliveryHandler deliveries,
                                        OutboundScheduler scheduler, Clock clock) {
        return new DeadLetterHandler(letters, messages, deliveries, scheduler, clock);
    }
}
