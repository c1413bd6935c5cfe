package jp.tsunagu.ops.embedded;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Random;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The indexed backend answers every query as the library's own backend does (which reads the whole collection), across
 * inserts, updates that move a document between values, deletes, array fields, numbers of different types, sparse
 * indexes asked for ranges, and a reopened file; and it uses its indexes for the queries they can answer.
 */
class IndexedH2BackendTests {

    private static final List<String> ROOMS = List.of("r1", "r2", "r3", "r4");
    private static final List<String> USERS = List.of("u1", "u2", "u3");

    @TempDir
    Path dir;

    @Test
    void answersEveryQueryAsAFullReadWouldThroughChanges() {
        try (Side reference = new Side(new H2Backend((String) null)); Side indexed = new Side(new IndexedH2Backend(null))) {
            Pair pair = new Pair(reference, indexed);
            pair.each(c -> {
                c.createIndex(Indexes.compoundIndex(Indexes.ascending("roomId"), Indexes.descending("seq")));
                c.createIndex(Indexes.ascending("mentioned"));
                c.createIndex(Indexes.ascending("ack.escalateAt"), new IndexOptions().sparse(true));
                c.createIndex(Indexes.ascending("delivery.mcs.state"), new IndexOptions().sparse(true));
            });
            Random random = new Random(11);
            for (int i = 0; i < 400; i++) {
                Document d = randomDocument(random, i);
                pair.each(c -> c.insertOne(new Document(d)));
            }
            for (int i = 0; i < 150; i++) {
                Bson filter = Filters.eq("_id", "m" + random.nextInt(400));
                Bson change = switch (random.nextInt(4)) {
                    case 0 -> Updates.set("roomId", ROOMS.get(random.nextInt(ROOMS.size())));
                    case 1 -> Updates.unset("ack");
                    case 2 -> Updates.set("delivery.mcs.state", random.nextBoolean() ? "PENDING" : "SENT");
                    default -> Updates.set("mentioned", List.of(USERS.get(random.nextInt(USERS.size()))));
                };
                pair.each(c -> c.updateOne(filter, change));
            }
            for (int i = 0; i < 100; i++) {
                // An _id with a condition: the room number taken only if the room is not archived.
                Bson filter = Filters.and(Filters.eq("_id", "m" + random.nextInt(400)), Filters.ne("deleted", true));
                pair.each(c -> c.findOneAndUpdate(filter, Updates.inc("seq", 1L)));
            }
            for (int i = 0; i < 60; i++) {
                Bson filter = Filters.eq("_id", "m" + random.nextInt(400));
                pair.each(c -> c.deleteOne(filter));
            }
            pair.assertSameAnswers(queries());
        }
    }

    @Test
    void aReopenedFileKeepsItsIndexesAndTheirEntries() {
        String file = dir.resolve("db.mv").toString();
        try (Side reference = new Side(new H2Backend((String) null))) {
            Random random = new Random(3);
            try (Side indexed = new Side(new IndexedH2Backend(file))) {
                Pair pair = new Pair(reference, indexed);
                pair.each(c -> c.createIndex(Indexes.compoundIndex(Indexes.ascending("roomId"), Indexes.ascending("seq"))));
                for (int i = 0; i < 200; i++) {
                    Document d = randomDocument(random, i);
                    pair.each(c -> c.insertOne(new Document(d)));
                }
            }
            try (Side indexed = new Side(new IndexedH2Backend(file))) {
                Pair pair = new Pair(reference, indexed);
                Document late = randomDocument(random, 1000).append("roomId", "r2");
                pair.each(c -> c.insertOne(new Document(late)));
                pair.each(c -> c.deleteOne(Filters.eq("_id", "m7")));
                pair.each(c -> c.updateOne(Filters.eq("_id", "m8"), Updates.set("roomId", "r3")));
                pair.assertSameAnswers(queries());
            }
        }
    }

    @Test
    void equalitiesAndRangesOfASparseFieldUseTheIndexOthersDoNot() {
        H2CandidateIndex sparse = new H2CandidateIndex(org.h2.mvstore.MVStore.open(null).openMap("i"), "i",
                List.of(new de.bwaldvogel.mongo.backend.IndexKey("ack.escalateAt", true)), true);
        H2CandidateIndex dense = new H2CandidateIndex(org.h2.mvstore.MVStore.open(null).openMap("j"), "j",
                List.of(new de.bwaldvogel.mongo.backend.IndexKey("roomId", true), new de.bwaldvogel.mongo.backend.IndexKey("seq", false)), false);
        de.bwaldvogel.mongo.bson.Document range = new de.bwaldvogel.mongo.bson.Document("ack.escalateAt",
                new de.bwaldvogel.mongo.bson.Document("$lte", Instant.now()));
        assertThat(sparse.canHandle(range)).isTrue();
        assertThat(dense.canHandle(new de.bwaldvogel.mongo.bson.Document("roomId", new de.bwaldvogel.mongo.bson.Document("$gt", "r")))).isFalse();
        assertThat(dense.canHandle(new de.bwaldvogel.mongo.bson.Document("roomId", "r1")
                .append("seq", new de.bwaldvogel.mongo.bson.Document("$lt", 5)))).isTrue();
        assertThat(dense.canHandle(new de.bwaldvogel.mongo.bson.Document("roomId",
                new de.bwaldvogel.mongo.bson.Document("$in", List.of("r1", "r2"))))).isTrue();
        assertThat(dense.canHandle(new de.bwaldvogel.mongo.bson.Document("roomId",
                new de.bwaldvogel.mongo.bson.Document("$ne", "r1")))).isFalse();
        assertThat(dense.canHandle(new de.bwaldvogel.mongo.bson.Document("roomId", null))).isFalse();
        assertThat(dense.canHandle(new de.bwaldvogel.mongo.bson.Document("seq", 3))).as("not the first field").isFalse();
        assertThat(sparse.canHandle(new de.bwaldvogel.mongo.bson.Document("ack.escalateAt",
                new de.bwaldvogel.mongo.bson.Document("$exists", false)))).isFalse();
    }

    static List<Bson> queries() {
        Date now = Date.from(Instant.parse("2026-12-01T00:00:00Z"));
        List<Bson> queries = new ArrayList<>();
        for (String room : ROOMS) {
            queries.add(Filters.eq("roomId", room));
            queries.add(Filters.and(Filters.eq("roomId", room), Filters.gt("seq", 100)));
            queries.add(Filters.and(Filters.eq("roomId", room), Filters.ne("author", "u1"), Filters.eq("deleted", null)));
        }
        for (String id : List.of("m1", "m2", "m3", "m5", "m8", "m13", "m21", "m34", "m55", "m89", "m144", "m999")) {
            queries.add(Filters.and(Filters.eq("_id", id), Filters.ne("deleted", true)));
            queries.add(Filters.and(Filters.eq("_id", id), Filters.or(Filters.eq("ack", null), Filters.lte("ack.escalateAt", now))));
        }
        queries.add(Filters.and(Filters.in("_id", "m1", "m2", "m3"), Filters.eq("roomId", "r1")));
        queries.add(Filters.in("roomId", "r1", "r3"));
        queries.add(Filters.eq("roomId", "nowhere"));
        for (String user : USERS) {
            queries.add(Filters.eq("mentioned", user));
            queries.add(Filters.and(Filters.eq("mentioned", user), Filters.in("roomId", "r2", "r4")));
        }
        queries.add(Filters.lte("ack.escalateAt", now));
        queries.add(Filters.gt("ack.escalateAt", now));
        queries.add(Filters.exists("ack.escalateAt"));
        queries.add(Filters.exists("ack.escalateAt", false));
        queries.add(Filters.eq("delivery.mcs.state", "PENDING"));
        queries.add(Filters.eq("seq", 7));
        queries.add(Filters.eq("seq", 7.0));
        queries.add(Filters.eq("level", 2));
        queries.add(Filters.eq("level", 2L));
        queries.add(Filters.eq("level", 2.0));
        return queries;
    }

    static Document randomDocument(Random random, int i) {
        Document d = new Document("_id", "m" + i).append("roomId", ROOMS.get(random.nextInt(ROOMS.size())))
                .append("seq", (long) i).append("author", USERS.get(random.nextInt(USERS.size())))
                .append("level", random.nextBoolean() ? (Object) random.nextInt(3) : (Object) (double) random.nextInt(3));
        if (random.nextInt(3) == 0) {
            d.append("mentioned", random.nextBoolean() ? List.of(USERS.get(random.nextInt(3)), USERS.get(random.nextInt(3))) : List.of());
        }
        if (random.nextInt(4) == 0) {
            d.append("ack", new Document("escalateAt", Date.from(Instant.parse("2026-12-01T00:00:00Z").plusSeconds(random.nextInt(7200) - 3600))));
        }
        if (random.nextInt(5) == 0) {
            d.append("deleted", true);
        }
        if (random.nextInt(3) == 0) {
            d.append("delivery", new Document("mcs", new Document("state", random.nextBoolean() ? "PENDING" : "SENT")));
        }
        return d;
    }

    /** One backend behind a server and a client. */
    static final class Side implements AutoCloseable {

        private final MongoServer server;
        private final MongoClient client;

        Side(MongoBackend backend) {
            this.server = new MongoServer(backend);
            this.client = MongoClients.create("mongodb://127.0.0.1:" + server.bind().getPort());
        }

        MongoCollection<Document> messages() {
            return client.getDatabase("t").getCollection("messages");
        }

        @Override
        public void close() {
            client.close();
            server.shutdown();
        }
    }

    /** The same collection on the library's backend (every query a full read) and on the indexed one. */
    record Pair(Side reference, Side indexed) {

        void each(java.util.function.Consumer<MongoCollection<Document>> action) {
            action.accept(reference.messages());
            action.accept(indexed.messages());
        }

        void assertSameAnswers(List<Bson> queries) {
            int found = 0;
            for (Bson q : queries) {
                List<Document> want = reference.messages().find(q).sort(Sorts.ascending("_id")).into(new ArrayList<>());
                List<Document> got = indexed.messages().find(q).sort(Sorts.ascending("_id")).into(new ArrayList<>());
                assertThat(got).as("%s", q).isEqualTo(want);
                assertThat(indexed.messages().countDocuments(q)).as("count %s", q).isEqualTo(want.size());
                found += want.size();
            }
            assertThat(found).as("the queries find something").isPositive();
        }
    }
}
