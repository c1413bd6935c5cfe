package jp.tsunagu.chat.search;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.lucene.store.FSDirectory;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MongoMessageStore;
import jp.tsunagu.chat.message.Priority;
import jp.tsunagu.chat.realtime.LoggedEvent;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.support.TestMongo;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node's index follows the database: built from it at the first start, caught up on the rooms that moved while
 * the node was down, rebuilt for another database, rid of erased rooms, and kept by the room events meanwhile.
 */
class SearchIndexerTests {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Instant T0 = Instant.parse("2026-11-20T01:00:00Z");
    private static final JsonMapper JSON = JsonMapper.builder().findAndAddModules().build();
    private static TestMongo db;
    private ReactiveMongoTemplate mongo;
    private MongoMessageStore messages;
    private long seq;

    @TempDir
    Path dir;

    @BeforeAll
    static void startMongo() {
        db = new TestMongo();
    }

    @AfterAll
    static void stopMongo() {
        db.close();
    }

    @BeforeEach
    void fresh() {
        mongo = db.freshDatabase();
        messages = new MongoMessageStore(mongo);
    }

    @Test
    void theFirstStartBuildsTheIndexThenEventsKeepIt() throws Exception {
        room("r1");
        Message old = post("r1", "訪問看護の記録");
        try (LuceneMessageIndex index = open(); SearchIndexer indexer = start(index)) {
            assertThat(find(index, "訪問", "r1")).containsExactly(old.id());

            Message fresh = post("r1", "ワーファリン継続");
            indexer.accept(event("message.created", fresh));
            awaitFound(index, "ﾜｰﾌｧﾘﾝ", "r1", fresh.id());

            Message edited = edit(fresh, "ワーファリン中止");
            indexer.accept(event("message.edited", edited));
            awaitFound(index, "中止", "r1", fresh.id());
            assertThat(find(index, "継続", "r1")).isEmpty();
        }
    }

    @Test
    void theFirstBuildReadsEveryMessageBatchByBatch() throws Exception {
        room("r1");
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(post("r1", "申し送り" + i).id());
        }
        Message edited = edit(messages.findById(ids.get(9)).block(WAIT), "申し送り（訂正）");
        // Four batches of three and one of one: each message is read once, in its latest state.
        try (LuceneMessageIndex index = open(); SearchIndexer indexer = new SearchIndexer(index, messages, mongo, JSON, 3).start()) {
            indexer.awaitReady(WAIT);
            assertThat(find(index, "申し送り", "r1")).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(find(index, "訂正", "r1")).containsExactly(edited.id());
            assertThat(index.progress()).containsEntry("r1", edited.changeSeq());
        }
    }

    @Test
    void aRestartCatchesUpOnTheRoomsThatMovedWhileTheNodeWasDown() throws Exception {
        room("r1");
        room("r2");
        Message first = post("r1", "一通目");
        try (LuceneMessageIndex index = open(); SearchIndexer indexer = start(index)) {
            assertThat(find(index, "一通目", "r1")).containsExactly(first.id());
        }
        // Down: a message written without this node hearing of it, an edit, and a room erased.
        Message second = post("r2", "二通目");
        edit(first, "一通目（訂正）");
        mongo.remove(Query.query(Criteria.where("_id").is("r1")), "rooms").block(WAIT);
        try (LuceneMessageIndex index = open(); SearchIndexer indexer = start(index)) {
            assertThat(find(index, "二通目", "r2")).containsExactly(second.id());
            assertThat(find(index, "一通目", "r1")).as("the erased room left the index").isEmpty();
            assertThat(index.progress()).containsOnlyKeys("r2");
        }
    }

    @Test
    void anIndexBuiltFromAnotherDatabaseIsBuiltAgain() throws Exception {
        room("r1");
        Message m = post("r1", "記録");
        try (LuceneMessageIndex index = open(); SearchIndexer indexer = start(index)) {
            assertThat(find(index, "記録", "r1")).containsExactly(m.id());
        }
        mongo.remove(new Query(), "messages").block(WAIT);
        mongo.remove(new Query(), "migrations").block(WAIT);
        try (LuceneMessageIndex index = open(); SearchIndexer indexer = start(index)) {
            assertThat(find(index, "記録", "r1")).isEmpty();
        }
    }

    private LuceneMessageIndex open() throws Exception {
        return new LuceneMessageIndex(FSDirectory.open(dir));
    }

    private SearchIndexer start(LuceneMessageIndex index) throws InterruptedException {
        SearchIndexer indexer = new SearchIndexer(index, messages, mongo, JSON).start();
        indexer.awaitReady(WAIT);
        assertThat(indexer.isReady()).isTrue();
        return indexer;
    }

    private List<String> find(LuceneMessageIndex index, String text, String room) {
        index.refreshNow();
        return index.search(new SearchQuery(text, List.of(room), null, null, null, null, null, null, null, null), 20)
                .hits().stream().map(MessageIndex.Hit::messageId).toList();
    }

    private void awaitFound(LuceneMessageIndex index, String text, String room, String id) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!find(index, text, room).contains(id) && System.nanoTime() < end) {
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
        assertThat(find(index, text, room)).contains(id);
    }

    private void room(String id) {
        mongo.insert(new Document("_id", id).append("kind", "GROUP").append("seq", 0L), "rooms").block(WAIT);
    }

    private Message post(String room, String text) {
        long s = nextSeq(room);
        Message m = new Message(String.format("%024x", ++seq), room, s, s, Message.Change.CREATED,
                new Message.Author("ns-sato", "佐藤", Profession.NURSE, "f", "f"), text, null, null, null, Priority.NORMAL,
                Message.Mentions.NONE, List.of(), List.of(), Map.of(), List.of(), T0.plusSeconds(seq), null, null, "h", null,
                null, null, null);
        return messages.insert(m).block(WAIT);
    }

    private Message edit(Message m, String text) {
        long s = nextSeq(m.roomId());
        return messages.edit(m.id(), new Message.Edit(m.text(), null, m.createdAt()), text, null, T0, s).block(WAIT);
    }

    private long nextSeq(String room) {
        return mongo.findAndModify(Query.query(Criteria.where("_id").is(room)), new Update().inc("seq", 1L),
                        org.springframework.data.mongodb.core.FindAndModifyOptions.options().returnNew(true), Document.class, "rooms")
                .map(d -> ((Number) d.get("seq")).longValue()).block(WAIT);
    }

    private static LoggedEvent event(String type, Message m) {
        return new LoggedEvent(m.roomId(), m.changeSeq(), type, JSON.writeValueAsString(RoomEvent.message(type, MessageView.of(m))),
                null, false);
    }
}
