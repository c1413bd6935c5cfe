package jp.tsunagu.ops.config;

import java.time.Duration;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import org.bson.Document;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The embedded server's oplog is kept to its window, as a replica set's capped oplog is. */
class EmbeddedOplogTests {

    @Test
    void entriesOlderThanTheWindowAreTrimmed() throws InterruptedException {
        try (EmbeddedMongoConfiguration.EmbeddedMongo mongo = new EmbeddedMongoConfiguration.EmbeddedMongo(
                new MemoryBackend(), 0, true, Duration.ofSeconds(1));
             MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + mongo.address().getPort())) {
            for (int i = 0; i < 10; i++) {
                client.getDatabase("t").getCollection("c").insertOne(new Document("i", i));
            }
            var oplog = client.getDatabase("local").getCollection("oplog.rs");
            assertThat(oplog.countDocuments()).isGreaterThanOrEqualTo(10);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (oplog.countDocuments() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(oplog.countDocuments()).as("entries left after the window and a trim").isZero();
            assertThat(client.getDatabase("t").getCollection("c").countDocuments()).isEqualTo(10);
        }
    }
}
