package jp.tsunagu.chat.audit;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * The append-only, hash-chained access log. Appends on this node take turns (one chain has one head); the
 * entry's {@code seq} is its {@code _id}, so an append racing another node's fails on the duplicate key, reads
 * the new head and tries again. Nothing here updates or deletes an entry: the log is kept for as long as the
 * database is (at least five years, docs/OPERATIONS.md), above the fee schedule's one-year minimum.
 */
public final class AccessLog {

    /** One key for the whole chain in the linearizer that otherwise serialises rooms. */
    private static final String CHAIN = "\u0000access-log";
    /** Other nodes appending at the same moment: a few rounds settle it; more means something is wrong. */
    private static final int MAX_RACES = 16;

    private final ReactiveMongoTemplate mongo;
    private final RoomLinearizer turns;
    /** The last entry this node wrote or read; null until the first append reads it. */
    private final AtomicReference<Head> head = new AtomicReference<>();

    public AccessLog(ReactiveMongoTemplate mongo, RoomLinearizer turns) {
        this.mongo = mongo;
        this.turns = turns;
    }

    private record Head(long seq, String hash) {
    }

    /**
     * Appends an entry (its {@code seq}, {@code prevHash} and {@code hash} are filled in here) and completes once
     * it is stored: callers show record data only after that, so no view goes unlogged.
     */
    public Mono<AccessLogEntry> append(AccessLogEntry entry) {
        return turns.run(CHAIN, () -> attempt(entry, 0));
    }

    private Mono<AccessLogEntry> attempt(AccessLogEntry entry, int races) {
        return currentHead()
                .flatMap(h -> mongo.insert(entry.chained(h.seq() + 1, h.hash())))
                .doOnNext(stored -> head.set(new Head(stored.seq(), stored.hash())))
                .onErrorResume(DuplicateKeyException.class, e -> {
                    head.set(null);
                    return races < MAX_RACES ? attempt(entry, races + 1) : Mono.error(e);
                });
    }

    private Mono<Head> currentHead() {
        Head known = head.get();
        if (known != null) {
            return Mono.just(known);
        }
        return mongo.findOne(new Query().with(Sort.by(Sort.Direction.DESC, "_id")).limit(1), AccessLogEntry.class)
                .map(last -> new Head(last.seq(), last.hash()))
                .defaultIfEmpty(new Head(0, AccessLogEntry.GENESIS));
    }

    /** Entries about one resident, newest first, for "who viewed my record". */
    public Flux<AccessLogEntry> ofResident(String residentId, Long beforeSeq, int limit) {
        Criteria c = where("residentId").is(residentId);
        if (beforeSeq != null) {
            c = c.and("_id").lt(beforeSeq);
        }
        return mongo.find(Query.query(c).with(Sort.by(Sort.Direction.DESC, "_id")).limit(limit), AccessLogEntry.class);
    }

    /** Entries in chain order within a time range (either end may be null), for audits and exports. */
    public Flux<AccessLogEntry> inOrder(Instant from, Instant to) {
        Criteria c = new Criteria();
        if (from != null || to != null) {
            c = where("at");
            if (from != null) {
                c = c.gte(from);
            }
            if (to != null) {
                c = c.lt(to);
            }
        }
        return mongo.find(Query.query(c).with(Sort.by("_id")), AccessLogEntry.class);
    }

    /** The outcome of checking the whole chain. */
    public record Verification(long entries, boolean intact, Long firstBadSeq, String problem) {
    }

    /**
     * Walks the chain from the first entry and reports the first entry that does not hold: a hash that does not
     * match its fields, a link to a previous hash that is not the previous entry's, or a gap in {@code seq}.
     */
    public Mono<Verification> verify() {
        // count: entries read; lastSeq, lastHash: the last entry read, which the next one must follow; the first problem.
        record Walk(long count, long lastSeq, String lastHash, Long badSeq, String problem) {
        }
        return inOrder(null, null)
                .scan(new Walk(0, 0, AccessLogEntry.GENESIS, null, null), (w, e) -> {
                    long expected = w.lastSeq() + 1;
                    String problem = e.seq() != expected ? "entry " + expected + " is missing"
                            : !w.lastHash().equals(e.prevHash()) ? "its link to the previous entry does not match"
                            : !e.computeHash().equals(e.hash()) ? "its contents do not match its hash" : null;
                    return new Walk(w.count() + 1, e.seq(), e.hash(), problem == null ? null : expected, problem);
                })
                .takeUntil(w -> w.problem() != null)
                .last()
                .map(w -> new Verification(w.count(), w.problem() == null, w.badSeq(), w.problem()));
    }
}
