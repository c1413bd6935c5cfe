package jp.tsunagu.chat.search;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.PostingsFormat;
import org.apache.lucene.codecs.bloom.BloomFilteringPostingsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene912.Lucene912PostingsFormat;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.FieldDoc;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.PhraseQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * {@link MessageIndex} in Lucene, on this node's disk (or in memory beside an in-memory database). Japanese runs
 * are indexed as characters ({@code ja1}) and overlapping pairs with positions ({@code ja2}), so a part of a word
 * is a phrase of pairs; letters and digits as words ({@code word}, found by prefix). Only terms are kept, not the
 * text: the messages a search finds are read from the database and checked there. A search sees every change put
 * before it (it reopens the near-real-time reader when something changed); without searches the reader is reopened
 * every {@link #REFRESH_MS}. {@link #commit} makes the changes and the progress durable.
 */
public final class LuceneMessageIndex implements MessageIndex, AutoCloseable {

    /**
     * How often the reader is reopened when nobody searches, so that it stays within {@link #RECENT} changes of the
     * writer. Each reopen writes a segment: at a quarter second (searches reopen it themselves now) the reopens and
     * the merges of their small segments took 6 % of the server's CPU at 300 posts/s (JFR, docs/BENCHMARKS.md).
     */
    static final long REFRESH_MS = 1_000;
    private static final String PROGRESS = "progress";
    private static final String DATABASE = "database";

    private static final FieldType TERMS = new FieldType();
    private static final FieldType POSITIONS = new FieldType();

    static {
        TERMS.setIndexOptions(IndexOptions.DOCS);
        TERMS.setTokenized(true);
        TERMS.setOmitNorms(true);
        TERMS.freeze();
        POSITIONS.setIndexOptions(IndexOptions.DOCS_AND_FREQS_AND_POSITIONS);
        POSITIONS.setTokenized(true);
        POSITIONS.setOmitNorms(true);
        POSITIONS.freeze();
    }

    /**
     * The default codec with a Bloom filter on {@code id}'s postings. Every indexed change first looks its message's
     * id up in each segment ({@link #current}); a new message is in none, and the terms dictionary's seek in every
     * segment was a third of the index thread's time (JFR at 300 posts/s, docs/BENCHMARKS.md). The filter answers
     * "not here" for most segments without opening their terms. Segments written before keep their format: the
     * codec of each segment is recorded in it, and lucene-codecs registers the Bloom format for reading.
     */
    private static final Codec CODEC = new Lucene912Codec() {
        private final PostingsFormat ids = new BloomFilteringPostingsFormat(new Lucene912PostingsFormat());

        @Override
        public PostingsFormat getPostingsFormatForField(String field) {
            return "id".equals(field) ? ids : super.getPostingsFormatForField(field);
        }
    };

    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final ScheduledExecutorService refresher;
    private final AtomicBoolean changed = new AtomicBoolean();
    /**
     * The state (change number) of the messages put or removed lately, which a searcher may not show yet; older
     * ones are read from the index. A deletion stays here as a tombstone for as long as it is recent.
     */
    private final Map<String, Long> recent = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > RECENT;
        }
    };

    /** Far more than a refresh interval's changes, so that a state put is always found here or in a searcher. */
    static final int RECENT = 100_000;

    public LuceneMessageIndex(Directory directory) {
        this.directory = directory;
        try {
            IndexWriterConfig config = new IndexWriterConfig();
            config.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
            // The documents carry pre-made terms; a large buffer makes a full build a few big segments.
            config.setRAMBufferSizeMB(64);
            config.setCodec(CODEC);
            this.writer = new IndexWriter(directory, config);
            this.searchers = new SearcherManager(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException("the search index cannot be opened", e);
        }
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "search-refresh");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(this::refresh, REFRESH_MS, REFRESH_MS, TimeUnit.MILLISECONDS);
    }

    private void refresh() {
        if (changed.getAndSet(false)) {
            try {
                searchers.maybeRefreshBlocking();
            } catch (IOException e) {
                changed.set(true);
            }
        }
    }

    /** Makes everything put so far searchable now (tests; the building of an index). */
    public void refreshNow() {
        changed.set(true);
        refresh();
    }

    /**
     * The change number of the message the index holds, or -1. Once per indexed change, so the id's postings are
     * read directly, segment by segment: a term query went through the searcher's weights and task executor, which
     * cost twice the lookup itself (JFR).
     */
    private long current(String messageId) {
        Long known = recent.get(messageId);
        if (known != null) {
            return known;
        }
        BytesRef id = new BytesRef(messageId);
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
                    LeafReader reader = leaf.reader();
                    Terms ids = reader.terms("id");
                    if (ids == null) {
                        continue;
                    }
                    TermsEnum terms = ids.iterator();
                    if (!terms.seekExact(id)) {
                        continue;
                    }
                    Bits live = reader.getLiveDocs();
                    PostingsEnum docs = terms.postings(null, PostingsEnum.NONE);
                    for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
                        if (live == null || live.get(doc)) {
                            return reader.storedFields().document(doc).getField("change").numericValue().longValue();
                        }
                    }
                }
                return -1;
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void put(SearchDocument d) {
        long current = current(d.messageId());
        if (current >= d.changeSeq()) {
            return;
        }
        write(d, current >= 0);
    }

    @Override
    public synchronized void putNew(SearchDocument d) {
        write(d, false);
    }

    /**
     * @param held the index holds a state of the message (or a recent removal): it is replaced. Otherwise the
     *             document is added without a delete by id, which Lucene would apply to every segment at the next
     *             reopen, a second lookup of an id the first one ({@link #current}) found nowhere. The index's
     *             lock is held from the lookup to the add, so nothing can put the message in between.
     */
    private void write(SearchDocument d, boolean held) {
        recent.put(d.messageId(), d.changeSeq());
        Document doc = new Document();
        doc.add(new StoredField("change", d.changeSeq()));
        doc.add(new StringField("id", d.messageId(), Field.Store.YES));
        doc.add(new SortedDocValuesField("id_sort", new BytesRef(d.messageId())));
        doc.add(new StringField("room", d.roomId(), Field.Store.NO));
        long created = d.createdAt().toEpochMilli();
        doc.add(new LongPoint("created", created));
        doc.add(new NumericDocValuesField("created_sort", created));
        doc.add(new StoredField("created_at", created));
        if (d.authorId() != null) {
            doc.add(new StringField("author", d.authorId(), Field.Store.NO));
        }
        if (d.profession() != null) {
            doc.add(new StringField("profession", d.profession(), Field.Store.NO));
        }
        if (d.facilityId() != null) {
            doc.add(new StringField("facility", d.facilityId(), Field.Store.NO));
        }
        d.has().forEach(h -> doc.add(new StringField("has", h, Field.Store.NO)));
        if (d.urgent()) {
            doc.add(new StringField("urgent", "true", Field.Store.NO));
        }
        List<Token> singles = new ArrayList<>();
        List<Token> pairs = new ArrayList<>();
        List<Token> words = new ArrayList<>();
        for (SearchText.Run run : SearchText.runs(SearchText.normalize(d.text() == null ? "" : d.text()).text())) {
            if (run.japanese()) {
                SearchText.characters(run.text()).forEach(c -> singles.add(new Token(c, 1)));
                List<String> p = SearchText.pairs(run.text());
                // A gap between runs, so that no phrase spans two of them.
                for (int k = 0; k < p.size(); k++) {
                    pairs.add(new Token(p.get(k), k == 0 ? 10 : 1));
                }
            } else {
                words.add(new Token(run.text(), 1));
            }
        }
        doc.add(new Field("ja1", new Tokens(singles), TERMS));
        doc.add(new Field("ja2", new Tokens(pairs), POSITIONS));
        doc.add(new Field("word", new Tokens(words), TERMS));
        try {
            if (held) {
                writer.updateDocument(new Term("id", d.messageId()), doc);
            } else {
                writer.addDocument(doc);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        changed.set(true);
    }

    @Override
    public synchronized void remove(String messageId, long changeSeq) {
        if (current(messageId) >= changeSeq) {
            return;
        }
        recent.put(messageId, changeSeq);
        delete(new Term("id", messageId));
    }

    @Override
    public synchronized void clear() {
        try {
            writer.deleteAll();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        recent.clear();
        refreshNow();
    }

    @Override
    public synchronized void removeRoom(String roomId) {
        delete(new Term("room", roomId));
        // The room may be indexed again from scratch: what was recent is forgotten and the searchers see the removal.
        recent.clear();
        refreshNow();
    }

    private void delete(Term term) {
        try {
            writer.deleteDocuments(term);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        changed.set(true);
    }

    @Override
    public Hits search(SearchQuery q, int limit) {
        Query query = query(q);
        try {
            // What was put before this search is found by it (waiting for a reopen under way, which may have begun
            // before the last put); a reopen writes at most a second's changes.
            searchers.maybeRefreshBlocking();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Sort sort = new Sort(new SortField("created_sort", SortField.Type.LONG, true),
                new SortField("id_sort", SortField.Type.STRING, true));
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                TopDocs top;
                if (q.after() == null) {
                    top = searcher.search(query, limit + 1, sort);
                } else {
                    // The last document number: a hit with the same time and id (the one the page ended on) is not after it.
                    FieldDoc after = new FieldDoc(Math.max(0, searcher.getIndexReader().maxDoc() - 1), Float.NaN, new Object[]{
                            q.after().createdAt().toEpochMilli(), new BytesRef(q.after().messageId())});
                    top = searcher.searchAfter(after, query, limit + 1, sort);
                }
                List<Hit> hits = new ArrayList<>();
                for (ScoreDoc sd : top.scoreDocs) {
                    if (hits.size() == limit) {
                        break;
                    }
                    Document stored = searcher.storedFields().document(sd.doc);
                    String id = stored.get("id");
                    long created = stored.getField("created_at").numericValue().longValue();
                    hits.add(new Hit(id, new SearchQuery.Position(Instant.ofEpochMilli(created), id)));
                }
                return new Hits(hits, top.scoreDocs.length > limit);
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every part of the text, in the given rooms, with the filters: permission is part of the query. */
    static Query query(SearchQuery q) {
        if (q.roomIds().isEmpty()) {
            return new MatchNoDocsQuery("no rooms");
        }
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        boolean any = false;
        for (SearchText.Run run : SearchText.runs(SearchText.normalize(q.text()).text())) {
            any = true;
            if (!run.japanese()) {
                b.add(new PrefixQuery(new Term("word", run.text())), BooleanClause.Occur.MUST);
            } else if (run.text().codePointCount(0, run.text().length()) == 1) {
                b.add(new TermQuery(new Term("ja1", run.text())), BooleanClause.Occur.MUST);
            } else {
                PhraseQuery.Builder phrase = new PhraseQuery.Builder();
                List<String> pairs = SearchText.pairs(run.text());
                for (int k = 0; k < pairs.size(); k++) {
                    phrase.add(new Term("ja2", pairs.get(k)), k);
                }
                b.add(phrase.build(), BooleanClause.Occur.MUST);
            }
        }
        if (!any) {
            return new MatchNoDocsQuery("nothing to search for");
        }
        b.add(new TermInSetQuery("room", q.roomIds().stream().map(BytesRef::new).toList()), BooleanClause.Occur.FILTER);
        filter(b, "author", q.authorId());
        filter(b, "profession", q.profession());
        filter(b, "facility", q.facilityId());
        if (q.has() != null) {
            q.has().forEach(h -> filter(b, "has", h));
        }
        if (q.urgent() != null) {
            b.add(new TermQuery(new Term("urgent", "true")), q.urgent() ? BooleanClause.Occur.FILTER : BooleanClause.Occur.MUST_NOT);
        }
        if (q.from() != null || q.to() != null) {
            b.add(LongPoint.newRangeQuery("created", q.from() == null ? Long.MIN_VALUE : q.from().toEpochMilli(),
                    q.to() == null ? Long.MAX_VALUE : q.to().toEpochMilli() - 1), BooleanClause.Occur.FILTER);
        }
        return b.build();
    }

    private static void filter(BooleanQuery.Builder b, String field, String value) {
        if (value != null) {
            b.add(new TermQuery(new Term(field, value)), BooleanClause.Occur.FILTER);
        }
    }

    @Override
    public String database() {
        return commitData().get(DATABASE);
    }

    private Map<String, String> commitData() {
        return writer.getLiveCommitData() == null ? Map.of() : toMap(writer.getLiveCommitData());
    }

    @Override
    public Map<String, Long> progress() {
        Map<String, Long> out = new HashMap<>();
        String encoded = commitData().get(PROGRESS);
        if (encoded != null && !encoded.isEmpty()) {
            for (String entry : encoded.split(";")) {
                int eq = entry.lastIndexOf('=');
                out.put(entry.substring(0, eq), Long.parseLong(entry.substring(eq + 1)));
            }
        }
        return out;
    }

    private static Map<String, String> toMap(Iterable<Map.Entry<String, String>> entries) {
        Map<String, String> out = new HashMap<>();
        entries.forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    @Override
    public synchronized void commit(Map<String, Long> progress, String database) {
        StringBuilder encoded = new StringBuilder();
        progress.forEach((room, seq) -> encoded.append(encoded.length() == 0 ? "" : ";").append(room).append('=').append(seq));
        try {
            writer.setLiveCommitData(Map.of(PROGRESS, encoded.toString(), DATABASE, database == null ? "" : database).entrySet());
            writer.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean isEmpty() {
        try (DirectoryReader reader = DirectoryReader.open(writer)) {
            return reader.numDocs() == 0 && progress().isEmpty() && database() == null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many messages the index holds (figures, tests). */
    public int size() {
        try (DirectoryReader reader = DirectoryReader.open(writer)) {
            return reader.numDocs();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes the index takes on its directory (figures). */
    public long bytes() {
        try {
            long total = 0;
            for (String file : directory.listAll()) {
                total += directory.fileLength(file);
            }
            return total;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        try {
            searchers.close();
            writer.close();
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Token(String term, int increment) {
    }

    /** Terms made by {@link SearchText}, handed to Lucene as they are. */
    private static final class Tokens extends TokenStream {

        private final List<Token> tokens;
        private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
        private final PositionIncrementAttribute increment = addAttribute(PositionIncrementAttribute.class);
        private int next;

        Tokens(List<Token> tokens) {
            this.tokens = tokens;
        }

        @Override
        public boolean incrementToken() {
            if (next >= tokens.size()) {
                return false;
            }
            clearAttributes();
            Token t = tokens.get(next++);
            term.setEmpty().append(t.term());
            increment.setPositionIncrement(t.increment());
            return true;
        }

        @Override
        public void reset() throws IOException {
            super.reset();
            next = 0;
        }
    }
}
