package jp.tsunagu.ops.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.mongodb.autoconfigure.MongoConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

import com.mongodb.ConnectionString;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Filters;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import jp.tsunagu.chat.config.MongoUri;
import jp.tsunagu.ops.embedded.EmbeddedMongoTemplate;
import jp.tsunagu.ops.embedded.IdLookupMemoryBackend;
import jp.tsunagu.ops.embedded.IndexedH2Backend;

/**
 * The embedded default: with no MongoDB URI configured, an in-process {@code mongo-java-server} with its
 * H2 backend keeps data in a folder on disk, and the application talks to it through the real driver on a
 * loopback port. It has no multi-document transactions, which the design does not use.
 *
 * <p>Durability: H2's MVStore commits about once a second and on shutdown; a hard kill can lose the last
 * second of writes (see docs/OPERATIONS.md). Production uses a MongoDB replica set.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedMongoConfiguration.NoMongoUri.class)
@EnableConfigurationProperties(EmbeddedMongoConfiguration.EmbeddedMongoProperties.class)
public class EmbeddedMongoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedMongoConfiguration.class);
    /** Trimming is a scan of the oplog; every few seconds keeps it near its window at little cost. */
    private static final Duration TRIM_EVERY = Duration.ofSeconds(5);

    /**
     * @param dataDir where the H2 file lives ({@code ./data} by default)
     * @param inMemory keep nothing on disk (tests, benchmarks)
     * @param port loopback port; 0 picks a free one
     * @param oplog enable the oplog so change streams work (several nodes on this embedded server, for trials)
     * @param oplogWindow how much oplog is kept: a replica set's oplog is capped, this one is trimmed, since the
     *                    embedded server reads all of it on every change stream read. 10 minutes lets a node
     *                    restart and resume; older positions answer as lost history would
     */
    @ConfigurationProperties("tsunagu.embedded-mongo")
    public record EmbeddedMongoProperties(Path dataDir, boolean inMemory, int port, boolean oplog, Duration oplogWindow,
                                          String database) {

        public EmbeddedMongoProperties {
            dataDir = dataDir == null ? Path.of("data") : dataDir;
            oplogWindow = oplogWindow == null ? Duration.ofMinutes(10) : oplogWindow;
            database = database == null || database.isBlank() ? "tsunagu" : database;
        }
    }

    /** Owns the embedded server and shuts it down (committing the H2 store) with the context. */
    public static final class EmbeddedMongo implements AutoCloseable {
        private final MongoServer server;
        private final MongoBackend backend;
        private final InetSocketAddress address;
        private final ScheduledExecutorService trimmer;
        private final MongoClient trimClient;

        EmbeddedMongo(MongoBackend backend, int port, boolean oplog, Duration oplogWindow) {
            this.backend = backend;
            this.server = new MongoServer(backend);
            if (oplog) {
                server.enableOplog();
            }
            server.bind("127.0.0.1", port);
            this.address = server.getLocalAddress();
            if (oplog) {
                trimClient = MongoClients.create("mongodb://127.0.0.1:" + address.getPort());
                trimmer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "embedded-oplog-trim");
                    t.setDaemon(true);
                    return t;
                });
                trimmer.scheduleWithFixedDelay(() -> trim(oplogWindow), TRIM_EVERY.toSeconds(), TRIM_EVERY.toSeconds(),
                        TimeUnit.SECONDS);
            } else {
                trimClient = null;
                trimmer = null;
            }
        }

        /** Deletes oplog entries older than the window, through the server like any client. */
        private void trim(Duration window) {
            try {
                trimClient.getDatabase("local").getCollection("oplog.rs")
                        .deleteMany(Filters.lt("wall", Date.from(Instant.now().minus(window))));
            } catch (RuntimeException e) {
                log.debug("embedded oplog not trimmed this time: {}", e.toString());
            }
        }

        public InetSocketAddress address() {
            return address;
        }

        @Override
        public void close() {
            if (trimmer != null) {
                trimmer.shutdownNow();
                trimClient.close();
            }
            server.shutdown();
            backend.close();
        }
    }

    @Bean(destroyMethod = "close")
    EmbeddedMongo embeddedMongo(EmbeddedMongoProperties properties) {
        MongoBackend backend;
        if (properties.inMemory()) {
            backend = new IdLookupMemoryBackend();
            log.info("embedded MongoDB in memory: nothing is kept after shutdown");
        } else {
            try {
                Files.createDirectories(properties.dataDir());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the data folder " + properties.dataDir(), e);
            }
            Path file = properties.dataDir().resolve("tsunagu.mv");
            backend = new IndexedH2Backend(file.toString());
            log.info("embedded MongoDB with data in {}", file.toAbsolutePath());
        }
        return new EmbeddedMongo(backend, properties.port(), properties.oplog(), properties.oplogWindow());
    }

    /**
     * The driver declares a server dead when a heartbeat is not answered within the connect time-out (it is also
     * the heartbeat's read time-out), and then fails every operation in flight. The embedded server answers on the
     * event loops that also run long operations (an index built over a million messages, a start-up pass over all
     * of them), so a heartbeat can wait for seconds there; on loopback a connection itself never does. A minute.
     */
    @Bean
    org.springframework.boot.mongodb.autoconfigure.MongoClientSettingsBuilderCustomizer embeddedMongoPatience() {
        return settings -> settings.applyToSocketSettings(s -> s.connectTimeout(60, TimeUnit.SECONDS));
    }

    /** Replaces Spring Boot's template (which backs off when one exists): counts that do not copy a collection. */
    @Bean
    org.springframework.data.mongodb.core.ReactiveMongoTemplate reactiveMongoTemplate(
            org.springframework.data.mongodb.ReactiveMongoDatabaseFactory factory,
            org.springframework.data.mongodb.core.convert.MongoConverter converter) {
        return new EmbeddedMongoTemplate(factory, converter);
    }

    @Bean
    MongoConnectionDetails embeddedMongoConnectionDetails(EmbeddedMongo mongo, EmbeddedMongoProperties properties) {
        ConnectionString uri = new ConnectionString("mongodb://127.0.0.1:" + mongo.address().getPort() + "/"
                + properties.database());
        return () -> uri;
    }

    /** Embedded only when neither {@code spring.mongodb.uri} nor {@code MONGODB_URI} is set. */
    static final class NoMongoUri implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !MongoUri.isConfigured(context.getEnvironment());
        }
    }
}
