package jp.tsunagu.chat.audit;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import jp.tsunagu.chat.consent.Actor;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.support.RoomLinearizer;
import jp.tsunagu.chat.support.TestMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.data.mongodb.core.query.Criteria.where;

/** The access log's chain: appends stay gap-free under concurrency, and tampering is found where it happened. */
class AccessLogTests {

    private TestMongo db;
    private ReactiveMongoTemplate mongo;
    private AccessLog log;

    @BeforeEach
    void start() {
        db = new TestMongo();
        mongo = db.freshDatabase();
        log = new AccessLog(mongo, new RoomLinearizer());
    }

    @AfterEach
    void stop() {
        db.close();
    }

    private static AccessLogEntry view(int n) {
        Actor viewer = Actor.of(new CareUser("dr-" + n, "田中 一郎", Profession.DOCTOR, "clinic", "さくら在宅クリニック", Set.of()));
        // Nanoseconds, as a real clock gives them: the database keeps milliseconds, the chain must still hold.
        return new AccessLogEntry(0, Instant.parse("2026-11-23T03:00:00.123456789Z").plusSeconds(n), "view", viewer, "TONE-000123",
                "room-1", "msg-" + n, List.of("lab"), List.of("Observation/hba1c-" + n), "服薬調整のため",
                "grant:g1:1:audience", "shown", null, null);
    }

    @Test
    void concurrentAppendsFormOneGapFreeChain() {
        Flux.range(1, 100).flatMap(i -> log.append(view(i)), 32).blockLast();
        StepVerifier.create(log.verify())
                .assertNext(v -> {
                    assertThat(v.intact()).isTrue();
                    assertThat(v.entries()).isEqualTo(100);
                })
                .verifyComplete();
    }

    @Test
    void aNewWriterContinuesTheChainFromTheDatabase() {
        Flux.range(1, 3).concatMap(i -> log.append(view(i))).blockLast();
        AccessLog restarted = new AccessLog(mongo, new RoomLinearizer());
        AccessLogEntry fourth = restarted.append(view(4)).block();
        assertThat(fourth.seq()).isEqualTo(4);
        assertThat(log.verify().block().intact()).isTrue();
        // The first writer's cached head is stale now: its next append collides, rereads and still links correctly.
        AccessLogEntry fifth = log.append(view(5)).block();
        assertThat(fifth.seq()).isEqualTo(5);
        assertThat(fifth.prevHash()).isEqualTo(fourth.hash());
        assertThat(log.verify().block().intact()).isTrue();
    }

    @Test
    void changingOneEntryIsReportedAtThatEntry() {
        Flux.range(1, 6).concatMap(i -> log.append(view(i))).blockLast();
        mongo.updateFirst(Query.query(where("_id").is(3L)), new Update().set("viewer.displayName", "誰か別の人"),
                AccessLogEntry.class).block();
        StepVerifier.create(log.verify())
                .assertNext(v -> {
                    assertThat(v.intact()).isFalse();
                    assertThat(v.firstBadSeq()).isEqualTo(3L);
                    assertThat(v.problem()).contains("hash");
                })
                .verifyComplete();
    }

    @Test
    void rewritingAnEntryWithAFreshHashBreaksTheNextLink() {
        Flux.range(1, 6).concatMap(i -> log.append(view(i))).blockLast();
        AccessLogEntry third = mongo.findById(3L, AccessLogEntry.class).block();
        AccessLogEntry forged = new AccessLogEntry(3, third.at(), third.action(), third.viewer(), third.residentId(),
                third.roomId(), third.messageId(), List.of("lab", "memo"), third.items(), third.purpose(), third.basis(),
                third.outcome(), third.prevHash(), null).chained(3, third.prevHash());
        mongo.save(forged).block();
        StepVerifier.create(log.verify())
                .assertNext(v -> {
                    assertThat(v.intact()).isFalse();
                    assertThat(v.firstBadSeq()).isEqualTo(4L);
                    assertThat(v.problem()).contains("previous");
                })
                .verifyComplete();
    }

    @Test
    void aRemovedEntryIsReportedAsMissing() {
        Flux.range(1, 5).concatMap(i -> log.append(view(i))).blockLast();
        mongo.remove(Query.query(where("_id").is(2L)), AccessLogEntry.class).block();
        StepVerifier.create(log.verify())
                .assertNext(v -> {
                    assertThat(v.intact()).isFalse();
                    assertThat(v.firstBadSeq()).isEqualTo(2L);
                    assertThat(v.problem()).contains("missing");
                })
                .verifyComplete();
    }
}
