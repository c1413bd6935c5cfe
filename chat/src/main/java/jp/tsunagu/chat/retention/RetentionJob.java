package jp.tsunagu.chat.retention;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.List;

import org.bson.Document;
import org.bson.types.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import jp.tsunagu.chat.support.PeriodicRounds;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import jp.tsunagu.chat.attachment.Attachment;
import jp.tsunagu.chat.attachment.AttachmentStore;
import jp.tsunagu.chat.room.CareRoom;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * Erases rooms whose care ended long ago: a room archived more than {@code keepArchived} ago loses its messages,
 * read positions, memberships, bookmarks, inbox entries and attachments (files too), then the room itself, and leaves one line in
 * {@code erasures} saying which room, when it was archived, when and by which node it was erased and how many
 * documents went. The access log and consent grants stay: the log is kept for at least five years on its own
 * terms (docs/OPERATIONS.md) and names rooms only by id; grants hold no health data and are the basis of the
 * log's entries.
 *
 * <p>Safe on every node at once: each step is a delete by room id, which a second node repeats harmlessly,
 * and the counts are added with {@code $inc}, so they are exact however many nodes shared the work. The room is
 * deleted last, so a node that stops half-way leaves it to be finished by the next run.
 */
public final class RetentionJob implements AutoCloseable {

    public static final String ERASURES = "erasures";
    private static final Logger log = LoggerFactory.getLogger(RetentionJob.class);
    /** Rooms erased per run: a day's runs keep up with any realistic number of rooms archived per day. */
    static final int BATCH = 100;
    /** What a room holds besides its files; attachments last, after their files are gone. */
    private static final List<String> ROOM_COLLECTIONS = List.of("messages", "reads", "memberships", "bookmarks", "inboxes",
            "notifications", "notification_reminders", "notification_log", "attachments");

    private final ReactiveMongoTemplate mongo;
    private final AttachmentStore attachments;
    private final Period keepArchived;
    private final String node;
    private final Clock clock;
    private final PeriodicRounds rounds = new PeriodicRounds("retention");

    public RetentionJob(ReactiveMongoTemplate mongo, AttachmentStore attachments, Period keepArchived, String node,
                        Clock clock, Duration every) {
        this.mongo = mongo;
        this.attachments = attachments;
        this.keepArchived = keepArchived;
        this.node = node;
        this.clock = clock;
        if (every != null) {
            rounds.start(Duration.ofMinutes(1), every, () -> run().doOnNext(n -> {
                if (n > 0) {
                    log.info("retention: erased {} rooms archived before {}", n, cutoff());
                }
            }));
        }
    }

    /** Archived before this instant: erased. */
    Instant cutoff() {
        return clock.instant().atOffset(ZoneOffset.UTC).minus(keepArchived).toInstant();
    }

    /** One run: erases up to {@link #BATCH} rooms that are due; returns how many. */
    public Mono<Long> run() {
        Query due = Query.query(where("archived").is(true).and("archivedAt").lt(cutoff())).limit(BATCH);
        due.fields().include("_id").include("kind").include("archivedAt");
        return mongo.find(due, Document.class, "rooms")
                .concatMap(room -> erase(idOf(room), room.getString("kind"), room.getDate("archivedAt").toInstant())
                        .thenReturn(room))
                .count();
    }

    private Mono<Void> erase(String roomId, String kind, Instant archivedAt) {
        Query ofRoom = Query.query(where("roomId").is(roomId));
        Query erasure = Query.query(where("_id").is(roomId));
        Mono<Void> files = mongo.find(ofRoom, Attachment.class)
                .concatMap(a -> deleteFile(a.fileId()).then(deleteFile(a.thumbnailFileId())))
                .then();
        // Each collection's count is added as it is deleted: a node that stops half-way has counted what went.
        Mono<Void> documents = Flux.fromIterable(ROOM_COLLECTIONS)
                .concatMap(collection -> mongo.remove(ofRoom, collection)
                        .flatMap(r -> mongo.updateFirst(erasure, new Update().inc(collection, r.getDeletedCount()), ERASURES)))
                .then();
        return mongo.upsert(erasure, new Update().setOnInsert("kind", kind)
                        .setOnInsert("archivedAt", archivedAt).set("startedAt", clock.instant()), ERASURES)
                .then(files)
                .then(documents)
                .then(mongo.remove(Query.query(where("_id").is(roomId)), CareRoom.class))
                .then(Mono.defer(() -> mongo.updateFirst(erasure, new Update().set("erasedAt", clock.instant())
                        .set("erasedBy", node), ERASURES)))
                .then();
    }

    /** Room ids are 24 hex characters, which Spring Data stores as ObjectIds. */
    private static String idOf(Document room) {
        Object id = room.get("_id");
        return id instanceof ObjectId o ? o.toHexString() : String.valueOf(id);
    }

    /** Another node may have deleted it already: that is the outcome wanted. */
    private Mono<Void> deleteFile(String fileId) {
        return fileId == null ? Mono.empty() : attachments.deleteContent(fileId).onErrorResume(e -> Mono.empty());
    }

    @Override
    public void close() {
        rounds.close();
    }
}
