package jp.tsunagu.chat.room;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.function.BiConsumer;

import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import com.mongodb.reactivestreams.client.MongoCollection;

import jp.tsunagu.chat.support.Cursor;
import jp.tsunagu.chat.support.MongoBatches;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static jp.tsunagu.chat.support.MongoBatches.mongoId;
import static org.springframework.data.mongodb.core.query.Criteria.where;

/** {@link RoomStore} on MongoDB; every write touches one document. */
public final class MongoRoomStore implements RoomStore {

    private final ReactiveMongoTemplate mongo;
    private final BiConsumer<String, Long> seqTaken;

    public MongoRoomStore(ReactiveMongoTemplate mongo) {
        this(mongo, (roomId, seq) -> { });
    }

    /** @param seqTaken told of every number taken, on the taking thread (the room event log of several nodes) */
    public MongoRoomStore(ReactiveMongoTemplate mongo, BiConsumer<String, Long> seqTaken) {
        this.mongo = mongo;
        this.seqTaken = seqTaken;
    }

    @Override
    public Mono<CareRoom> insert(CareRoom room) {
        return mongo.insert(room);
    }

    @Override
    public Mono<CareRoom> findById(String roomId) {
        return mongo.findById(roomId, CareRoom.class);
    }

    @Override
    public Mono<java.util.Map<String, String>> names(Collection<String> roomIds) {
        if (roomIds.isEmpty()) {
            return Mono.just(java.util.Map.of());
        }
        // _id alone (the only condition the embedded server answers from an index), and only the name.
        Query q = Query.query(where("_id").in(roomIds.stream().distinct().map(MongoBatches::mongoId).toList()));
        q.fields().include("name");
        return mongo.find(q, Document.class, "rooms")
                .collectMap(d -> d.get("_id").toString(), d -> d.getString("name") == null ? "" : d.getString("name"));
    }

    @Override
    public Mono<CareRoom> findByExternalResidentId(String externalResidentId) {
        return mongo.findOne(Query.query(where("resident.externalResidentId").is(externalResidentId)), CareRoom.class);
    }

    @Override
    public Mono<Long> nextSeq(String roomId) {
        return mongo.findAndModify(Query.query(where("_id").is(roomId)), new Update().inc("seq", 1L),
                FindAndModifyOptions.options().returnNew(true), CareRoom.class).map(CareRoom::seq)
                .doOnNext(seq -> seqTaken.accept(roomId, seq));
    }

    @Override
    public Mono<Long> nextSeq(String roomId, LastMessage preview) {
        return take(roomId, new Document("_id", mongoId(roomId)), preview, SEQ_ONLY).map(MongoRoomStore::seqOf);
    }

    @Override
    public Mono<SeqTaken> nextSeqIfWritable(String roomId, LastMessage preview) {
        // A projection: only the counter, the bridges and the audience come back, no room document to map.
        return take(roomId, new Document("_id", mongoId(roomId)).append("archived", new Document("$ne", true)), preview,
                SEQ_AND_BRIDGES)
                .map(d -> new SeqTaken(seqOf(d), d.getList("bridges", String.class, List.of()), audienceOf(d)));
    }

    /** Takes the next number of the room {@code filter} matches, with its preview; tells {@link #seqTaken}. */
    private Mono<Document> take(String roomId, Document filter, LastMessage preview, FindOneAndUpdateOptions returned) {
        return rooms().flatMap(c -> Mono.from(c.findOneAndUpdate(filter, takeWithPreview(preview), returned)))
                .doOnNext(d -> seqTaken.accept(roomId, seqOf(d)));
    }

    private static long seqOf(Document room) {
        return ((Number) room.get("seq")).longValue();
    }

    /** The rooms collection through the raw driver: for the per-post commands, no Spring Data mapping. */
    private Mono<MongoCollection<Document>> rooms() {
        return mongo.getCollection(mongo.getCollectionName(CareRoom.class));
    }

    @Override
    public Mono<NotifyAudience> audience(String roomId) {
        return rooms().flatMap(c -> Mono.from(c.find(new Document("_id", mongoId(roomId))).projection(AUDIENCE).first()))
                .map(MongoRoomStore::audienceOf);
    }

    @Override
    public Mono<java.util.Map<String, NotifyAudience>> audiences(Collection<String> roomIds) {
        if (roomIds.isEmpty()) {
            return Mono.just(java.util.Map.of());
        }
        // _id alone, as for names(): the only condition the embedded server answers from an index.
        return rooms().flatMapMany(c -> c.find(new Document("_id", new Document("$in",
                        roomIds.stream().distinct().map(MongoBatches::mongoId).toList()))).projection(AUDIENCE))
                .collectMap(d -> d.get("_id").toString(), MongoRoomStore::audienceOf);
    }

    @Override
    public Mono<NotifyAudience> setNotifyLevel(String roomId, String userId, NotifyLevel level) {
        String field = NOTIFY + "." + userId;
        Bson update = level == null ? Updates.unset(field) : Updates.set(field, level.name());
        return rooms().flatMap(c -> Mono.from(c.findOneAndUpdate(new Document("_id", mongoId(roomId)), update,
                        new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER).projection(AUDIENCE))))
                .map(MongoRoomStore::audienceOf);
    }

    /**
     * The room document's {@code notify} field (user id → level), kept outside {@link CareRoom}: it is each
     * member's own setting, not the room's state, and no room view shows it. Rooms are only ever changed field by
     * field, so writing a {@code CareRoom} never drops it.
     */
    static final String NOTIFY = "notify";

    private static final Bson AUDIENCE = Projections.include("kind", "directKey", NOTIFY);

    private static NotifyAudience audienceOf(Document d) {
        RoomKind kind = d.getString("kind") == null ? RoomKind.GROUP : RoomKind.valueOf(d.getString("kind"));
        String directKey = d.getString("directKey");
        List<String> direct = directKey == null ? List.of() : List.of(directKey.split("\\|", 2));
        java.util.Map<String, NotifyLevel> chosen = new java.util.HashMap<>();
        Document notify = d.get(NOTIFY, Document.class);
        if (notify != null) {
            notify.forEach((user, level) -> NotifyLevel.parse(String.valueOf(level)).ifPresent(l -> chosen.put(user, l)));
        }
        return new NotifyAudience(kind, direct, chosen);
    }

    // Filters keep _id at the top level ({_id: …, other: …}), as Spring Data writes them: the embedded
    // mongo-java-server looks a document up by id only then, and scans the collection for {$and: [{_id: …}, …]}.

    private static final FindOneAndUpdateOptions SEQ_AND_BRIDGES = new FindOneAndUpdateOptions()
            .returnDocument(ReturnDocument.AFTER).projection(Projections.include("seq", "bridges", "kind", "directKey", NOTIFY));

    @Override
    public Mono<CareRoom> markArchived(String roomId, String by, Instant at, long seq) {
        return mongo.findAndModify(Query.query(where("_id").is(roomId)),
                new Update().set("archived", true).set("archivedAt", at).set("archivedBy", by).set("changeSeq", seq),
                FindAndModifyOptions.options().returnNew(true), CareRoom.class);
    }

    @Override
    public Mono<CareRoom> setOnCall(String roomId, String userId, long seq) {
        return mongo.findAndModify(Query.query(where("_id").is(roomId)),
                new Update().set("onCallUserId", userId).set("changeSeq", seq),
                FindAndModifyOptions.options().returnNew(true), CareRoom.class);
    }

    @Override
    public Mono<CareRoom> setBridged(String roomId, String instanceId, boolean bridged) {
        Update update = bridged ? new Update().addToSet("bridges", instanceId) : new Update().pull("bridges", instanceId);
        return mongo.findAndModify(Query.query(where("_id").is(roomId)), update,
                FindAndModifyOptions.options().returnNew(true), CareRoom.class);
    }

    @Override
    public Mono<Void> refreshPreview(String roomId, String messageId, String excerpt) {
        Document itsPreview = new Document("_id", mongoId(roomId)).append("lastMessage._id", mongoId(messageId));
        return rooms().flatMap(c -> Mono.from(c.updateOne(itsPreview, Updates.set("lastMessage.excerpt", excerpt))))
                .then();
    }

    /**
     * The number's increment, the preview and the room's activity in one update. The preview is the form Spring
     * Data writes for {@link LastMessage} (the id as {@code _id}, an ObjectId where it is one) but built here, once
     * per post, without the converter's reflection (2 % of the server's CPU in a profile at 600 posts/s). Its
     * {@code seq} is 0: this same update takes the number, and readers take it from the message.
     * {@code MongoRoomStoreTests} holds it to the converter's form.
     */
    private static Bson takeWithPreview(LastMessage preview) {
        Document stored = new Document("_id", mongoId(preview.id())).append("seq", 0L).append("excerpt", preview.excerpt())
                .append("authorName", preview.authorName()).append("urgent", preview.urgent())
                .append("createdAt", java.util.Date.from(preview.createdAt()));
        return Updates.combine(Updates.inc("seq", 1L), Updates.set("lastMessage", stored),
                Updates.max("lastActivityAt", preview.createdAt()));
    }

    private static final FindOneAndUpdateOptions SEQ_ONLY = new FindOneAndUpdateOptions()
            .returnDocument(ReturnDocument.AFTER).projection(Projections.include("seq"));

    @Override
    public Flux<CareRoom> findActiveFirst(Collection<String> ids, Cursor after, int limit) {
        Criteria criteria = where("_id").in(ids);
        if (after != null) {
            criteria = criteria.orOperator(where("lastActivityAt").lt(after.at()),
                    where("lastActivityAt").is(after.at()).and("_id").lt(after.id()));
        }
        Query query = Query.query(criteria)
                .with(Sort.by(Sort.Order.desc("lastActivityAt"), Sort.Order.desc("_id")))
                .limit(limit);
        return mongo.find(query, CareRoom.class);
    }

    @Override
    public Mono<CareRoom> changedSince(String roomId, long seq) {
        return mongo.findOne(Query.query(where("_id").is(roomId).and("changeSeq").gt(seq)), CareRoom.class);
    }
}
