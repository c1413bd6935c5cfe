package jp.tsunagu.ops.embedded;

import org.bson.Document;
import org.springframework.data.mongodb.ReactiveMongoDatabaseFactory;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.convert.MongoConverter;

import com.mongodb.client.model.CountOptions;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The template used on the embedded server: counts by reading the matching ids. The driver counts with an
 * aggregation ({@code $match}, {@code $group}), and {@code mongo-java-server} runs an aggregation over a copy of the
 * whole collection in memory before its first stage: counting a room's unread messages held every message of the
 * database (a million did not fit in 2 GB). A find uses the collection's indexes and streams.
 */
public final class EmbeddedMongoTemplate extends ReactiveMongoTemplate {

    public EmbeddedMongoTemplate(ReactiveMongoDatabaseFactory factory, MongoConverter converter) {
        super(factory, converter);
    }

    @Override
    protected Mono<Long> doExactCount(String collectionName, Document filter, CountOptions options) {
        return getCollection(collectionName).flatMapMany(collection -> {
            var find = collection.find(filter).projection(new Document("_id", 1));
            if (options.getSkip() > 0) {
                find = find.skip(options.getSkip());
            }
            if (options.getLimit() > 0) {
                find = find.limit(options.getLimit());
            }
            return Flux.from(find);
        }).count();
    }
}
