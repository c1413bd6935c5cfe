package jp.tsunagu.chat.retention;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.UUID;

import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import reactor.core.publisher.Mono;

import jp.tsunagu.chat.attachment.Attachment;
import jp.tsunagu.chat.attachment.GridFsAttachmentStore;
import jp.tsunagu.chat.support.TestMongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.data.mongodb.core.query.Criteria.where;

/** Rooms archived longer ago than the retention period are erased, once, by however many nodes run the job. */
class RetentionJobTests {

    private static final Instant NOW = Instant.parse("2026-11-24T00:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static TestMongo db;
    private ReactiveMongoTemplate mongo;
    private GridFsAttachmentStore attachments;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startMongo() {
        db = new TestMongo();
    }

    @AfterAll
    static void stopMongo() {
        db.close();
    }

    @BeforeEach
    void freshDatabase() {
        mongo = db.freshDatabase();
        attachments = new GridFsAttachmentStore(mongo);
    }

    private RetentionJob node(String id) {
        return new RetentionJob(mongo, attachments, Period.ofYears(5), id, Clock.fixed(NOW, ZoneOffset.UTC), null);
    }

    /** A room with 3 messages, 2 read positions, 2 members, a photo, an access-log entry and a grant. */
    private String room(Boolean archived, Instant archivedAt) throws Exception {
        String id = new ObjectId().toHexString();
        // As the server stores rooms: Spring Data keeps a hex id as an ObjectId.
        Document room = new Document("_id", new ObjectId(id)).append("kind", "patient").append("name", "山田 花子 様")
                .append("archived", archived);
        if (archivedAt != null) {
            room.append("archivedAt", Date.from(archivedAt));
        }
        mongo.insert(room, "rooms").block(WAIT);
        for (int i = 0; i < 3; i++) {
            mongo.insert(new Document("roomId", id).append("text", "訪問記録 " + i), "messages").block(WAIT);
        }
        for (String user : List.of("ns-sato", "cm-suzuki")) {
            mongo.insert(new Document("_id", id + ":" + user).append("roomId", id), "reads").block(WAIT);
            mongo.insert(new Document("_id", id + ":" + user).append("roomId", id), "memberships").block(WAIT);
            mongo.insert(new Document("_id", user + ":" + id + "-m0").append("roomId", id), "bookmarks").block(WAIT);
            mongo.insert(new Document("_id", id + ":" + user).append("roomId", id), "inboxes").block(WAIT);
            for (String c : List.of("notifications", "notification_reminders", "notification_log")) {
                mongo.insert(new Document("_id", id + ":" + user).append("roomId", id), c).block(WAIT);
            }
        }
        Path photo = Files.writeString(tmp.resolve(id + ".jpg"), "not really a jpeg", StandardCharsets.UTF_8);
        String fileId = attachments.putContent(photo, "photo.jpg", "image/jpeg").block(WAIT);
        String thumbId = attachments.putContent(photo, "thumb.jpg", "image/jpeg").block(WAIT);
        attachments.insert(new Attachment(UUID.randomUUID().toString(), id, "ns-sato", "photo.jpg", "image/jpeg", 17,
                "x", fileId, thumbId, null, null, NOW)).block(WAIT);
        mongo.insert(new Document("_id", (long) Math.abs(id.hashCode())).append("roomId", id), "access_log").block(WAIT);
        mongo.insert(new Document("_id", id + "-grant:1").append("roomId", id), "consent_grants").block(WAIT);
        return id;
    }

    private long count(String collection, String roomId) {
        return mongo.count(Query.query(where("roomId").is(roomId)), collection).block(WAIT);
    }

    @Test
    void aRoomArchivedLongerAgoThanTheRetentionIsErasedAndTheErasureRecorded() throws Exception {
        String old = room(true, NOW.atOffset(ZoneOffset.UTC).minusYears(6).toInstant());
        String recent = room(true, NOW.atOffset(ZoneOffset.UTC).minusYears(4).toInstant());
        String active = room(false, null);
        Attachment photo = mongo.findOne(Query.query(where("roomId").is(old)), Attachment.class).block(WAIT);

        assertThat(node("node-a").run().block(WAIT)).isEqualTo(1);

        assertThat(mongo.findById(old, Document.class, "rooms").block(WAIT)).isNull();
        for (String c : List.of("messages", "reads", "memberships", "bookmarks", "inboxes", "notifications",
                "notification_reminders", "notification_log", "attachments")) {
            assertThat(count(c, old)).as(c).isZero();
            assertThat(count(c, recent)).as(c + " of a room archived 4 years ago").isPositive();
            assertThat(count(c, active)).as(c + " of an active room").isPositive();
        }
        assertThat(attachments.content(photo.fileId()).collectList().onErrorReturn(List.of()).block(WAIT)).isEmpty();
        assertThat(attachments.content(photo.thumbnailFileId()).collectList().onErrorReturn(List.of()).block(WAIT)).isEmpty();
        assertThat(count("access_log", old)).as("the access log is kept on its own terms").isOne();
        assertThat(count("consent_grants", old)).as("grants are the log's basis").isOne();

        Document erasure = mongo.findById(old, Document.class, RetentionJob.ERASURES).block(WAIT);
        assertThat(erasure.getString("erasedBy")).isEqualTo("node-a");
        assertThat(erasure.get("erasedAt")).isNotNull();
        assertThat(erasure.get("messages", Number.class).longValue()).isEqualTo(3);
        assertThat(erasure.get("reads", Number.class).longValue()).isEqualTo(2);
        assertThat(erasure.get("memberships", Number.class).longValue()).isEqualTo(2);
        assertThat(erasure.get("bookmarks", Number.class).longValue()).isEqualTo(2);
        assertThat(erasure.get("inboxes", Number.class).longValue()).isEqualTo(2);
        assertThat(erasure.get("notification_log", Number.class).longValue()).isEqualTo(2);
        assertThat(erasure.get("attachments", Number.class).longValue()).isEqualTo(1);
        assertThat(erasure.containsKey("name")).as("the record names no one").isFalse();

        assertThat(node("node-b").run().block(WAIT)).as("nothing left for the next run").isZero();
    }

    @Test
    void nodesRunningAtOnceEraseEachDocumentOnceAndCountItOnce() throws Exception {
        List<String> due = List.of(room(true, NOW.minus(Duration.ofDays(6 * 366))), room(true, NOW.minus(Duration.ofDays(7 * 366))));
        Mono.zip(node("node-a").run(), node("node-b").run(), node("node-c").run()).block(WAIT);
        for (String id : due) {
            assertThat(mongo.findById(id, Document.class, "rooms").block(WAIT)).isNull();
            assertThat(count("messages", id)).isZero();
            Document erasure = mongo.findById(id, Document.class, RetentionJob.ERASURES).block(WAIT);
            assertThat(erasure.get("messages", Number.class).longValue()).as("exact however many nodes shared it").isEqualTo(3);
            assertThat(erasure.getString("erasedBy")).startsWith("node-");
        }
    }
}
