package jp.tsunagu.chat.message;

import java.util.Collection;

import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/** {@link BookmarkStore} on MongoDB. */
public final class MongoBookmarkStore implements BookmarkStore {

    private final ReactiveMongoTemplate mongo;

    public MongoBookmarkStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<Bookmark> save(Bookmark bookmark) {
        return mongo.save(bookmark);
    }

    @Override
    public Mono<Void> remove(String userId, String messageId) {
        return mongo.remove(Query.query(where("_id").is(Bookmark.idOf(userId, messageId))), Bookmark.class).then();
    }

    @Override
    public Flux<Bookmark> of(String userId, Collection<String> roomIds, int limit) {
        return mongo.find(Query.query(where("userId").is(userId).and("roomId").in(roomIds))
                .with(Sort.by(Sort.Direction.DESC, "at")).limit(limit), Bookmark.class);
    }
}
