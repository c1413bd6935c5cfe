package jp.tsunagu.chat.config;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Primary;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.context.annotation.Import;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.http.codec.json.JacksonJsonDecoder;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.result.method.annotation.ArgumentResolverConfigurer;

import jp.tsunagu.chat.api.AttachmentController;
import jp.tsunagu.chat.api.InboxController;
import jp.tsunagu.chat.api.MessageController;
import jp.tsunagu.chat.api.PinController;
import jp.tsunagu.chat.api.RequestController;
import jp.tsunagu.chat.api.RoomController;
import jp.tsunagu.chat.api.StreamController;
import jp.tsunagu.chat.attachment.AttachmentStore;
import jp.tsunagu.chat.attachment.GridFsAttachmentStore;
import jp.tsunagu.chat.attachment.MediaInspector;
import jp.tsunagu.chat.handler.AttachmentHandler;
import jp.tsunagu.chat.handler.DeliveryHandler;
import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.escalation.UrgentEscalator;
import jp.tsunagu.chat.handler.InboxHandler;
import jp.tsunagu.chat.handler.MessageHandler;
import jp.tsunagu.chat.handler.PinHandler;
import jp.tsunagu.chat.handler.RequestHandler;
import jp.tsunagu.chat.handler.RoomAccess;
import jp.tsunagu.chat.handler.RoomHandler;
import jp.tsunagu.chat.handler.TimelineHandler;
import jp.tsunagu.chat.identity.CareUserResolver;
import jp.tsunagu.chat.identity.ClaimNames;
import jp.tsunagu.chat.identity.CurrentUser;
import jp.tsunagu.chat.message.BookmarkStore;
import jp.tsunagu.chat.message.InboxBackfill;
import jp.tsunagu.chat.message.InboxStore;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.MongoInboxStore;
import jp.tsunagu.chat.message.MongoBookmarkStore;
import jp.tsunagu.chat.message.MongoMessageStore;
import jp.tsunagu.chat.message.MongoReadStore;
import jp.tsunagu.chat.message.NotificationQueue;
import jp.tsunagu.chat.message.ReadStore;
import jp.tsunagu.chat.realtime.InboxFeed;
import jp.tsunagu.chat.realtime.MongoRoomEventLog;
import jp.tsunagu.chat.realtime.RoomEventFeed;
import jp.tsunagu.chat.realtime.RoomEventHub;
import jp.tsunagu.chat.realtime.RoomEventPublisher;
import jp.tsunagu.chat.realtime.RoomWebSocketHandler;
import jp.tsunagu.chat.realtime.StreamHandler;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.MongoMembershipStore;
import jp.tsunagu.chat.room.MongoRoomStore;
import jp.tsunagu.chat.room.MongoUserDirectory;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.room.UserDirectory;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import jp.tsunagu.chat.support.ProblemWebExceptionHandler;
import jp.tsunagu.chat.retention.RetentionJob;
import jp.tsunagu.chat.support.MongoLeases;
import jp.tsunagu.chat.support.NodeIdentity;
import jp.tsunagu.chat.support.RoomLinearizer;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * Wires the chat module: stores on MongoDB, handlers, fan-out, controllers and streams. Everything is built
 * here by constructor so each piece can be tested alone.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ChatProperties.class, ClaimNames.class, RetentionProperties.class, EventLogProperties.class,
        UrgentProperties.class})
@Import({SecurityConfiguration.class, OpenApiConfiguration.class, ConsentConfiguration.class, NotifyConfiguration.class,
        SearchConfiguration.class})
public class ChatConfiguration {

    /** Index creation and opening the change stream at start-up; a database not answering by then is down. */
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(30);

    /** Static: a post-processor must exist before the beans it wraps. */
    @Bean
    static JwtDecoderCaching jwtDecoderCaching() {
        return new JwtDecoderCaching();
    }

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    NodeIdentity nodeIdentity(Environment env) {
        return NodeIdentity.of(env.getProperty("tsunagu.node.id"));
    }

    /** Runs on every node; erasing a room twice is harmless (RetentionJob). */
    @Bean(destroyMethod = "close")
    RetentionJob retentionJob(ReactiveMongoTemplate mongo, AttachmentStore attachments, RetentionProperties retention,
                              NodeIdentity node, Clock clock) {
        return new RetentionJob(mongo, attachments, retention.keepArchived(), node.id(), clock,
                retention.interval().isZero() ? null : retention.interval());
    }

    @Bean
    RoomStore roomStore(ReactiveMongoTemplate mongo, ObjectProvider<MongoRoomEventLog> eventLog) {
        MongoRoomEventLog log = eventLog.getIfAvailable();
        return log == null ? new MongoRoomStore(mongo) : new MongoRoomStore(mongo, log::taken);
    }

    @Bean
    MongoMembershipStore membershipStore(ReactiveMongoTemplate mongo, Clock clock) {
        return new MongoMembershipStore(mongo, clock);
    }

    /** Like {@link #inboxBackfill}: "my rooms" of an upgraded server are answered only once its memberships are filed. */
    @Bean
    org.springframework.beans.factory.InitializingBean userRoomsBackfill(MongoMembershipStore memberships) {
        return () -> memberships.backfill().block();
    }

    @Bean
    InboxStore inboxStore(ReactiveMongoTemplate mongo) {
        return new MongoInboxStore(mongo);
    }

    /**
     * Runs while the context starts, before the web server takes requests (like {@link MongoIndexes}): an
     * upgraded server answers inboxes only once its earlier messages are filed.
     */
    @Bean
    org.springframework.beans.factory.InitializingBean inboxBackfill(ReactiveMongoTemplate mongo, InboxStore inboxes,
                                                                     Clock clock, NodeIdentity node) {
        InboxBackfill backfill = new InboxBackfill(mongo, inboxes, clock, node.id());
        return () -> backfill.run().block();
    }

    @Bean
    MessageStore messageStore(ReactiveMongoTemplate mongo, InboxStore inboxes, NotificationQueue notifications, Clock clock) {
        return new MongoMessageStore(mongo, inboxes, notifications, clock);
    }

    @Bean
    ReadStore readStore(ReactiveMongoTemplate mongo, NotificationQueue notifications) {
        return new MongoReadStore(mongo, notifications);
    }

    @Bean
    UserDirectory userDirectory(ReactiveMongoTemplate mongo, Clock clock) {
        return new MongoUserDirectory(mongo, clock);
    }

    @Bean
    AttachmentStore attachmentStore(ReactiveMongoTemplate mongo) {
        return new GridFsAttachmentStore(mongo);
    }

    @Bean
    MongoIndexes mongoIndexes(ReactiveMongoTemplate mongo) {
        return new MongoIndexes(mongo);
    }

    /** Named so that it replaces Spring Boot's MongoDB health indicator. */
    @Bean
    MongoPingHealthIndicator mongoHealthIndicator(ReactiveMongoTemplate mongo) {
        return new MongoPingHealthIndicator(mongo);
    }

    @Bean
    RoomLinearizer roomLinearizer() {
        return new RoomLinearizer();
    }

    @Bean
    RoomEventHub roomEventHub(ChatProperties properties, JsonMapper json, Environment env) {
        return new RoomEventHub(properties.hubs(), json, EventLogProperties.ThroughTheLog.matches(env));
    }

    /** Where handlers publish: the hubs themselves on one node, the room event log on several. */
    @Bean
    @Primary
    RoomEventPublisher roomEventPublisher(RoomEventHub hub, ObjectProvider<MongoRoomEventLog> eventLog) {
        MongoRoomEventLog log = eventLog.getIfAvailable();
        return log == null ? hub : log;
    }

    @Bean
    @Conditional(EventLogProperties.ThroughTheLog.class)
    MongoRoomEventLog roomEventLog(ReactiveMongoTemplate mongo, RoomEventHub hub, NodeIdentity node,
                                   RoomLinearizer linearizer, EventLogProperties events, Clock clock) {
        MongoRoomEventLog log = new MongoRoomEventLog(mongo, hub, node.id(), events.holeTimeout(), clock);
        log.createIndexes().block(STARTUP_WAIT);
        linearizer.onTurnEnded(log::turnEnded);
        return log;
    }

    /** Started before the web server takes connections, so no attach precedes the stream. */
    @Bean(destroyMethod = "close")
    @Conditional(EventLogProperties.ThroughTheLog.class)
    RoomEventFeed roomEventFeed(com.mongodb.client.MongoClient client, ReactiveMongoTemplate mongo, RoomEventHub hub,
                                MongoRoomEventLog eventLog, NodeIdentity node, Clock clock) {
        String database = mongo.getMongoDatabase().map(d -> d.getName()).block(STARTUP_WAIT);
        return new RoomEventFeed(client.getDatabase(database), hub, eventLog, node.id(), clock).start(STARTUP_WAIT);
    }

    @Bean
    RealtimeMetrics realtimeMetrics(RoomEventHub hub, RoomLinearizer linearizer, ObjectProvider<MongoRoomEventLog> eventLog,
                                    ObjectProvider<RoomEventFeed> feed) {
        return new RealtimeMetrics(hub, linearizer, eventLog.getIfAvailable(), feed.getIfAvailable());
    }

    @Bean
    HtmlSanitizer htmlSanitizer() {
        return new HtmlSanitizer();
    }

    @Bean
    CareUserResolver careUserResolver(ClaimNames claims) {
        return new CareUserResolver(claims);
    }

    @Bean
    CurrentUser currentUser(CareUserResolver resolver, UserDirectory directory) {
        return new CurrentUser(resolver, directory);
    }

    @Bean
    RoomAccess roomAccess(RoomStore rooms, MembershipStore memberships) {
        return new RoomAccess(rooms, memberships);
    }

    @Bean
    RoomHandler roomHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, ReadStore reads,
                            UserDirectory directory, RoomAccess access, RoomLinearizer linearizer, RoomEventPublisher events,
                            Clock clock) {
        return new RoomHandler(rooms, memberships, messages, reads, directory, access, linearizer, events, clock);
    }

    @Bean
    MessageHandler messageHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, ReadStore reads,
                                  AttachmentStore attachments, RoomAccess access, RoomLinearizer linearizer,
                                  RoomEventPublisher events, HtmlSanitizer sanitizer, Clock clock, ChatProperties properties,
                                  UrgentProperties urgent) {
        return new MessageHandler(rooms, memberships, messages, reads, attachments, access, linearizer, events, sanitizer,
                clock, properties.roomQueueLimit(), properties.roomBusyRetryAfter(), urgent.escalateAfter());
    }

    @Bean
    RequestHandler requestHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, RoomAccess access,
                                  RoomLinearizer linearizer, RoomEventPublisher events, Clock clock,
                                  ChatProperties properties) {
        return new RequestHandler(rooms, memberships, messages, access, linearizer, events, clock,
                properties.roomQueueLimit(), properties.roomBusyRetryAfter());
    }

    /** Leases of the chat's own single-node jobs ({@code leases}: one document per job). */
    public static final String LEASES = "leases";

    /**
     * Lease time of those jobs: a node that dies hands them over within 30 s, which delays an escalation due
     * meanwhile by at most that, small beside its 15-minute interval.
     */
    public static final Duration JOB_LEASE = Duration.ofSeconds(30);

    @Bean(destroyMethod = "close")
    UrgentEscalator urgentEscalator(MessageStore messages, RoomStore rooms, MembershipStore memberships,
                                    MessageHandler notices, RoomLinearizer linearizer, RoomEventPublisher events,
                                    ReactiveMongoTemplate mongo, NodeIdentity node, Clock clock, UrgentProperties urgent) {
        UrgentEscalator escalator = new UrgentEscalator(messages, rooms, memberships, notices, linearizer, events,
                new MongoLeases(mongo, LEASES, node.id(), JOB_LEASE, clock), urgent.secondEscalateAfter(), clock);
        escalator.start(urgent.scanEvery());
        return escalator;
    }

    @Bean
    RequestController requestController(RequestHandler requests) {
        return new RequestController(requests);
    }

    /** Imports from external SNS; used by the bridge, which is trusted (no membership check). */
    @Bean
    ExternalMessageHandler externalMessageHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages,
                                                  RoomLinearizer linearizer, RoomEventPublisher events, HtmlSanitizer sanitizer,
                                                  Clock clock) {
        return new ExternalMessageHandler(rooms, memberships, messages, linearizer, events, sanitizer, clock);
    }

    /** Send status of messages to bridged SNS; used by the bridge, which is trusted (no membership check). */
    @Bean
    DeliveryHandler deliveryHandler(RoomStore rooms, MessageStore messages, RoomLinearizer linearizer,
                                    RoomEventPublisher events) {
        return new DeliveryHandler(rooms, messages, linearizer, events);
    }

    @Bean
    TimelineHandler timelineHandler(MembershipStore memberships, MessageStore messages, ReadStore reads, RoomAccess access) {
        return new TimelineHandler(memberships, messages, reads, access);
    }

    @Bean
    AttachmentHandler attachmentHandler(AttachmentStore store, RoomAccess access, ChatProperties properties, Clock clock) {
        return new AttachmentHandler(store, access, new MediaInspector(AttachmentHandler.THUMBNAIL_EDGE),
                properties.maxUploadSize().toBytes(), properties.uploadWorkDir(), clock);
    }

    @Bean
    StreamHandler streamHandler(RoomAccess access, RoomStore rooms, MembershipStore memberships, MessageStore messages,
                                ReadStore reads, RoomLinearizer linearizer, RoomEventHub hub,
                                StreamHandler.StoredHead storedHead) {
        return new StreamHandler(access, rooms, memberships, messages, reads, linearizer, hub, storedHead);
    }

    /** Where a room's stored changes end; read by the stream replay and by the bridge's outbound cursor. */
    @Bean
    StreamHandler.StoredHead storedHead(ObjectProvider<MongoRoomEventLog> eventLog) {
        MongoRoomEventLog log = eventLog.getIfAvailable();
        return log == null ? StreamHandler.StoredHead.ONE_NODE : log::storedHead;
    }

    @Bean
    RoomController roomController(RoomHandler rooms) {
        return new RoomController(rooms);
    }

    @Bean
    MessageController messageController(MessageHandler messages, TimelineHandler timeline) {
        return new MessageController(messages, timeline);
    }

    @Bean
    AttachmentController attachmentController(AttachmentHandler attachments) {
        return new AttachmentController(attachments);
    }

    @Bean
    StreamController streamController(StreamHandler streams, ChatProperties properties) {
        return new StreamController(streams, properties.heartbeat(), properties.sendQueue());
    }

    @Bean
    RoomWebSocketHandler roomWebSocketHandler(CurrentUser currentUser, StreamHandler streams, InboxFeed inbox,
                                              jp.tsunagu.chat.handler.NotificationHandler notifications,
                                              MessageHandler messages, jakarta.validation.Validator validator,
                                              Clock clock, JsonMapper json, ChatProperties properties) {
        return new RoomWebSocketHandler(currentUser, streams, inbox, notifications, messages, validator, clock, json,
                properties.heartbeat(), properties.sendQueue());
    }

    @Bean
    InboxFeed inboxFeed(JsonMapper json, MembershipStore memberships, RoomEventHub hub) {
        InboxFeed feed = new InboxFeed(json, memberships);
        hub.addListener(feed::accept);
        return feed;
    }

    @Bean
    InboxHandler inboxHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, InboxStore inboxes,
                              ReadStore reads, Clock clock) {
        return new InboxHandler(rooms, memberships, messages, inboxes, reads, clock);
    }

    @Bean
    BookmarkStore bookmarkStore(ReactiveMongoTemplate mongo) {
        return new MongoBookmarkStore(mongo);
    }

    @Bean
    PinHandler pinHandler(RoomStore rooms, MembershipStore memberships, MessageStore messages, BookmarkStore bookmarks,
                          RoomAccess access, RoomLinearizer linearizer, RoomEventPublisher events, Clock clock,
                          ChatProperties properties) {
        return new PinHandler(rooms, memberships, messages, bookmarks, access, linearizer, events, clock,
                properties.roomQueueLimit(), properties.roomBusyRetryAfter());
    }

    @Bean
    PinController pinController(PinHandler pins) {
        return new PinController(pins);
    }

    @Bean
    InboxController inboxController(InboxHandler inbox) {
        return new InboxController(inbox);
    }

    @Bean
    HandlerMapping webSocketMapping(RoomWebSocketHandler handler) {
        SimpleUrlHandlerMapping mapping = new SimpleUrlHandlerMapping(java.util.Map.of("/api/v1/ws", handler));
        mapping.setOrder(-1);
        return mapping;
    }

    @Bean
    ProblemWebExceptionHandler problemWebExceptionHandler(JsonMapper json) {
        return new ProblemWebExceptionHandler(json);
    }

    @Bean
    WebFluxConfigurer careUserArgument(CurrentUser currentUser) {
        return new WebFluxConfigurer() {
            @Override
            public void configureArgumentResolvers(ArgumentResolverConfigurer configurer) {
                configurer.addCustomResolver(currentUser);
            }
        };
    }

    /**
     * Request bodies are read strictly: a number or boolean where the API takes text ({@code "text": 123}) and
     * a fraction where it takes a whole number ({@code "upToSeq": 1.5}) are 400s naming the field, instead of
     * Jackson's lenient default of storing "123" or truncating to 1. Only the server's request decoding changes;
     * the shared JsonMapper (and any WebClient reading an external API) keeps Jackson's defaults. Runs after
     * Spring Boot's codec setup (which is ordered 0), so this decoder is the one used.
     */
    @Bean
    WebFluxConfigurer strictJsonRequestBodies(JsonMapper json) {
        JsonMapper strict = json.rebuild()
                .withCoercionConfig(LogicalType.Textual, c -> c
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .withCoercionConfig(LogicalType.Integer, c -> c.setCoercion(CoercionInputShape.Float, CoercionAction.Fail))
                .build();
        return new WebFluxConfigurer() {
            @Override
            public void configureHttpMessageCodecs(ServerCodecConfigurer configurer) {
                configurer.defaultCodecs().jacksonJsonDecoder(new JacksonJsonDecoder(strict));
            }
        };
    }

    static List<String> publicPaths() {
        return List.of("/actuator/health/**", "/actuator/prometheus", "/v3/api-docs/**", "/swagger-ui.html",
                "/swagger-ui/**", "/webjars/**", "/demo/**");
    }
}
