package jp.tsunagu.chat.support;

import java.util.UUID;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

/**
 * The tests' MongoDB: {@code mongo-java-server} in memory on a free loopback port, reached through the real
 * driver as the server reaches its embedded default. One per test class is enough: each test takes a fresh
 * database, so no state leaks between tests.
 */
public final class TestMongo implements AutoCloseable {

    private final MongoServer server = new MongoServer(new MemoryBackend());
    private final MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + server.bind().getPort());

    /** A database of its own, under a random name. */
    public ReactiveMongoTemplate freshDatabase() {
        return new ReactiveMongoTemplate(client, "t" + UUID.randomUUID().toString().replace("-", ""));
    }

    @Override
    public void close() {
        client.close();
        server.shutdownNow();
    }
}
