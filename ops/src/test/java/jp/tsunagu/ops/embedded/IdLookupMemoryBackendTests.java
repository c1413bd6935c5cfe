package jp.tsunagu.ops.embedded;

import java.util.Random;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.Test;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;

import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import jp.tsunagu.ops.embedded.IndexedH2BackendTests.Pair;
import jp.tsunagu.ops.embedded.IndexedH2BackendTests.Side;

class IdLookupMemoryBackendTests {

    @Test
    void answersEveryQueryAsTheLibrarysMemoryBackendDoesThroughChanges() {
        try (Side reference = new Side(new MemoryBackend()); Side looked = new Side(new IdLookupMemoryBackend())) {
            Pair pair = new Pair(reference, looked);
            Random random = new Random(5);
            for (int i = 0; i < 300; i++) {
                Document d = IndexedH2BackendTests.randomDocument(random, i);
                pair.each(c -> c.insertOne(new Document(d)));
            }
            for (int i = 0; i < 200; i++) {
                Bson filter = Filters.and(Filters.eq("_id", "m" + random.nextInt(320)), Filters.ne("deleted", true));
                Bson change = random.nextBoolean() ? Updates.inc("seq", 1L) : Updates.set("roomId", "r" + (1 + random.nextInt(4)));
                if (random.nextBoolean()) {
                    pair.each(c -> c.findOneAndUpdate(filter, change));
                } else {
                    pair.each(c -> c.updateOne(filter, change));
                }
            }
            for (int i = 0; i < 40; i++) {
                Bson filter = Filters.and(Filters.eq("_id", "m" + random.nextInt(300)), Filters.eq("deleted", true));
                pair.each(c -> c.deleteOne(filter));
            }
            pair.assertSameAnswers(IndexedH2BackendTests.queries());
        }
    }
}
