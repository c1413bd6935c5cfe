package jp.tsunagu.chat.search;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.realtime.LoggedEvent;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps this node's {@link MessageIndex} up to date. Every node indexes every message: the room events the hubs
 * deliver (with several nodes, every node's, from the room event log) are applied in room order on one thread;
 * each room's progress (the highest sequence number applied) is committed with the index every few seconds.
 *
 * <p>At start-up, before search answers: an index that is empty, or was built from another database, is built
 * from the messages collection in one pass; otherwise the rooms whose number moved past their progress while the
 * node was down are read again from where they were ({@code changedSince}), and rooms that no longer exist (erased)
 * leave the index. A room whose events could not be queued (a burst beyond {@link #QUEUE}) is read again the same
 * way within seconds. Changes may thus arrive twice or out of order; the index keeps the latest state of each
 * message ({@link MessageIndex#put}), so the result does not depend on the order.
 */
public final class SearchIndexer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SearchIndexer.class);
    /** Events waiting for the index thread; a burst beyond it costs a room's re-read, not a lost change. */
    static final int QUEUE = 50_000;
    /** How often what was indexed is committed (with the progress): a crash costs at most this much re-reading. */
    static final Duration COMMIT_EVERY = Duration.ofSeconds(5);
    /** Rooms behind at start-up beyond which one pass over all messages is cheaper than a query per room. */
    static final int ROOMS_FOR_A_FULL_PASS = 20;
    private static final String DATABASE_MARKER = "search-index-database";
    private static final int PAGE = 500;
    /** Messages read per query by the full pass: large enough that round trips do not dominate, small in memory. */
    static final int BUILD_BATCH = 1_000;
    private static final Duration STARTUP_WAIT = Duration.ofMinutes(30);

    private final MessageIndex index;
    private final int buildBatch;
    private final MessageStore messages;
    private final ReactiveMongoTemplate mongo;
    private final JsonMapper json;
    private final BlockingQueue<LoggedEvent> events = new ArrayBlockingQueue<>(QUEUE);
    /** Applied so far, per room: the highest room sequence number. Written by the index thread only. */
    private final Map<String, Long> progress = new ConcurrentHashMap<>();
    /** Rooms to read again (events dropped), taken by the index thread. */
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private final AtomicLong applied = new AtomicLong();
    private final Thread thread;
    private volatile boolean ready;
    private volatile boolean stopping;
    private boolean uncommitted;

    public SearchIndexer(MessageIndex index, MessageStore messages, ReactiveMongoTemplate mongo, JsonMapper json) {
        this(index, messages, mongo, json, BUILD_BATCH);
    }

    /** With the full pass's batch size given (tests cross batches with a few messages). */
    SearchIndexer(MessageIndex index, MessageStore messages, ReactiveMongoTemplate mongo, JsonMapper json, int buildBatch) {
        this.buildBatch = buildBatch;
        this.index = index;
        this.messages = messages;
        this.mongo = mongo;
        this.json = json;
        this.thread = new Thread(this::loop, "search-index");
        this.thread.setDaemon(true);
    }

    /** Whether searches can be answered (the start-up build or catch-up is done). */
    public boolean isReady() {
        return ready;
    }

    /** Events applied since the start (figures). */
    public long appliedCount() {
        return applied.get();
    }

    /** A hub listener: returns at once and never throws. */
    public void accept(LoggedEvent event) {
        if (event.skipped() || event.type() == null || !event.type().startsWith("message.") && !event.type().equals("request.changed")) {
            if (!event.skipped() && event.roomId() != null) {
                // Not a message change, but the room's number moved: the progress follows (in room order, queued).
                offer(event);
            }
            return;
        }
        offer(event);
    }

    private void offer(LoggedEvent event) {
        if (!events.offer(event)) {
            dirty.add(event.roomId());
        }
    }

    /** Starts the index thread: the start-up build or catch-up first, then the events. */
    public SearchIndexer start() {
        thread.start();
        return this;
    }

    /** Waits until searches can be answered (tests; a node that must not take requests before). */
    public void awaitReady(Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        while (!ready && System.nanoTime() < end) {
            Thread.sleep(20);
        }
    }

    private void loop() {
        try {
            startUp();
        } catch (RuntimeException e) {
            log.error("search index: the start-up build failed; search answers 503 until a restart", e);
            return;
        }
        ready = true;
        long lastCommit = System.nanoTime();
        while (!stopping) {
            try {
                LoggedEvent e = events.poll(100, TimeUnit.MILLISECONDS);
                if (e != null) {
                    apply(e);
                }
                if (!dirty.isEmpty()) {
                    for (String room : List.copyOf(dirty)) {
                        dirty.remove(room);
                        catchUp(room, progress.getOrDefault(room, 0L));
                    }
                }
                if (uncommitted && System.nanoTime() - lastCommit > COMMIT_EVERY.toNanos()) {
                    commit();
                    lastCommit = System.nanoTime();
                }
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException failure) {
                log.warn("search index: a change not applied, its room is read again: {}", failure.toString());
            }
        }
    }

    private void apply(LoggedEvent e) {
        long known = progress.getOrDefault(e.roomId(), 0L);
        if (e.seq() <= known) {
            log.debug("search index: event {}:{} {} skipped, the room is indexed up to {}", e.roomId(), e.seq(), e.type(), known);
            return;
        }
        if (e.json() != null && (e.type().startsWith("message.") || e.type().equals("request.changed"))) {
            // Made on this node: its view is at hand. Read from the log (another node's): only its JSON.
            MessageView made = e.made() == null ? null : e.made().message();
            if (made != null) {
                keep(SearchDocuments.of(made), made.id(), made.changeSeq(), false);
                applied.incrementAndGet();
            } else {
                JsonNode m = json.readTree(e.json()).path("message");
                if (!m.isMissingNode()) {
                    keep(SearchDocuments.of(m), m.path("id").asString(), m.path("changeSeq").asLong(), false);
                    applied.incrementAndGet();
                }
            }
        }
        progress.put(e.roomId(), e.seq());
        uncommitted = true;
    }

    /** Reads the room's messages changed after {@code after} again, and moves its progress to the room's number. */
    private void catchUp(String roomId, long after) {
        Long head = mongo.findById(roomId, Document.class, "rooms").map(r -> ((Number) r.get("seq")).longValue())
                .block(STARTUP_WAIT);
        if (head == null) {
            // Erased meanwhile.
            index.removeRoom(roomId);
            progress.remove(roomId);
            uncommitted = true;
            return;
        }
        long from = after;
        while (true) {
            List<Message> page = messages.changedSince(roomId, from, PAGE).collectList().block(STARTUP_WAIT);
            page.forEach(m -> keep(SearchDocuments.of(m), m.id(), m.changeSeq(), false));
            if (page.size() < PAGE) {
                break;
            }
            from = page.get(page.size() - 1).changeSeq();
        }
        progress.merge(roomId, head, Math::max);
        uncommitted = true;
    }

    /**
     * Keeps a message's latest state: its document, or (deleted, or nothing to find) its removal at that change.
     *
     * @param fresh the index is empty (the first build): a document is added without looking for an older version,
     *              and there is nothing to remove
     */
    private void keep(SearchDocument d, String id, long changeSeq, boolean fresh) {
        if (d != null && fresh) {
            index.putNew(d);
        } else if (d != null) {
            index.put(d);
        } else if (!fresh) {
            index.remove(id, changeSeq);
        }
    }

    private void startUp() {
        long started = System.nanoTime();
        String database = databaseId();
        Map<String, Long> committed = index.progress();
        Map<String, Long> heads = new HashMap<>();
        mongo.find(new Query(), Document.class, "rooms").doOnNext(r -> heads.put(String.valueOf(r.get("_id")),
                r.get("seq") == null ? 0L : ((Number) r.get("seq")).longValue())).blockLast(STARTUP_WAIT);
        boolean sameDatabase = database.equals(index.database());
        Set<String> behind = new HashSet<>();
        heads.forEach((room, head) -> {
            if (!sameDatabase || committed.getOrDefault(room, 0L) != head.longValue()) {
                behind.add(room);
            }
        });
        if (!sameDatabase || index.isEmpty() || behind.size() > ROOMS_FOR_A_FULL_PASS) {
            boolean fresh = !sameDatabase || index.isEmpty();
            if (!sameDatabase) {
                index.clear();
            }
            // One pass: every message, each kept in its latest state; then each room's number as read before it.
            long count = fullPass(fresh);
            progress.putAll(heads);
            log.info("search index: built from {} messages of {} rooms in {} ms", count, heads.size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        } else {
            progress.putAll(committed);
            for (String room : behind) {
                long had = committed.getOrDefault(room, 0L);
                if (had > heads.get(room)) {
                    // The database is behind the index (a restore): the room is indexed again from scratch.
                    index.removeRoom(room);
                    progress.remove(room);
                    had = 0;
                }
                catchUp(room, had);
            }
            log.info("search index: {} rooms caught up in {} ms", behind.size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
        for (String room : Set.copyOf(progress.keySet())) {
            if (!heads.containsKey(room)) {
                index.removeRoom(room);
                progress.remove(room);
            }
        }
        this.database = database;
        commit();
    }

    /**
     * Reads every message, a batch at a time by id: the ids first, then each batch by {@code _id $in}. One
     * find over the whole collection would be simpler, but the embedded server collects every matching
     * document before it sends the first batch (a million messages did not fit in 2 GB); by id it reads
     * only the batch asked, through its _id index, here and on MongoDB alike.
     *
     * @param fresh the index is empty: documents are added without looking for an older version
     * @return the number of messages read
     */
    private long fullPass(boolean fresh) {
        Query idsOnly = new Query();
        idsOnly.fields().include("_id");
        List<Object> ids = mongo.find(idsOnly, Document.class, "messages").map(d -> d.get("_id")).collectList()
                .block(STARTUP_WAIT);
        long count = 0;
        for (int from = 0; from < ids.size(); from += buildBatch) {
            Query batch = Query.query(Criteria.where("_id").in(ids.subList(from, Math.min(ids.size(), from + buildBatch))));
            SearchDocuments.FIELDS.forEach(f -> batch.fields().include(f));
            count += mongo.find(batch, Document.class, "messages")
                    .doOnNext(d -> keep(SearchDocuments.of(d), String.valueOf(d.get("_id")),
                            d.get("changeSeq") instanceof Number n ? n.longValue() : -1, fresh))
                    .count().block(STARTUP_WAIT);
        }
        return count;
    }

    private String database;

    private void commit() {
        index.commit(new HashMap<>(progress), database);
        uncommitted = false;
    }

    /** An id of the database, made once: an index built from another database (a restore, a new one) is rebuilt. */
    private String databaseId() {
        Query marker = Query.query(Criteria.where("_id").is(DATABASE_MARKER));
        Document existing = mongo.findOne(marker, Document.class, "migrations").block(STARTUP_WAIT);
        if (existing != null) {
            return existing.getString("value");
        }
        String fresh = UUID.randomUUID().toString();
        return mongo.upsert(marker, new org.springframework.data.mongodb.core.query.Update().setOnInsert("value", fresh),
                        "migrations")
                .then(mongo.findOne(marker, Document.class, "migrations")).map(d -> d.getString("value"))
                .block(STARTUP_WAIT);
    }

    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ready) {
            try {
                commit();
            } catch (RuntimeException e) {
                log.warn("search index: last commit failed: {}", e.toString());
            }
        }
    }
}
