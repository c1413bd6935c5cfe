package jp.tsunagu.chat.search;

import java.util.List;
import java.util.Map;

/**
 * The narrow interface search needs from an index of messages. {@link LuceneMessageIndex} is the one built here, a
 * local index on each node; a search engine shared by the nodes (OpenSearch or Elasticsearch with kuromoji, for a
 * region that outgrows it) would implement the same five calls (docs/ARCHITECTURE.md, "Search").
 */
public interface MessageIndex {

    /**
     * Adds or replaces the message, unless the index holds a later state of it ({@code changeSeq}): changes may
     * arrive out of order (a start-up build reading the database while events come in), the latest wins.
     */
    void put(SearchDocument document);

    /** Takes the message out (deleted at {@code changeSeq}); an earlier state arriving later does not bring it back. */
    void remove(String messageId, long changeSeq);

    /** Adds a message the index holds no state of (the first build of an empty index): no lookup of an earlier one. */
    void putNew(SearchDocument document);

    /** Takes everything out (an index built from another database). */
    void clear();

    /** Takes every message of the room out (the room was erased, or is indexed again from scratch). */
    void removeRoom(String roomId);

    /** Ids of the hits, newest first, at most {@code limit}, and where the page ended. */
    Hits search(SearchQuery query, int limit);

    /** How far each room is indexed, as last committed: the highest room sequence number whose change it holds. */
    Map<String, Long> progress();

    /** The database the index was built from, as last committed; null for a new index. */
    String database();

    /** Records durably what was put since, how far rooms are indexed, and from which database. */
    void commit(Map<String, Long> progress, String database);

    /** Whether the index holds nothing yet (it is built from the database then). */
    boolean isEmpty();

    record Hits(List<Hit> hits, boolean more) {
    }

    record Hit(String messageId, SearchQuery.Position position) {
    }
}
