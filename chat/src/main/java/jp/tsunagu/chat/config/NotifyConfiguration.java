package jp.tsunagu.chat.config;

import java.time.Clock;
import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import jp.tsunagu.chat.api.NotificationController;
import jp.tsunagu.chat.handler.NotificationHandler;
import jp.tsunagu.chat.handler.RoomAccess;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.NotificationQueue;
import jp.tsunagu.chat.message.MongoReadStore;
import jp.tsunagu.chat.notify.MongoNotificationStore;
import jp.tsunagu.chat.notify.MongoNotifyProfileStore;
import jp.tsunagu.chat.notify.NotificationMetrics;
import jp.tsunagu.chat.notify.NotificationPlanner;
import jp.tsunagu.chat.notify.NotificationSender;
import jp.tsunagu.chat.notify.NotificationStore;
import jp.tsunagu.chat.notify.Notifier;
import jp.tsunagu.chat.notify.NotifyProfileStore;
import jp.tsunagu.chat.notify.VapidKeyStore;
import jp.tsunagu.chat.realtime.RoomEventHub;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.MongoLeases;
import jp.tsunagu.chat.support.NodeIdentity;
import jp.tsunagu.connectors.push.VapidKeys;
import jp.tsunagu.connectors.push.WebPushSender;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wires push notifications: the queue, the people's profiles, the VAPID keys, the Web Push client (the I/O edge,
 * with its circuit breakers) and the sender, and the queue the message store enqueues into.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(NotifyProperties.class)
public class NotifyConfiguration {

    private static final Logger log = LoggerFactory.getLogger(NotifyConfiguration.class);
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(30);

    @Bean
    NotifyProfileStore notifyProfileStore(ReactiveMongoTemplate mongo) {
        return new MongoNotifyProfileStore(mongo);
    }

    @Bean
    NotificationStore notificationStore(ReactiveMongoTemplate mongo) {
        return new MongoNotificationStore(mongo);
    }

    @Bean
    NotificationMetrics notificationMetrics() {
        return new NotificationMetrics();
    }

    /** Configured, or made on the first start and kept in the database (the same on every node). */
    @Bean
    VapidKeys vapidKeys(NotifyProperties properties, ReactiveMongoTemplate mongo) {
        NotifyProperties.Vapid vapid = properties.vapid();
        if (vapid.publicKey() != null && vapid.privateKey() != null) {
            return new VapidKeys(vapid.publicKey(), vapid.privateKey());
        }
        return new VapidKeyStore(mongo).keys().block(STARTUP_WAIT);
    }

    @Bean(destroyMethod = "close")
    WebPushSender webPushSender(VapidKeys keys, NotifyProperties properties, Clock clock) {
        if (properties.vapid().subject().endsWith(".invalid")) {
            log.warn("tsunagu.notify.vapid.subject is not set: push services may refuse the server's pushes "
                    + "(set a mailto: or https: contact of the operators)");
        }
        return new WebPushSender(keys, properties.vapid().subject(), properties.connectTimeout(),
                properties.responseTimeout(), clock);
    }

    @Bean(destroyMethod = "close")
    NotificationSender notificationSender(NotificationStore queue, NotifyProfileStore profiles,
                                          ObjectProvider<MessageStore> messages, MembershipStore memberships,
                                          RoomStore rooms, WebPushSender push,
                                          ReactiveMongoTemplate mongo, NodeIdentity node, NotifyProperties properties,
                                          NotificationMetrics metrics, JsonMapper json, Clock clock, RoomEventHub hub,
                                          Environment env) {
        // Read positions are only read here; the read store that tells of reads is built on this sender's queue.
        NotificationSender sender = new NotificationSender(queue, profiles, id -> messages.getObject().findById(id),
                memberships, new MongoReadStore(mongo), rooms, push,
                new MongoLeases(mongo, ChatConfiguration.LEASES, node.id(), ChatConfiguration.JOB_LEASE, clock),
                properties.shards(), new NotificationSender.Settings(properties.urgentRepeatEvery(),
                        properties.urgentRepeats(), properties.keepFinished(), properties.messageTtl()),
                metrics, json, clock);
        if (properties.enabled()) {
            if (EventLogProperties.ThroughTheLog.matches(env)) {
                // Several nodes: a message written on another node is sent at once by the node holding its
                // people's shards, not at its next round.
                hub.addListener(event -> {
                    if ("message.created".equals(event.type()) || "request.changed".equals(event.type())
                            || "message.escalated".equals(event.type())) {
                        JsonNode id = json.readTree(event.json()).path("message").path("id");
                        if (id.isString()) {
                            sender.landedElsewhere(id.asString());
                        }
                    }
                });
            }
            sender.start(properties.poll());
        }
        return sender;
    }

    /** What the message and read stores tell of their writes; nothing when notifications are off. */
    @Bean
    NotificationQueue notificationQueue(NotifyProperties properties, NotificationStore queue, NotificationSender sender,
                                        Clock clock) {
        if (!properties.enabled()) {
            return NotificationQueue.NONE;
        }
        return new Notifier(new NotificationPlanner(properties.shards(), properties.dueReminderBefore()), queue, sender,
                clock);
    }

    @Bean
    NotificationHandler notificationHandler(NotifyProfileStore profiles, RoomStore rooms, MembershipStore memberships,
                                            RoomAccess access, VapidKeys keys, NotifyProperties properties, Clock clock) {
        return new NotificationHandler(profiles, rooms, memberships, access, keys.publicKey(),
                properties.endpointHosts(), properties.allowHttp(), clock);
    }

    @Bean
    NotificationController notificationController(NotificationHandler notifications) {
        return new NotificationController(notifications);
    }
}
