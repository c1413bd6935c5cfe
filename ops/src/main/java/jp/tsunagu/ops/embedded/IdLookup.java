package jp.tsunagu.ops.embedded;

import java.util.List;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.bson.Document;

/**
 * An equality on {@code _id} with further conditions ({@code {_id: x, archived: {$ne: true}}}, taking a room's
 * number) reads one document. {@code mongo-java-server}'s {@code _id} index only answers a query on {@code _id}
 * alone, so such a query read the whole collection under the collection's lock, twice per post (JFR under the load
 * tool, docs/BENCHMARKS.md). The caller still matches the whole query against what this finds.
 */
final class IdLookup {

    private static final String ID = "_id";

    private IdLookup() {
    }

    /** The candidates by {@code _id} alone, or null if the query is not an {@code _id} equality with more. */
    static <P> Iterable<P> candidates(List<Index<P>> indexes, Document query) {
        Object id = query.get(ID);
        if (query.size() < 2 || id == null || id instanceof Document) {
            return null;
        }
        Document byId = new Document(ID, id);
        for (Index<P> index : indexes) {
            if (index.canHandle(byId)) {
                return index.getPositions(byId);
            }
        }
        return null;
    }
}
