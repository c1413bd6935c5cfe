package jp.tsunagu.chat.search;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The index finds any part of a Japanese word in any width or kana, words by their start, only in the rooms asked. */
class LuceneMessageIndexTests {

    private static final Instant T0 = Instant.parse("2026-11-20T01:00:00Z");
    private LuceneMessageIndex index;

    @BeforeEach
    void open() {
        index = new LuceneMessageIndex(new ByteBuffersDirectory());
    }

    @AfterEach
    void close() {
        index.close();
    }

    private void put(String id, String room, int minute, String text) {
        put(id, room, minute, 1, text, "ns-sato", "nurse", Set.of(), false);
    }

    private void put(String id, String room, int minute, long change, String text, String author, String profession,
                     Set<String> has, boolean urgent) {
        index.put(new SearchDocument(id, room, change, T0.plusSeconds(60L * minute), text, author, profession, "fac-1",
                has, urgent));
    }

    private List<String> find(String text, String... rooms) {
        return find(new SearchQuery(text, List.of(rooms), null, null, null, null, null, null, null, null));
    }

    /** No refreshNow: a search sees what was put before it. */
    private List<String> find(SearchQuery q) {
        return index.search(q, 20).hits().stream().map(MessageIndex.Hit::messageId).toList();
    }

    @Test
    void partsOfJapaneseWordsAreFoundInAnyWidthOrKana() {
        put("m1", "r1", 1, "訪問看護の記録: ワーファリン 2mg 継続");
        put("m2", "r1", 2, "ﾜｰﾌｧﾘﾝは中止");
        put("m3", "r1", 3, "看護師より: 血圧 140/85");

        assertThat(find("訪問", "r1")).containsExactly("m1");
        assertThat(find("看護", "r1")).containsExactly("m3", "m1");
        assertThat(find("護師", "r1")).containsExactly("m3");
        assertThat(find("ワーファリン", "r1")).containsExactly("m2", "m1");
        assertThat(find("わーふぁりん", "r1")).containsExactly("m2", "m1");
        assertThat(find("中", "r1")).as("one character").containsExactly("m2");
        assertThat(find("訪問 ワーファリン", "r1")).as("every word").containsExactly("m1");
        assertThat(find("看護 中止", "r1")).isEmpty();
        assertThat(find("問看護記", "r1")).as("pairs must follow each other").isEmpty();
    }

    @Test
    void lettersAndDigitsAreWordsFoundByTheirBeginningInAnyCase() {
        put("m1", "r1", 1, "Warfarin 2mg, BP 140/85");
        put("m2", "r1", 2, "warfarin stopped");

        assertThat(find("WARF", "r1")).containsExactly("m2", "m1");
        assertThat(find("bp 14", "r1")).containsExactly("m1");
        assertThat(find("arfarin", "r1")).as("not in the middle of a word").isEmpty();
    }

    @Test
    void onlyTheRoomsAskedAreSearchedAndFiltersNarrow() {
        put("m1", "r1", 1, 1, "訪問の写真", "ns-sato", "nurse", Set.of("photo"), false);
        put("m2", "r2", 2, 1, "訪問の依頼", "cm-suzuki", "care_manager", Set.of("request"), true);

        assertThat(find("訪問", "r1")).containsExactly("m1");
        assertThat(find("訪問")).as("no room").isEmpty();
        assertThat(find("訪問", "r1", "r2")).containsExactly("m2", "m1");
        assertThat(find(new SearchQuery("訪問", List.of("r1", "r2"), "cm-suzuki", null, null, null, null, null, null, null)))
                .containsExactly("m2");
        assertThat(find(new SearchQuery("訪問", List.of("r1", "r2"), null, "nurse", null, null, null, null, null, null)))
                .containsExactly("m1");
        assertThat(find(new SearchQuery("訪問", List.of("r1", "r2"), null, null, null, null, null, Set.of("photo"), null, null)))
                .containsExactly("m1");
        assertThat(find(new SearchQuery("訪問", List.of("r1", "r2"), null, null, null, null, null, null, true, null)))
                .containsExactly("m2");
        assertThat(find(new SearchQuery("訪問", List.of("r1", "r2"), null, null, null, null, null, null, false, null)))
                .containsExactly("m1");
        assertThat(find(new SearchQuery("訪問", List.of("r1", "r2"), null, null, null, T0.plusSeconds(90), null, null, null, null)))
                .containsExactly("m2");
        assertThat(find(new SearchQuery("訪問", List.of("r1", "r2"), null, null, null, null, T0.plusSeconds(90), null, null, null)))
                .containsExactly("m1");
    }

    @Test
    void pagesFollowEachOtherNewestFirstWithNothingTwice() {
        for (int i = 0; i < 45; i++) {
            put(String.format("m%02d", i), "r1", i / 3, "申し送り " + i);
        }
        index.refreshNow();
        SearchQuery q = new SearchQuery("申し送り", List.of("r1"), null, null, null, null, null, null, null, null);
        List<String> seen = new java.util.ArrayList<>();
        MessageIndex.Hits page = index.search(q, 20);
        seen.addAll(page.hits().stream().map(MessageIndex.Hit::messageId).toList());
        while (page.more()) {
            SearchQuery.Position last = page.hits().get(page.hits().size() - 1).position();
            page = index.search(new SearchQuery("申し送り", List.of("r1"), null, null, null, null, null, null, null, last), 20);
            seen.addAll(page.hits().stream().map(MessageIndex.Hit::messageId).toList());
        }
        assertThat(seen).hasSize(45).doesNotHaveDuplicates();
        assertThat(seen.get(0)).isEqualTo("m44");
        assertThat(seen.get(44)).isEqualTo("m00");
    }

    @Test
    void theLatestStateWinsWhateverOrderChangesArriveIn() {
        put("m1", "r1", 1, 3, "訂正後の記録", "ns-sato", "nurse", Set.of(), false);
        put("m1", "r1", 1, 2, "最初の記録", "ns-sato", "nurse", Set.of(), false);
        assertThat(find("訂正", "r1")).containsExactly("m1");
        assertThat(find("最初", "r1")).isEmpty();

        index.remove("m1", 4);
        put("m1", "r1", 1, 3, "訂正後の記録", "ns-sato", "nurse", Set.of(), false);
        assertThat(find("訂正", "r1")).as("a deletion is not undone by an earlier state").isEmpty();
    }

    @Test
    void anErasedRoomLeavesTheIndex() {
        put("m1", "r1", 1, "記録");
        put("m2", "r2", 1, "記録");
        index.removeRoom("r1");
        assertThat(find("記録", "r1", "r2")).containsExactly("m2");
    }

    @Test
    void progressAndTheDatabaseAreKeptWithTheIndexAcrossARestart(@TempDir Path dir) throws Exception {
        try (LuceneMessageIndex disk = new LuceneMessageIndex(FSDirectory.open(dir))) {
            assertThat(disk.isEmpty()).isTrue();
            disk.put(new SearchDocument("m1", "r1", 5, T0, "記録", "ns-sato", "nurse", null, Set.of(), false));
            disk.commit(Map.of("r1", 7L), "db-1");
        }
        try (LuceneMessageIndex again = new LuceneMessageIndex(FSDirectory.open(dir))) {
            assertThat(again.isEmpty()).isFalse();
            assertThat(again.progress()).containsExactly(Map.entry("r1", 7L));
            assertThat(again.database()).isEqualTo("db-1");
            again.refreshNow();
            assertThat(again.search(new SearchQuery("記録", List.of("r1"), null, null, null, null, null, null, null, null), 5)
                    .hits()).hasSize(1);
        }
    }

    @Test
    void afterARestartAnOlderStateOfAMessageInAnySegmentDoesNotReplaceANewerOne(@TempDir Path dir) throws Exception {
        try (LuceneMessageIndex disk = new LuceneMessageIndex(FSDirectory.open(dir))) {
            disk.put(new SearchDocument("m1", "r1", 5, T0, "訪問 記録", "ns-sato", "nurse", null, Set.of(), false));
            disk.refreshNow();
            // Segments of their own: the lookup reads each one.
            disk.put(new SearchDocument("m2", "r1", 6, T0, "血圧", "ns-sato", "nurse", null, Set.of(), false));
            disk.refreshNow();
            disk.put(new SearchDocument("m1", "r1", 8, T0, "訪問 中止", "ns-sato", "nurse", null, Set.of(), false));
            disk.commit(Map.of("r1", 8L), "db-1");
        }
        try (LuceneMessageIndex again = new LuceneMessageIndex(FSDirectory.open(dir))) {
            // Nothing is recent after a restart: what the index holds decides.
            again.put(new SearchDocument("m1", "r1", 5, T0, "訪問 記録", "ns-sato", "nurse", null, Set.of(), false));
            again.remove("m2", 4);
            SearchQuery stopped = new SearchQuery("中止", List.of("r1"), null, null, null, null, null, null, null, null);
            assertThat(again.search(stopped, 5).hits()).extracting(MessageIndex.Hit::messageId).containsExactly("m1");
            SearchQuery pressure = new SearchQuery("血圧", List.of("r1"), null, null, null, null, null, null, null, null);
            assertThat(again.search(pressure, 5).hits()).extracting(MessageIndex.Hit::messageId).containsExactly("m2");
            again.put(new SearchDocument("m1", "r1", 9, T0, "訪問 再開", "ns-sato", "nurse", null, Set.of(), false));
            again.remove("m2", 7);
            assertThat(again.search(stopped, 5).hits()).isEmpty();
            assertThat(again.search(pressure, 5).hits()).isEmpty();
        }
    }

    /** Each indexed change looks its id up in every segment: the Bloom filter must be what the segments carry. */
    @Test
    void theIdsOfEverySegmentAreBloomFilteredAndReadBackAfterARestart(@TempDir Path dir) throws Exception {
        try (LuceneMessageIndex disk = new LuceneMessageIndex(FSDirectory.open(dir))) {
            disk.put(new SearchDocument("m1", "r1", 5, T0, "訪問 記録", "ns-sato", "nurse", null, Set.of(), false));
            disk.commit(Map.of("r1", 5L), "db-1");
        }
        try (org.apache.lucene.index.DirectoryReader reader = org.apache.lucene.index.DirectoryReader.open(FSDirectory.open(dir))) {
            assertThat(reader.leaves()).isNotEmpty().allSatisfy(leaf -> {
                assertThat(leaf.reader().getFieldInfos().fieldInfo("id").getAttribute("PerFieldPostingsFormat.format"))
                        .isEqualTo("BloomFilter");
                assertThat(leaf.reader().getFieldInfos().fieldInfo("room").getAttribute("PerFieldPostingsFormat.format"))
                        .isEqualTo("Lucene912");
                assertThat(leaf.reader().terms("id").iterator().seekExact(new org.apache.lucene.util.BytesRef("m1"))).isTrue();
                assertThat(leaf.reader().terms("id").iterator().seekExact(new org.apache.lucene.util.BytesRef("m2"))).isFalse();
            });
        }
    }
}
