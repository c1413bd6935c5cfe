package jp.tsunagu.chat.message;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.bson.Document;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import com.mongodb.client.model.InsertOneModel;

import jp.tsunagu.chat.room.NotifyAudience;
import jp.tsunagu.chat.support.GroupCommit;
import jp.tsunagu.chat.support.GroupRead;
import jp.tsunagu.chat.support.MongoBatches;
import jp.tsunagu.chat.support.Cursor;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * {@link MessageStore} on MongoDB. Changes are conditional single-document updates. The store also keeps the
 * per-user inbox projection ({@link InboxEntries}) of the messages it writes, the way a database keeps an index:
 * entries a write adds are filed before it, entries it removes after it.
 */
public final class MongoMessageStore implements MessageStore {

    private static final FindAndModifyOptions RETURN_NEW = FindAndModifyOptions.options().returnNew(true);

    private final ReactiveMongoTemplate mongo;
    private final InboxStore inboxes;
    private final NotificationQueue notifications;
    private final Clock clock;

    public MongoMessageStore(ReactiveMongoTemplate mongo) {
        this(mongo, new MongoInboxStore(mongo), Clock.systemUTC());
    }

    public MongoMessageStore(ReactiveMongoTemplate mongo, InboxStore inboxes, Clock clock) {
        this(mongo, inboxes, NotificationQueue.NONE, clock);
    }

    public MongoMessageStore(ReactiveMongoTemplate mongo, InboxStore inboxes, NotificationQueue notifications,
                             Clock clock) {
        this.mongo = mongo;
        this.inboxes = inboxes;
        this.notifications = notifications;
        this.clock = clock;
        String collection = mongo.getCollectionName(Message.class);
        this.inserts = new GroupCommit<>(batch -> MongoBatches.bulkWrite(mongo, collection, batch.stream()
                .map(m -> new InsertOneModel<>(toDocument(m))).toList()), INSERT_BATCH);
        this.byId = new GroupRead<>(ids -> MongoBatches.findByIds(mongo, collection, ids), GroupRead.MAX_BATCH);
    }

    /** Reads by id, concurrent ones together: a keyed post asks whether it is stored already (GroupRead). */
    private final GroupRead<String, Document> byId;

    /**
     * New messages go out in group commits: at 300 posts/s an insert per post was a fifth of the driver commands
     * and of the collection lock's turns. A thousand documents of a few kilobytes stay far below a command's
     * 48 MB message limit.
     */
    private static final int INSERT_BATCH = 1_000;

    private final GroupCommit<Message> inserts;

    /** The document the template's insert would write (ids as ObjectIds where they are ones, as everywhere). */
    private Document toDocument(Message m) {
        Document d = new Document();
        mongo.getConverter().write(m, d);
        return d;
    }

    @Override
    public Mono<Message> insert(Message message) {
        return insert(message, null);
    }

    @Override
    public Mono<Message> insert(Message message, NotifyAudience audience) {
        // Filed and enqueued first, side by side: a crash before the insert leaves entries and notifications
        // whose message is missing (skipped when read, dropped when sent), never a message missing from an inbox
        // or heard of by nobody. A retried insert files and enqueues the same ids again.
        return Mono.zip(inboxes.file(InboxEntries.of(message, clock.instant())).thenReturn(true),
                        notifications.newMessage(message, audience))
                .flatMap(ahead -> inserts.write(message).thenReturn(message).doOnNext(ahead.getT2()::landed));
    }

    /** After a write that may have settled entries (a request finished, an acknowledgement, a deletion). */
    private Mono<Message> settle(Message m) {
        // Nothing settled (a message that concerns no one): file() writes nothing.
        return inboxes.file(InboxEntries.settled(m)).thenReturn(m);
    }

    @Override
    public Flux<Message> briefs(java.util.Collection<String> ids) {
        if (ids.isEmpty()) {
            return Flux.empty();
        }
        Query q = Query.query(where("_id").in(ids));
        BRIEF_FIELDS.forEach(f -> q.fields().include(f));
        return mongo.find(q, Message.class);
    }

    @Override
    public Mono<Message> findById(String id) {
        return byId.read(id).map(d -> mongo.getConverter().read(Message.class, d));
    }

    @Override
    public Flux<Message> page(String roomId, Long beforeSeq, int limit) {
        Criteria c = where("roomId").is(roomId);
        if (beforeSeq != null) {
            c = c.and("seq").lt(beforeSeq);
        }
        return mongo.find(Query.query(c).with(Sort.by(Sort.Direction.DESC, "seq")).limit(limit), Message.class);
    }

    @Override
    public Flux<Message> thread(String roomId, String rootId, int limit) {
        Criteria c = where("roomId").is(roomId).orOperator(where("_id").is(rootId), where("threadRootId").is(rootId));
        return mongo.find(Query.query(c).with(Sort.by("seq")).limit(limit), Message.class);
    }

    @Override
    public Mono<Message> edit(String id, Message.Edit previous, String text, String html, Instant at, long changeSeq) {
        return mongo.findAndModify(Query.query(where("_id").is(id).and("deleted").is(null)),
                new Update().push("edits", previous).set("text", text).set("html", html).set("editedAt", at)
                        .set("changeSeq", changeSeq).set("lastChange", Message.Change.EDITED),
                RETURN_NEW, Message.class);
    }

    @Override
    public Mono<Message> delete(String id, String by, Instant at, long changeSeq) {
        // Content goes, the fact and the actor stay: others saw the message and may have acted on it.
        return mongo.findAndModify(Query.query(where("_id").is(id).and("deleted").is(null)),
                new Update().set("text", "").set("html", null).set("edits", java.util.List.of())
                        .set("attachments", java.util.List.of()).set("stamps", java.util.Map.of())
                        .unset("externalStamps")
                        .set("deleted", new Message.Deletion(by, at))
                        .set("changeSeq", changeSeq).set("lastChange", Message.Change.DELETED),
                RETURN_NEW, Message.class).flatMap(this::settle);
    }

    @Override
    public Mono<Message> stamp(String id, Stamp stamp, String userId, boolean add, long changeSeq) {
        String field = "stamps." + stamp.code();
        Criteria c = where("_id").is(id).and("deleted").is(null);
        c = add ? c.and(field).ne(userId) : c.and(field).is(userId);
        Update u = add ? new Update().addToSet(field, userId) : new Update().pull(field, userId);
        return mongo.findAndModify(Query.query(c),
                u.set("changeSeq", changeSeq).set("lastChange", Message.Change.STAMPED), RETURN_NEW, Message.class);
    }

    @Override
    public Mono<Message> apply(Act act) {
        Criteria c = where("_id").is(act.message().id()).and("deleted").is(null);
        Update u = new Update().set("changeSeq", act.changeSeq()).set("lastChange", act.change());
        if (act.stamp() != null) {
            u.addToSet("stamps." + act.stamp().code(), act.userId());
        }
        if (act.request() != null) {
            c = act.requestFrom() == null ? c.and("request").is(null) : c.and("request.state").is(act.requestFrom());
            u.set("request", act.request());
        }
        if (act.ack() != null) {
            c = c.and("acknowledgement.required").is(act.userId()).and("acknowledgement.acks.userId").ne(act.userId());
            u.push("acknowledgement.acks", act.ack());
            if (act.lastAcknowledgement()) {
                u.set("acknowledgement.escalateAt", null);
            }
        }
        Mono<Void> ahead = act.request() == null ? Mono.empty()
                : inboxes.file(InboxEntries.ofRequest(act.message(), act.request(), clock.instant()));
        // A request added to a message tells its assignees; a move of an existing one does not.
        Mono<NotificationQueue.Landing> told = act.request() == null || act.requestFrom() != null
                ? Mono.just(NotificationQueue.Landing.NONE)
                : notifications.requestAdded(act.message(), act.request());
        boolean settles = act.request() != null || act.ack() != null;
        Query condition = Query.query(c);
        return Mono.zip(ahead.thenReturn(true), told)
                .flatMap(t -> mongo.findAndModify(condition, u, RETURN_NEW, Message.class)
                        .doOnNext(t.getT2()::landed))
                .flatMap(m -> settles ? settle(m) : Mono.just(m));
    }

    @Override
    public Mono<Message> escalate(Message m, Acknowledgement.Escalation escalation, Instant nextAt, long changeSeq) {
        String id = m.id();
        int fromStep = m.acknowledgement().step();
        Update u = new Update().set("acknowledgement.step", fromStep + 1).set("acknowledgement.escalateAt", nextAt)
                .push("acknowledgement.escalations", escalation)
                .set("changeSeq", changeSeq).set("lastChange", Message.Change.ESCALATED);
        if (escalation.added() != null) {
            u.addToSet("acknowledgement.required", escalation.added());
        }
        Mono<Void> ahead = escalation.added() == null ? Mono.empty()
                : inboxes.file(List.of(InboxEntries.acknowledger(m, escalation.added(), clock.instant())));
        Mono<NotificationQueue.Landing> told = escalation.added() == null ? Mono.just(NotificationQueue.Landing.NONE)
                : notifications.acknowledgerAdded(m, escalation.added());
        return Mono.zip(ahead.thenReturn(true), told)
                .flatMap(t -> mongo.findAndModify(Query.query(where("_id").is(id).and("deleted").is(null)
                        .and("acknowledgement.step").is(fromStep)), u, RETURN_NEW, Message.class)
                        .doOnNext(t.getT2()::landed));
    }

    @Override
    public Mono<Message> endEscalation(String id, int step) {
        return mongo.findAndModify(Query.query(where("_id").is(id).and("acknowledgement.step").is(step)),
                new Update().set("acknowledgement.escalateAt", null), RETURN_NEW, Message.class);
    }

    @Override
    public Mono<Message> pin(String id, Message.Pin pin, long changeSeq) {
        return mongo.findAndModify(Query.query(where("_id").is(id).and("deleted").is(null)),
                new Update().set("pin", pin).set("changeSeq", changeSeq).set("lastChange", Message.Change.PINNED),
                RETURN_NEW, Message.class);
    }

    @Override
    public Flux<Message> pinned(String roomId, int limit) {
        return mongo.find(Query.query(where("roomId").is(roomId).and("pin").ne(null).and("deleted").is(null))
                .with(Sort.by(Sort.Direction.DESC, "pin.at")).limit(limit), Message.class);
    }

    @Override
    public Flux<Message> dueEscalations(Instant now, int limit) {
        return mongo.find(Query.query(where("acknowledgement.escalateAt").lte(now).and("deleted").is(null))
                .with(Sort.by("acknowledgement.escalateAt")).limit(limit), Message.class);
    }

    @Override
    public Flux<Message> requests(RequestQuery q) {
        // The person's own field first: the embedded server scans and stops at a document's first failing
        // condition, and most messages are not that person's requests (docs/BENCHMARKS.md, inbox).
        Criteria c = q.assigneeId() != null ? where("request.assigneeIds").is(q.assigneeId())
                : where("request.requesterId").is(q.requesterId());
        if (q.assigneeId() != null && q.requesterId() != null) {
            c = c.and("request.requesterId").is(q.requesterId());
        }
        c = c.and("roomId").in(q.roomIds()).and("deleted").is(null);
        List<Criteria> all = new ArrayList<>();
        List<Criteria> wanted = new ArrayList<>();
        if (!q.states().isEmpty()) {
            wanted.add(where("request.state").in(q.states()));
        }
        if (q.overdueAt() != null) {
            wanted.add(where("request.state").in(CareRequest.State.OPEN, CareRequest.State.ACCEPTED)
                    .and("request.dueAt").lt(q.overdueAt()));
        }
        all.add(new Criteria().orOperator(wanted));
        if (q.dueBefore() != null) {
            all.add(where("request.dueAt").lt(q.dueBefore()));
        }
        if (q.after() != null) {
            all.add(new Criteria().orOperator(where("request.dueAt").gt(q.after().at()),
                    where("request.dueAt").is(q.after().at()).and("_id").gt(q.after().id())));
        }
        c = c.andOperator(all);
        return mongo.find(Query.query(c).with(Sort.by(Sort.Order.asc("request.dueAt"), Sort.Order.asc("_id")))
                .limit(q.limit()), Message.class);
    }

    @Override
    public Mono<Message> externalStamps(String id, java.util.Map<String, Integer> counts, long changeSeq) {
        return mongo.findAndModify(Query.query(where("_id").is(id).and("deleted").is(null)),
                new Update().set("externalStamps", counts).set("changeSeq", changeSeq)
                        .set("lastChange", Message.Change.STAMPED), RETURN_NEW, Message.class);
    }

    @Override
    public Flux<Message> changedSince(String roomId, long seq, int limit) {
        return mongo.find(Query.query(where("roomId").is(roomId).and("changeSeq").gt(seq))
                .with(Sort.by("changeSeq")).limit(limit), Message.class);
    }

    @Override
    public Flux<Message> changedSinceInCreationOrder(String roomId, long changeSeq, long afterSeq, int limit) {
        return mongo.find(Query.query(where("roomId").is(roomId).and("changeSeq").gt(changeSeq).and("seq").gt(afterSeq))
                .with(Sort.by("seq")).limit(limit), Message.class);
    }

    @Override
    public Mono<Message> setDelivery(String id, String instanceId, Delivery delivery, Long changeSeq) {
        Update update = new Update().set("delivery." + instanceId, delivery);
        if (changeSeq != null) {
            update.set("changeSeq", changeSeq).set("lastChange", Message.Change.DELIVERY);
        }
        return mongo.findAndModify(Query.query(where("_id").is(id)), update, RETURN_NEW, Message.class);
    }

    @Override
    public Flux<Message> postsAwaitingConfirmation(String roomId, String instanceId) {
        String entry = "delivery." + instanceId;
        return mongo.find(Query.query(where("roomId").is(roomId).and(entry + ".postStartedAt").ne(null)
                .and(entry + ".externalId").is(null)), Message.class);
    }

    @Override
    public Mono<Long> countPendingDelivery(String instanceId) {
        return mongo.count(Query.query(where("delivery." + instanceId + ".state").is(Delivery.State.PENDING.name())), Message.class);
    }

    @Override
    public Mono<Long> countUnread(String roomId, long afterSeq, String userId) {
        return mongo.count(unread(roomId, afterSeq, userId), Message.class);
    }

    @Override
    public Mono<Long> countUrgentUnread(String roomId, long afterSeq, String userId) {
        return mongo.count(unread(roomId, afterSeq, userId).addCriteria(where("priority").is(Priority.URGENT)),
                Message.class);
    }

    private static Query unread(String roomId, long afterSeq, String userId) {
        return Query.query(where("roomId").is(roomId).and("seq").gt(afterSeq)
                .and("author.userId").ne(userId).and("deleted").is(null));
    }

    @Override
    public Flux<Message> mentioning(String userId, java.util.Collection<String> roomIds, Cursor before, int limit) {
        Criteria c = where("mentionedUserIds").is(userId).and("roomId").in(roomIds).and("deleted").is(null);
        if (before != null) {
            c = c.orOperator(where("createdAt").lt(before.at()),
                    where("createdAt").is(before.at()).and("_id").lt(before.id()));
        }
        return mongo.find(Query.query(c).with(Sort.by(Sort.Order.desc("createdAt"), Sort.Order.desc("_id")))
                .limit(limit), Message.class);
    }

    @Override
    public Mono<Message> setExcerptState(String id, String grantState, long changeSeq) {
        return mongo.findAndModify(Query.query(where("_id").is(id).and("excerpt").ne(null)),
                new Update().set("excerpt.grantState", grantState).set("changeSeq", changeSeq)
                        .set("lastChange", Message.Change.EXCERPT), RETURN_NEW, Message.class);
    }

    @Override
    public Flux<Message> excerptsOfGrant(String grantId) {
        return mongo.find(Query.query(where("excerpt.grantId").is(grantId)).with(Sort.by("seq")), Message.class);
    }
}
