package jp.tsunagu.chat.room;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.TestMongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * A room's number and its list preview are taken in one write; the preview is built without Spring Data's
 * converter, so these tests hold it to the form the converter writes and reads.
 */
class MongoRoomStoreTests {

    private static final Instant T0 = Instant.parse("2026-12-07T09:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static TestMongo db;
    private ReactiveMongoTemplate mongo;
    private MongoRoomStore store;
    private String roomId;

    @BeforeAll
    static void startMongo() {
        db = new TestMongo();
    }

    @AfterAll
    static void stopMongo() {
        db.close();
    }

    @BeforeEach
    void freshRoom() {
        mongo = db.freshDatabase();
        store = new MongoRoomStore(mongo);
        roomId = Ids.newId();
        store.insert(new CareRoom(roomId, RoomKind.GROUP, "多職種連携", null, false, null, null, T0, "cm-suzuki", 0, 0,
                null, T0, null, List.of())).block(WAIT);
    }

    @Test
    void theNumberAndThePreviewAreTakenInOneWriteAndReadBackThroughTheConverter() {
        String messageId = Ids.newId();
        Instant at = T0.plusSeconds(60);
        LastMessage preview = LastMessage.ahead(messageId, "熱  37.8度\n食事は半分", "佐藤 看護師", true, at);

        RoomStore.SeqTaken taken = store.nextSeqIfWritable(roomId, preview).block(WAIT);

        assertThat(taken.seq()).isEqualTo(1);
        CareRoom room = store.findById(roomId).block(WAIT);
        assertThat(room.seq()).isEqualTo(1);
        assertThat(room.lastMessage()).isEqualTo(new LastMessage(messageId, 0, "熱 37.8度 食事は半分", "佐藤 看護師", true, at));
        assertThat(room.lastActivityAt()).isEqualTo(at);
    }

    @Test
    void thePreviewIsStoredAsTheConverterWritesIt() {
        String messageId = Ids.newId();
        LastMessage preview = LastMessage.ahead(messageId, "訪問しました", "佐藤 看護師", false, T0.plusSeconds(5));
        store.nextSeq(roomId, preview).block(WAIT);

        Document stored = raw().get("lastMessage", Document.class);
        assertThat(stored).isEqualTo(mongo.getConverter().convertToMongoType(preview));
    }

    @Test
    void anArchivedRoomTakesNoNumberAndKeepsItsPreview() {
        LastMessage first = LastMessage.ahead(Ids.newId(), "最初", "佐藤 看護師", false, T0.plusSeconds(1));
        store.nextSeqIfWritable(roomId, first).block(WAIT);
        store.markArchived(roomId, "cm-suzuki", T0.plusSeconds(2), 2).block(WAIT);

        assertThat(store.nextSeqIfWritable(roomId, LastMessage.ahead(Ids.newId(), "後", "佐藤 看護師", false,
                T0.plusSeconds(3))).blockOptional(WAIT)).isEmpty();

        CareRoom room = store.findById(roomId).block(WAIT);
        assertThat(room.lastMessage()).isEqualTo(first);
        assertThat(room.lastActivityAt()).isEqualTo(T0.plusSeconds(1));
    }

    @Test
    void anOlderImportDoesNotMoveTheRoomBackInTheList() {
        store.nextSeq(roomId, LastMessage.ahead(Ids.newId(), "今", "佐藤 看護師", false, T0.plusSeconds(60))).block(WAIT);
        String imported = Ids.newId();
        store.nextSeq(roomId, LastMessage.ahead(imported, "昨日の記録", "MCS 田中", false, T0.minusSeconds(86_400)))
                .block(WAIT);

        CareRoom room = store.findById(roomId).block(WAIT);
        assertThat(room.lastMessage().id()).isEqualTo(imported);
        assertThat(room.lastActivityAt()).isEqualTo(T0.plusSeconds(60));
    }

    @Test
    void anEditRefreshesThePreviewOnlyWhileItsMessageIsThePreview() {
        String older = Ids.newId();
        String newer = Ids.newId();
        store.nextSeq(roomId, LastMessage.ahead(older, "古い", "佐藤 看護師", false, T0.plusSeconds(1))).block(WAIT);
        store.nextSeq(roomId, LastMessage.ahead(newer, "新しい", "鈴木 ケアマネ", true, T0.plusSeconds(2))).block(WAIT);

        store.refreshPreview(roomId, older, "古い (編集)").block(WAIT);
        assertThat(store.findById(roomId).block(WAIT).lastMessage().excerpt()).isEqualTo("新しい");

        store.refreshPreview(roomId, newer, "").block(WAIT);
        assertThat(store.findById(roomId).block(WAIT).lastMessage())
                .isEqualTo(new LastMessage(newer, 0, "", "鈴木 ケアマネ", true, T0.plusSeconds(2)));
    }

    @Test
    void aPreviewTheConverterWroteBeforeThisChangeIsStillRefreshed() {
        String messageId = Ids.newId();
        LastMessage old = new LastMessage(messageId, 4, "前の形", "佐藤 看護師", false, T0);
        mongo.updateFirst(Query.query(where("_id").is(roomId)), new Update().set("lastMessage", old), CareRoom.class)
                .block(WAIT);

        store.refreshPreview(roomId, messageId, "").block(WAIT);

        assertThat(store.findById(roomId).block(WAIT).lastMessage()).isEqualTo(new LastMessage(messageId, 4, "", "佐藤 看護師",
                false, T0));
    }

    private Document raw() {
        return mongo.getCollection("rooms").flatMap(c -> reactor.core.publisher.Mono.from(
                c.find(new Document("_id", new org.bson.types.ObjectId(roomId))).first())).block(WAIT);
    }
}
