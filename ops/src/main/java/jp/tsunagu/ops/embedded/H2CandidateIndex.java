package jp.tsunagu.ops.embedded;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;

/**
 * A secondary (non-unique) index for the embedded server's H2 backend, which has none of its own: it logs "not yet
 * implemented" and answers every query but an {@code _id} one by reading the whole collection (about 30 s for a
 * million messages, holding the collection's lock meanwhile).
 *
 * <p>Only the index's first field is indexed: a query with an equality ({@code $eq}, {@code $in} or a plain value) on
 * it gets the documents with that value as candidates, and a sparse index also answers a range or {@code $exists:
 * true} on it with every document that has the field. Candidates are a superset: the collection still matches each
 * against the whole query, then sorts, skips and limits, as it does after a full read. That covers the server's
 * queries (a room's messages by {@code roomId}, the few urgent messages by {@code acknowledgement.escalateAt}, ...)
 * at a fraction of a full index's code; the rest of the key only orders entries on a real MongoDB.
 *
 * <p>Entries are keys {@code <value>\0<position>} in an MVMap of the same store, so the index persists with the data
 * and is built once (when created, or at the first open of a database whose earlier version had ignored it). Array
 * values are indexed by element, as MongoDB's multikey indexes are. Called under the collection's lock.
 */
final class H2CandidateIndex extends Index<Object> {

    /** Set once the index was built from the collection: a sparse index with no entries is still built. */
    private static final String BUILT = "\u0001built";
    private static final char SEPARATOR = '\u0000';
    private static final Set<String> RANGE = Set.of("$lt", "$lte", "$gt", "$gte");

    private final MVMap<String, Object> entries;
    private final String field;

    H2CandidateIndex(MVMap<String, Object> entries, String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        this.entries = entries;
        this.field = keys.get(0).getKey();
    }

    @Override
    public Object getPosition(Document document) {
        return null;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<Object> collection) {
        // Not unique: nothing to check.
    }

    @Override
    public void add(Document document, Object position, MongoCollection<Object> collection) {
        for (String value : valuesOf(document)) {
            entries.put(value + SEPARATOR + encode(position), Missing.ofNullable(position));
        }
    }

    @Override
    public Object remove(Document document) {
        built();
        Object position = Utils.getSubdocumentValue(document, "_id");
        for (String value : valuesOf(document)) {
            entries.remove(value + SEPARATOR + encode(position));
        }
        // The collection checks that every index agrees on where the document was.
        return position;
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Object> collection) {
        // Not unique: nothing to check.
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, Object position, MongoCollection<Object> collection) {
        built();
        Set<String> before = valuesOf(oldDocument);
        Set<String> after = valuesOf(newDocument);
        if (before.equals(after)) {
            return;
        }
        String at = SEPARATOR + encode(position);
        before.stream().filter(v -> !after.contains(v)).forEach(v -> entries.remove(v + at));
        after.stream().filter(v -> !before.contains(v)).forEach(v -> entries.put(v + at, Missing.ofNullable(position)));
    }

    @Override
    public boolean canHandle(Document query) {
        built();
        return lookup(query) != null;
    }

    @Override
    public Iterable<Object> getPositions(Document query) {
        List<String> values = lookup(query);
        Set<Object> positions = new LinkedHashSet<>();
        if (values == null) {
            throw new IllegalArgumentException("the index " + getName() + " cannot answer " + query);
        }
        if (values.isEmpty()) {
            // Every document that has the field.
            entries.entrySet().forEach(e -> {
                if (!e.getKey().equals(BUILT)) {
                    positions.add(e.getValue());
                }
            });
        }
        for (String value : values) {
            String prefix = value + SEPARATOR;
            Iterator<String> keys = entries.keyIterator(prefix);
            while (keys.hasNext()) {
                String key = keys.next();
                if (!key.startsWith(prefix)) {
                    break;
                }
                positions.add(entries.get(key));
            }
        }
        positions.removeIf(p -> p == null);
        return positions;
    }

    /**
     * The encoded values whose entries hold the candidates, an empty list for every entry (a sparse index asked for a
     * range), or null when this index cannot answer the query.
     */
    private List<String> lookup(Document query) {
        if (!query.containsKey(field)) {
            return null;
        }
        Object condition = query.get(field);
        if (isPlain(condition)) {
            return List.of(encodeValue(condition));
        }
        if (!(condition instanceof Document operators) || operators.isEmpty()
                || operators.keySet().stream().anyMatch(k -> !k.startsWith("$"))) {
            return null;
        }
        if (operators.size() == 1 && operators.containsKey("$eq") && isPlain(operators.get("$eq"))) {
            return List.of(encodeValue(operators.get("$eq")));
        }
        if (operators.size() == 1 && operators.get("$in") instanceof Collection<?> in && !in.isEmpty()
                && in.stream().allMatch(H2CandidateIndex::isPlain)) {
            List<String> values = new ArrayList<>();
            in.forEach(v -> values.add(encodeValue(v)));
            return values;
        }
        // Only a sparse index has every document that can satisfy a range (never a missing or null field).
        if (isSparse() && operators.keySet().stream().allMatch(k -> RANGE.contains(k)
                || k.equals("$exists") && Utils.isTrue(operators.get(k)))) {
            return List.of();
        }
        return null;
    }

    /** A value whose equality is decided by its encoding: not null, not an array, document or pattern. */
    private static boolean isPlain(Object value) {
        return value != null && !(value instanceof Missing) && !(value instanceof Collection) && !(value instanceof Document)
                && !(value instanceof java.util.Map) && !(value instanceof Pattern)
                && !BsonRegularExpression.isRegularExpression(value) && !value.getClass().isArray();
    }

    /** The document's encoded values of the field: one per array element; none when absent from a sparse index. */
    private Set<String> valuesOf(Document document) {
        Object raw = Utils.getSubdocumentValueCollectionAware(document, field);
        Set<String> values = new LinkedHashSet<>();
        if (raw instanceof Missing || raw == null && isSparse()) {
            if (!isSparse()) {
                values.add(encodeValue(null));
            }
            return values;
        }
        if (raw instanceof Collection<?> elements) {
            elements.forEach(e -> values.add(encodeValue(e)));
        } else {
            values.add(encodeValue(raw));
        }
        return values;
    }

    /** Equal values as MongoDB compares them (1, 1L and 1.0 alike) encode alike: the server's own normalisation. */
    private static String encodeValue(Object value) {
        Object normalised = new KeyValue(value).normalized().get(0);
        return encode(normalised);
    }

    private static String encode(Object value) {
        if (value == null || value instanceof Missing) {
            return "n:";
        }
        return value.getClass().getSimpleName() + ":" + value;
    }

    /** Called once the collection has added every document: the next open does not build it again. */
    void built() {
        if (!entries.containsKey(BUILT)) {
            // The collection builds an index before it first asks it anything or changes a document through it.
            entries.put(BUILT, Boolean.TRUE);
        }
    }

    @Override
    public boolean isEmpty() {
        // The collection builds an index that says it is empty: once, not at every open.
        return !entries.containsKey(BUILT);
    }

    @Override
    public long getCount() {
        return entries.sizeAsLong() - (entries.containsKey(BUILT) ? 1 : 0);
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void drop() {
        entries.clear();
    }
}
