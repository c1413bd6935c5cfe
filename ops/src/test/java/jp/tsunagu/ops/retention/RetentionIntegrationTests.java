package jp.tsunagu.ops.retention;

import java.time.Clock;
import java.time.Duration;
import java.time.Period;

import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;

import jp.tsunagu.chat.attachment.AttachmentStore;
import jp.tsunagu.chat.retention.RetentionJob;
import jp.tsunagu.ops.support.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.data.mongodb.core.query.Criteria.where;

/** Retention against what the server really stores: a room archived through the API is erased when due. */
class RetentionIntegrationTests extends IntegrationTestSupport {

    @Autowired
    private ReactiveMongoTemplate mongo;

    @Autowired
    private AttachmentStore attachments;

    @Test
    void anArchivedRoomIsErasedOnceItsRetentionHasPassed() {
        Team t = team();
        post(t.nurse(), t.roomId(), "最後の訪問記録です");
        as(t.careManager()).post().uri("/api/v1/rooms/{r}/archive", t.roomId()).exchange().expectStatus().isOk();

        RetentionJob now = new RetentionJob(mongo, attachments, Period.ofYears(5), "node-test", Clock.systemUTC(), null);
        assertThat(now.run().block(Duration.ofSeconds(10))).as("just archived: kept").isZero();
        as(t.careManager()).get().uri("/api/v1/rooms/{r}", t.roomId()).exchange().expectStatus().isOk();

        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(5 * 366 + 1));
        RetentionJob sixYearsOn = new RetentionJob(mongo, attachments, Period.ofYears(5), "node-test", later, null);
        assertThat(sixYearsOn.run().block(Duration.ofSeconds(10))).isGreaterThanOrEqualTo(1);
        as(t.careManager()).get().uri("/api/v1/rooms/{r}", t.roomId()).exchange().expectStatus().isNotFound();
        assertThat(mongo.count(Query.query(where("roomId").is(t.roomId())), "messages").block()).isZero();
        assertThat(mongo.count(Query.query(where("roomId").is(t.roomId())), "memberships").block()).isZero();
        Document erasure = mongo.findOne(Query.query(where("_id").is(t.roomId())), Document.class, RetentionJob.ERASURES).block();
        assertThat(erasure.getString("erasedBy")).isEqualTo("node-test");
        assertThat(erasure.get("messages", Number.class).longValue()).isEqualTo(1);
        assertThat(erasure.get("memberships", Number.class).longValue()).as("the care manager and four members").isEqualTo(5);
    }
}
