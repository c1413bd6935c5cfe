package jp.tsunagu.chat.message;

import java.time.Clock;
import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;

import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * Files the messages stored before the inbox projection existed ({@link InboxEntries}): once per database, at
 * start-up, then a line in {@code migrations} says it is done. Safe on several nodes at once and after a crash
 * half-way: filing is idempotent and only ever adds entries the messages' state implies, and the projection may
 * hold more than the truth (its readers check every entry).
 */
public final class InboxBackfill {

    static final String MIGRATION_ID = "inbox-entries-1";
    /** Messages per filing: a few hundred updates per bulk write keep each write small and the scan steady. */
    private static final int BATCH = 500;
    private static final Logger log = LoggerFactory.getLogger(InboxBackfill.class);

    private final ReactiveMongoTemplate mongo;
    private final InboxStore inboxes;
    private final Clock clock;
    private final String nodeId;

    public InboxBackfill(ReactiveMongoTemplate mongo, InboxStore inboxes, Clock clock, String nodeId) {
        this.mongo = mongo;
        this.inboxes = inboxes;
        this.clock = clock;
        this.nodeId = nodeId;
    }

    /** Files every live message that concerns someone, unless done before; emits how many it filed. */
    public Mono<Long> run() {
        Query done = Query.query(where("_id").is(MIGRATION_ID));
        return mongo.exists(done, "migrations").flatMap(exists -> exists ? Mono.just(0L) : backfill()
                .flatMap(n -> mongo.upsert(done, new org.springframework.data.mongodb.core.query.Update()
                                .set("at", clock.instant()).set("by", nodeId).set("messages", n), "migrations")
                        .doOnSuccess(r -> log.info("inbox: filed {} earlier messages in people's inboxes", n))
                        .thenReturn(n)));
    }

    private Mono<Long> backfill() {
        Instant now = clock.instant();
        Criteria concerns = new Criteria().orOperator(where("request").ne(null), where("acknowledgement").ne(null),
                where("mentionedUserIds.0").exists(true));
        return mongo.find(Query.query(where("deleted").is(null).andOperator(concerns)), Message.class)
                .buffer(BATCH)
                .concatMap(batch -> inboxes.file(batch.stream().flatMap(m -> InboxEntries.of(m, now).stream()).toList())
                        .thenReturn((long) batch.size()))
                .reduce(0L, Long::sum);
    }
}
