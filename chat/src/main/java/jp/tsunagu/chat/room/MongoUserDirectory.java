package jp.tsunagu.chat.room;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import jp.tsunagu.chat.identity.CareUser;
import reactor.core.publisher.Mono;

/**
 * {@link UserDirectory} on MongoDB. Remembers the last profile written per user in memory so that a
 * request costs a write only when the token says something new.
 */
public final class MongoUserDirectory implements UserDirectory {

    /** Bounds the memo; beyond it the memo is cleared, costing one upsert per user again. */
    private static final int MEMO_LIMIT = 100_000;

    private final ReactiveMongoTemplate mongo;
    private final Clock clock;
    private final Map<String, CareUser> written = new ConcurrentHashMap<>();

    public MongoUserDirectory(ReactiveMongoTemplate mongo, Clock clock) {
        this.mongo = mongo;
        this.clock = clock;
    }

    @Override
    public Mono<Void> remember(CareUser user) {
        if (user.equals(written.get(user.id()))) {
            return Mono.empty();
        }
        return mongo.save(DirectoryUser.of(user, clock.instant())).doOnSuccess(saved -> {
            if (written.size() > MEMO_LIMIT) {
                written.clear();
            }
            written.put(user.id(), user);
        }).then();
    }

    @Override
    public Mono<DirectoryUser> find(String userId) {
        return mongo.findById(userId, DirectoryUser.class);
    }

    @Override
    public Mono<DirectoryUser> save(DirectoryUser user) {
        written.remove(user.id());
        return mongo.save(user);
    }
}
