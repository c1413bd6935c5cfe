package jp.tsunagu.ops.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

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

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

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

    /**
     * @param dataDir where the H2 file lives ({@code ./data} by default)
     * @param inMemory keep nothing on disk (tests, benchmarks)
     * @param port loopback port; 0 picks a free one
     * @param oplog enable the oplog so change streams work
     */
    @ConfigurationProperties("tsunagu.embedded-mongo")
    public record EmbeddedMongoProperties(Path dataDir, boolean inMemory, int port, boolean oplog, String database) {

        public EmbeddedMongoProperties {
            dataDir = dataDir == null ? Path.of("data") : dataDir;
            database = database == null || database.isBlank() ? "tsunagu" : database;
        }
    }

    /** Owns the embedded server and shuts it down (committing the H2 store) with the context. */
    public static final class EmbeddedMongo implements AutoCloseable {
        private final MongoServer server;
        private final MongoBackend backend;
        private final InetSocketAddress address;

        EmbeddedMongo(MongoBackend backend, int port, boolean oplog) {
            this.backend = backend;
            this.server = new MongoServer(backend);
            if (oplog) {
                server.enableOplog();
            }
            server.bind("127.0.0.1", port);
            this.address = server.getLocalAddress();
        }

        public InetSocketAddress address() {
            return address;
        }

        @Override
        public void close() {
            server.shutdown();
            backend.close();
        }
    }

    @Bean(destroyMethod = "close")
    EmbeddedMongo embeddedMongo(EmbeddedMongoProperties properties) {
        MongoBackend backend;
        if (properties.inMemory()) {
            backend = new MemoryBackend();
            log.info("embedded MongoDB in memory: nothing is kept after shutdown");
        } else {
            try {
                Files.createDirectories(properties.dataDir());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the data folder " + properties.dataDir(), e);
            }
            Path file = properties.dataDir().resolve("tsunagu.mv");
            backend = new H2Backend(file.toString());
            log.info("embedded MongoDB with data in {}", file.toAbsolutePath());
        }
        return new EmbeddedMongo(backend, properties.port(), properties.oplog());
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
            var env = context.getEnvironment();
            return isBlank(env.getProperty("spring.mongodb.uri")) && isBlank(env.getProperty("MONGODB_URI"));
        }

        private static boolean isBlank(String s) {
            return s == null || s.isBlank();
        }
    }
}
