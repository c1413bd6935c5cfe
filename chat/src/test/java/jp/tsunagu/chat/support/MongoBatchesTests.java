package jp.tsunagu.chat.support;

import java.time.Duration;
import java.util.List;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;

import static org.assertj.core.api.Assertions.assertThat;

class MongoBatchesTests {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestMongo db;

    @BeforeAll
    static void start() {
        db = new TestMongo();
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @Test
    void aDuplicateFailsOnlyItsOwnWriteAsTheTemplatesDuplicateKeyException() {
        ReactiveMongoTemplate mongo = db.freshDatabase();
        mongo.insert(new Document("_id", "m1").append("text", "first"), "messages").block(WAIT);
        List<WriteModel<Document>> batch = List.of(
                new InsertOneModel<>(new Document("_id", "m2").append("text", "second")),
                new InsertOneModel<>(new Document("_id", "m1").append("text", "a retry")),
                new InsertOneModel<>(new Document("_id", "m3").append("text", "third")),
                new UpdateOneModel<>(Filters.eq("_id", "m1"), Updates.set("seen", true)));

        List<Throwable> errors = MongoBatches.bulkWrite(mongo, "messages", batch).block(WAIT);

        assertThat(errors).hasSize(4);
        assertThat(errors.get(0)).isNull();
        assertThat(errors.get(1)).isInstanceOf(DuplicateKeyException.class);
        assertThat(errors.get(2)).isNull();
        assertThat(errors.get(3)).isNull();
        List<Document> stored = mongo.findAll(Document.class, "messages").collectList().block(WAIT);
        assertThat(stored).extracting(d -> d.getString("_id") + ":" + d.getString("text"))
                .containsExactlyInAnyOrder("m1:first", "m2:second", "m3:third");
        assertThat(stored).filteredOn(d -> d.getString("_id").equals("m1")).extracting(d -> d.getBoolean("seen"))
                .containsExactly(true);
    }
}
