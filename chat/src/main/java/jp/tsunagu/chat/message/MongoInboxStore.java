package jp.tsunagu.chat.message;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.data.mongodb.core.BulkOperations;
import org.springframework.data.mongodb.core.ReactiveBulkOperations;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.springframework.data.mongodb.core.query.Criteria.where;

/**
 * {@link InboxStore} on MongoDB: collection {@code inboxes}, one document per person and room. Entries are fields
 * of maps keyed by message id ({@code asked.<id>}), so writing one is {@code $set} and taking it out
 * {@code $unset}: both idempotent, and every section of a person in a room changes in one single-document write.
 */
public final class MongoInboxStore implements InboxStore {

    private final ReactiveMongoTemplate mongo;

    public MongoInboxStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Flux<RoomInbox> of(String userId, Collection<String> roomIds) {
        if (roomIds.isEmpty()) {
            return Flux.empty();
        }
        // _id alone: the only condition the embedded server answers from an index.
        return mongo.find(Query.query(where("_id").in(roomIds.stream().map(r -> RoomInbox.idOf(r, userId)).toList())),
                RoomInbox.class);
    }

    @Override
    public Mono<Void> file(Collection<InboxEntries.Filing> filings) {
        if (filings.isEmpty()) {
            return Mono.empty();
        }
        Map<String, List<InboxEntries.Filing>> byDocument = new LinkedHashMap<>();
        filings.forEach(f -> byDocument.computeIfAbsent(RoomInbox.idOf(f.roomId(), f.userId()),
                id -> new java.util.ArrayList<>()).add(f));
        ReactiveBulkOperations bulk = mongo.bulkOps(BulkOperations.BulkMode.UNORDERED, RoomInbox.class);
        byDocument.forEach((id, own) -> {
            Update u = new Update();
            boolean writes = false;
            for (InboxEntries.Filing f : own) {
                String field = f.section().field() + "." + f.messageId();
                if (f.removes()) {
                    u.unset(field);
                } else {
                    u.set(field, f.entry());
                    writes = true;
                }
            }
            Query q = Query.query(where("_id").is(id));
            // Removals alone never create a document for someone who has none.
            if (writes) {
                bulk.upsert(q, u.set("roomId", own.get(0).roomId()).set("userId", own.get(0).userId()));
            } else {
                bulk.updateOne(q, u);
            }
        });
        return bulk.execute().then();
    }
}
