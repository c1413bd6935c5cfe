package jp.tsunagu.chat.config;

import jp.tsunagu.chat.audit.AccessLogEntry;
import jp.tsunagu.chat.consent.BreakGlass;
import jp.tsunagu.chat.consent.ConsentGrant;
import jp.tsunagu.chat.consent.ConsentRequest;
import jp.tsunagu.chat.consent.ProxyAuthority;

import java.time.Duration;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.index.Index;

import jp.tsunagu.chat.attachment.Attachment;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.Membership;
import reactor.core.publisher.Flux;

/**
 * Creates the indexes the queries rely on, at start-up, before the server takes requests. Uniqueness
 * itself lives in derived {@code _id}s (idempotency keys, resident ids, direct pairs), which every MongoDB
 * enforces without extra indexes.
 */
public final class MongoIndexes implements InitializingBean {

    /** Index builds on an existing deployment can take a while; start-up should fail loudly, not hang. */
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private final ReactiveMongoTemplate mongo;

    public MongoIndexes(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public void afterPropertiesSet() {
        Flux.concat(
                mongo.indexOps(Membership.class).createIndex(new Index().on("userId", Sort.Direction.ASC).on("active", Sort.Direction.ASC)),
                mongo.indexOps(Membership.class).createIndex(new Index().on("roomId", Sort.Direction.ASC).on("seq", Sort.Direction.ASC)),
                mongo.indexOps(Message.class).createIndex(new Index().on("roomId", Sort.Direction.ASC).on("seq", Sort.Direction.DESC)),
                mongo.indexOps(Message.class).createIndex(new Index().on("roomId", Sort.Direction.ASC).on("changeSeq", Sort.Direction.ASC)),
                mongo.indexOps(Message.class).createIndex(new Index().on("roomId", Sort.Direction.ASC).on("threadRootId", Sort.Direction.ASC)),
                mongo.indexOps(Message.class).createIndex(new Index().on("mentionedUserIds", Sort.Direction.ASC).on("createdAt", Sort.Direction.DESC)),
                mongo.indexOps(ReadReceipt.class).createIndex(new Index().on("roomId", Sort.Direction.ASC).on("seq", Sort.Direction.ASC)),
                mongo.indexOps(ReadReceipt.class).createIndex(new Index().on("roomId", Sort.Direction.ASC).on("upToSeq", Sort.Direction.ASC)),
                mongo.indexOps(CareRoom.class).createIndex(new Index().on("lastActivityAt", Sort.Direction.DESC)),
                // The retention job's "archived before" query; only archived rooms have the field.
                mongo.indexOps(CareRoom.class).createIndex(new Index().on("archivedAt", Sort.Direction.ASC).sparse()),
                mongo.indexOps(Attachment.class).createIndex(new Index().on("roomId", Sort.Direction.ASC)),
                mongo.indexOps(Message.class).createIndex(new Index().on("excerpt.grantId", Sort.Direction.ASC).sparse()),
                // The request lists: asked of me or made by me, soonest due first. Sparse: only
                // messages that carry a request have the fields.
                mongo.indexOps(Message.class).createIndex(new Index().on("request.assigneeIds", Sort.Direction.ASC)
                        .on("request.dueAt", Sort.Direction.ASC).on("_id", Sort.Direction.ASC).sparse()),
                mongo.indexOps(Message.class).createIndex(new Index().on("request.requesterId", Sort.Direction.ASC)
                        .on("request.dueAt", Sort.Direction.ASC).on("_id", Sort.Direction.ASC).sparse()),
                mongo.indexOps(Message.class).createIndex(new Index().on("roomId", Sort.Direction.ASC).on("pin.at", Sort.Direction.DESC).sparse()),
                mongo.indexOps(jp.tsunagu.chat.message.Bookmark.class).createIndex(new Index().on("userId", Sort.Direction.ASC).on("at", Sort.Direction.DESC)),
                // Escalation rounds: steps due. (The inbox reads its own projection by _id: no index of its own.)
                mongo.indexOps(Message.class).createIndex(new Index().on("acknowledgement.escalateAt", Sort.Direction.ASC).sparse()),
                mongo.indexOps(ConsentGrant.class).createIndex(new Index().on("grantId", Sort.Direction.ASC).on("version", Sort.Direction.DESC)),
                mongo.indexOps(ConsentGrant.class).createIndex(new Index().on("roomId", Sort.Direction.ASC)),
                mongo.indexOps(ConsentGrant.class).createIndex(new Index().on("status", Sort.Direction.ASC).on("validUntil", Sort.Direction.ASC)),
                mongo.indexOps(ConsentRequest.class).createIndex(new Index().on("roomId", Sort.Direction.ASC).on("requestedAt", Sort.Direction.DESC)),
                mongo.indexOps(ProxyAuthority.class).createIndex(new Index().on("residentId", Sort.Direction.ASC)),
                mongo.indexOps(AccessLogEntry.class).createIndex(new Index().on("residentId", Sort.Direction.ASC).on("_id", Sort.Direction.DESC)),
                mongo.indexOps(AccessLogEntry.class).createIndex(new Index().on("at", Sort.Direction.ASC)),
                mongo.indexOps(BreakGlass.class).createIndex(new Index().on("reviewed", Sort.Direction.ASC).on("openedAt", Sort.Direction.DESC)))
                .then().block(TIMEOUT);
    }
}
