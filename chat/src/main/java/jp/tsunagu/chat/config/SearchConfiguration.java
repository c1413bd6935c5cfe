package jp.tsunagu.chat.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

import jp.tsunagu.chat.api.SearchController;
import jp.tsunagu.chat.handler.SearchHandler;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.realtime.RoomEventHub;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.search.LuceneMessageIndex;
import jp.tsunagu.chat.search.SearchIndexer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wires message search: this node's index, kept by every room event the hubs deliver (docs/ARCHITECTURE.md,
 * "Search").
 *
 * <p>Where the index lives ({@code tsunagu.search.index-dir}): given, there; else beside the embedded database's
 * file ({@code <data-dir>/search}); in memory when the embedded database is in memory, and on a MongoDB of several
 * nodes (each node builds it at start-up from the database; give each node a folder of its own to keep it across
 * restarts).
 */
@Configuration(proxyBeanMethods = false)
public class SearchConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SearchConfiguration.class);

    @Bean(destroyMethod = "close")
    LuceneMessageIndex messageIndex(Environment env) {
        return new LuceneMessageIndex(directory(env));
    }

    static Directory directory(Environment env) {
        String dir = env.getProperty("tsunagu.search.index-dir");
        boolean inMemory = env.getProperty("tsunagu.search.in-memory", Boolean.class,
                dir == null && (env.getProperty("tsunagu.embedded-mongo.in-memory", Boolean.class, false)
                        || MongoUri.isConfigured(env)));
        if (inMemory) {
            return new ByteBuffersDirectory();
        }
        Path path = dir != null ? Path.of(dir)
                : Path.of(env.getProperty("tsunagu.embedded-mongo.data-dir", "data")).resolve("search");
        try {
            Files.createDirectories(path);
            log.info("search index in {}", path.toAbsolutePath());
            return FSDirectory.open(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the search index folder " + path, e);
        }
    }

    /**
     * Starts building or catching up at once; search answers 503 until it is done, the rest of the server does not
     * wait. {@code tsunagu.search.enabled=false} keeps the index empty and search unavailable (a node that must not
     * spend on it, or a measurement of what it costs a post: docs/BENCHMARKS.md).
     */
    @Bean(destroyMethod = "close")
    SearchIndexer searchIndexer(LuceneMessageIndex index, MessageStore messages, ReactiveMongoTemplate mongo,
                                JsonMapper json, RoomEventHub hub, Environment env) {
        SearchIndexer indexer = new SearchIndexer(index, messages, mongo, json);
        if (!env.getProperty("tsunagu.search.enabled", Boolean.class, true)) {
            log.warn("tsunagu.search.enabled=false: messages are not indexed and search answers 503");
            return indexer;
        }
        hub.addListener(indexer::accept);
        return indexer.start();
    }

    @Bean
    SearchHandler searchHandler(LuceneMessageIndex index, SearchIndexer indexer, MembershipStore memberships,
                                MessageStore messages, RoomStore rooms) {
        return new SearchHandler(index, indexer, memberships, messages, rooms);
    }

    @Bean
    SearchController searchController(SearchHandler search) {
        return new SearchController(search);
    }
}
