package jp.tsunagu.ops.embedded;

import java.util.List;

import org.junit.jupiter.api.Test;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.memory.index.MemoryUniqueIndex;
import de.bwaldvogel.mongo.bson.Document;

import static org.assertj.core.api.Assertions.assertThat;

class IdLookupTests {

    private static List<Index<Integer>> idIndex() {
        MemoryUniqueIndex byId = new MemoryUniqueIndex("_id_", List.of(new IndexKey("_id", true)), false);
        for (int position = 0; position < 50; position++) {
            byId.add(new Document("_id", "room-" + position), position, null);
        }
        return List.of(byId);
    }

    @Test
    void anIdEqualityWithMoreConditionsFindsTheOneCandidate() {
        Document takeNumber = new Document("_id", "room-7").append("archived", new Document("$ne", true));
        assertThat(IdLookup.candidates(idIndex(), takeNumber)).containsExactly(7);
        Document preview = new Document("_id", "room-9").append("$or", List.of(new Document("lastMessage", null)));
        assertThat(IdLookup.candidates(idIndex(), preview)).containsExactly(9);
        assertThat(IdLookup.candidates(idIndex(), new Document("_id", "room-99").append("archived", false))).isEmpty();
    }

    @Test
    void leavesEverythingElseToTheLibrary() {
        // The library's own index answers an _id alone; an operator on _id or no _id is not an equality.
        assertThat(IdLookup.candidates(idIndex(), new Document("_id", "room-7"))).isNull();
        assertThat(IdLookup.candidates(idIndex(), new Document("_id", new Document("$in", List.of("room-1")))
                .append("archived", false))).isNull();
        assertThat(IdLookup.candidates(idIndex(), new Document("roomId", "room-7").append("seq", 3))).isNull();
    }
}
