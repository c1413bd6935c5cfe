package jp.tsunagu.ops.embedded;

import java.util.List;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;

/**
 * {@code mongo-java-server}'s H2 backend with secondary indexes ({@link H2CandidateIndex}): without them every query
 * but an {@code _id} one reads the whole collection, which made the embedded default unusable past some ten thousand
 * messages (opening a room of a database of a million took 30 s). Everything else is the library's.
 */
public final class IndexedH2Backend extends H2Backend {

    private static final Logger log = LoggerFactory.getLogger(IndexedH2Backend.class);

    /** A database file on disk; {@code null}: in memory. */
    public IndexedH2Backend(String fileName) {
        super(fileName == null ? MVStore.open(null) : MVStore.open(fileName));
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new IndexedDatabase(databaseName);
    }

    /** An inner class: its indexes, opened while the library's constructor runs, need the store already. */
    private final class IndexedDatabase extends H2Database {

        IndexedDatabase(String databaseName) {
            super(databaseName, getMvStore(), getCursorRegistry());
        }

        @Override
        protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                           boolean sparse) {
            // The library's naming for an index's map, so that dropping the index, collection or database removes it.
            MVMap<String, Object> entries = getMvStore().openMap(getFullCollectionNamespace(collectionName) + "._index_" + indexName);
            return new H2CandidateIndex(entries, indexName, keys, sparse);
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            String name = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> data = getMvStore().openMap("databases." + name);
            MVMap<String, Object> meta = getMvStore().openMap("meta." + name);
            return new IndexedCollection(this, collectionName, options, data, meta);
        }
    }

    private final class IndexedCollection extends H2Collection {

        IndexedCollection(MongoDatabase database, String collectionName, CollectionOptions options,
                          MVMap<Object, Document> data, MVMap<String, Object> meta) {
            super(database, collectionName, options, data, meta, getCursorRegistry());
        }

        /** See {@link IdLookup}. */
        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                                             int batchSize, Document fieldSelector) {
            Iterable<Object> byId = IdLookup.candidates(getIndexes(), query);
            return byId == null ? super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector)
                    : matchDocuments(query, byId, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }

        /**
         * Builds a new secondary index in one pass over the collection (the library reads it twice, the first time
         * to check uniqueness, which a secondary index does not need).
         */
        @Override
        public synchronized void addIndex(Index<Object> index) {
            if (index instanceof H2CandidateIndex candidates && candidates.isEmpty()) {
                long started = System.nanoTime();
                streamAllDocumentsWithPosition().forEach(d -> candidates.add(d.getDocument(), d.getPosition(), this));
                candidates.built();
                log.info("embedded database: index {} of {} built over {} documents in {} ms", index.getName(),
                        getCollectionName(), count(), (System.nanoTime() - started) / 1_000_000);
            }
            super.addIndex(index);
        }
    }
}
