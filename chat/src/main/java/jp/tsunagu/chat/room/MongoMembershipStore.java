package jp.tsunagu.chat.room;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.bson.Document;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import com.mongodb.client.model.Filters;

import jp.tsunagu.chat.support.GroupRead;
import jp.tsunagu.chat.support.MongoBatches;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * {@link MembershipStore} on MongoDB, one document per (room, user), and a per-user list of the rooms they may be
 * in ({@value #USER_ROOMS}: {@code _id} the user, {@code rooms} room id → when it was filed).
 *
 * <p>The list exists because the embedded server answers only {@code _id} conditions from an index: "my rooms"
 * (the room list, the inbox, requests, pins, the timeline) scanned every membership of the database on every
 * call, most of an inbox read's work (docs/BENCHMARKS.md, inbox). With it, {@link #activeOf} is two reads by
 * {@code _id}. Like the inbox projection it is a <em>superset</em>: a room is filed before the membership is
 * saved active, so a crash can leave an extra room but never hide one; it is never taken out on leaving (a
 * removal landing after a re-join on another node would hide the room), only by a reader that finds no active
 * membership behind an entry older than any write in flight, and only if the entry is still the one it read.
 */
public final class MongoMembershipStore implements MembershipStore {

    static final String USER_ROOMS = "user_rooms";
    /** As for the inbox: a membership write between its filing and its landing takes milliseconds, not a minute. */
    static final Duration IN_FLIGHT = Duration.ofMinutes(1);

    private final ReactiveMongoTemplate mongo;
    private final Clock clock;

    /** The access checks of concurrent requests, read together ({@link GroupRead}). */
    private final GroupRead<String, Document> byId;

    public MongoMembershipStore(ReactiveMongoTemplate mongo, Clock clock) {
        this.mongo = mongo;
        this.clock = clock;
        String collection = mongo.getCollectionName(Membership.class);
        this.byId = new GroupRead<>(ids -> MongoBatches.findByIds(mongo, collection, ids), GroupRead.MAX_BATCH);
    }

    @Override
    public Mono<Membership> find(String roomId, String userId) {
        return mongo.findById(Membership.idOf(roomId, userId), Membership.class);
    }

    /**
     * On every room request (the access check): the raw driver, so Spring Data's query mapping and entity
     * callbacks are skipped, and the checks of concurrent requests in one query ({@link GroupRead}); the document
     * is still read by the converter, as everywhere else.
     */
    @Override
    public Mono<Membership> findActive(String roomId, String userId) {
        return byId.read(Membership.idOf(roomId, userId))
                .map(d -> mongo.getConverter().read(Membership.class, d))
                .filter(Membership::active);
    }

    @Override
    public Flux<Membership> findActive(Collection<String> membershipIds) {
        if (membershipIds.isEmpty()) {
            return Flux.empty();
        }
        // _id alone: the only condition the embedded server answers from an index.
        return mongo.getCollection(mongo.getCollectionName(Membership.class))
                .flatMapMany(c -> c.find(Filters.in("_id", membershipIds)))
                .map(d -> mongo.getConverter().read(Membership.class, d))
                .filter(Membership::active);
    }

    @Override
    public Mono<Membership> save(Membership membership) {
        Mono<?> filed = membership.active() ? file(membership.userId(), List.of(membership.roomId())) : Mono.empty();
        return filed.then(mongo.save(membership));
    }

    /** Files the rooms in the user's list (idempotent; an entry filed again is fresh again). */
    Mono<Void> file(String userId, Collection<String> roomIds) {
        Update update = new Update();
        Date now = Date.from(clock.instant());
        roomIds.forEach(r -> update.set("rooms." + r, now));
        return mongo.upsert(Query.query(where("_id").is(userId)), update, USER_ROOMS).then();
    }

    @Override
    public Flux<Membership> activeMembers(String roomId) {
        return mongo.find(Query.query(where("roomId").is(roomId).and("active").is(true))
                .with(Sort.by("joinedAt", "_id")), Membership.class);
    }

    @Override
    public Flux<Membership> activeOf(String userId, int limit) {
        return mongo.findById(userId, Document.class, USER_ROOMS)
                .map(d -> d.get("rooms", Document.class))
                .flatMapMany(filed -> mongo.find(Query.query(where("_id").in(filed.keySet().stream()
                                        .map(r -> Membership.idOf(r, userId)).toList())), Membership.class)
                        .collectList()
                        .flatMapMany(found -> tidy(userId, filed, found).thenMany(Flux.fromIterable(found))))
                .filter(Membership::active)
                .take(limit);
    }

    /** Takes out the entries with no active membership behind them, unless a write may still be in flight. */
    private Mono<Void> tidy(String userId, Document filed, List<Membership> found) {
        Set<String> active = found.stream().filter(Membership::active).map(Membership::roomId).collect(Collectors.toSet());
        Date settled = Date.from(clock.instant().minus(IN_FLIGHT));
        Criteria unchanged = where("_id").is(userId);
        Update update = new Update();
        int stale = 0;
        for (Map.Entry<String, Object> e : filed.entrySet()) {
            if (!active.contains(e.getKey()) && e.getValue() instanceof Date at && at.before(settled)) {
                unchanged = unchanged.and("rooms." + e.getKey()).is(at);
                update.unset("rooms." + e.getKey());
                stale++;
            }
        }
        return stale == 0 ? Mono.empty() : mongo.updateFirst(Query.query(unchanged), update, USER_ROOMS).then();
    }

    /**
     * Files every active membership stored before the list existed, once ({@code migrations/user-rooms-1});
     * emits how many memberships it filed. Several nodes doing it at once file the same.
     */
    public Mono<Long> backfill() {
        Query done = Query.query(where("_id").is("user-rooms-1"));
        return mongo.exists(done, "migrations").flatMap(exists -> exists ? Mono.just(0L)
                // Collected first, then filed a person at a time: groupBy with fewer concurrent groups than people
                // stalls once its buffers fill (it hung the start of a database with 300 people).
                : mongo.find(Query.query(where("active").is(true)), Membership.class)
                        .collectMultimap(Membership::userId, Membership::roomId)
                        .flatMapMany(byUser -> Flux.fromIterable(byUser.entrySet()))
                        .flatMap(e -> file(e.getKey(), e.getValue()).thenReturn((long) e.getValue().size()), 4)
                        .reduce(0L, Long::sum)
                        .flatMap(n -> mongo.upsert(done, new Update().set("at", clock.instant()).set("memberships", n),
                                "migrations").thenReturn(n)));
    }

    @Override
    public Flux<Membership> changedSince(String roomId, long seq, int limit) {
        return mongo.find(Query.query(where("roomId").is(roomId).and("seq").gt(seq))
                .with(Sort.by("seq")).limit(limit), Membership.class);
    }
}
