package jp.tsunagu.bridge.link;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import jp.tsunagu.chat.support.MovableClock;
import jp.tsunagu.chat.support.TestMongo;

import static org.assertj.core.api.Assertions.assertThat;

/** Two nodes on one database: a link is worked by one of them at a time, and moves when its holder goes. */
class LinkLeasesTests {

    private static final Duration TTL = Duration.ofSeconds(30);

    private static TestMongo db;
    private ReactiveMongoTemplate mongo;
    private final MovableClock clock = new MovableClock(Instant.parse("2026-11-24T00:00:00Z"));

    @BeforeAll
    static void startMongo() {
        db = new TestMongo();
    }

    @AfterAll
    static void stopMongo() {
        db.close();
    }

    @BeforeEach
    void freshDatabase() {
        mongo = db.freshDatabase();
    }

    private MongoLinkLeases node(String id) {
        return new MongoLinkLeases(mongo, id, TTL, clock);
    }

    @Test
    void oneNodeHoldsALinkUntilItsLeaseLapsesThenAnotherTakesIt() {
        MongoLinkLeases a = node("node-a");
        MongoLinkLeases b = node("node-b");
        StepVerifier.create(a.hold("link-1")).expectNext(true).verifyComplete();
        StepVerifier.create(b.hold("link-1")).expectNext(false).verifyComplete();
        StepVerifier.create(b.hold("link-2")).as("other links are free").expectNext(true).verifyComplete();

        clock.advance(TTL.minusSeconds(1));
        StepVerifier.create(a.hold("link-1")).as("renewed while alive").expectNext(true).verifyComplete();
        clock.advance(TTL.minusSeconds(1));
        StepVerifier.create(b.hold("link-1")).as("still within the renewed lease").expectNext(false).verifyComplete();

        clock.advance(Duration.ofSeconds(2)); // node-a stopped renewing: its lease lapses
        StepVerifier.create(b.hold("link-1")).expectNext(true).verifyComplete();
        StepVerifier.create(a.hold("link-1")).as("the old holder does not get it back").expectNext(false).verifyComplete();
        StepVerifier.create(mongo.findById("link-1", Document.class, MongoLinkLeases.COLLECTION).map(d -> d.getString("owner")))
                .expectNext("node-b").verifyComplete();
    }

    @Test
    void aRenewalSoonAfterTheLastWriteIsAnsweredWithoutWritingAndTheLeaseNeverLapsesMeanwhile() {
        MongoLinkLeases a = node("node-a");
        MongoLinkLeases b = node("node-b");
        Instant start = clock.instant();
        StepVerifier.create(a.hold("link-1")).expectNext(true).verifyComplete();

        clock.advance(TTL.dividedBy(3).minusSeconds(1));
        StepVerifier.create(a.hold("link-1")).as("within a third: from memory").expectNext(true).verifyComplete();
        assertThat(expiresAt("link-1")).as("not written again").isEqualTo(start.plus(TTL));
        StepVerifier.create(b.hold("link-1")).expectNext(false).verifyComplete();

        clock.advance(Duration.ofSeconds(1));
        StepVerifier.create(a.hold("link-1")).as("a third on: written").expectNext(true).verifyComplete();
        assertThat(expiresAt("link-1")).isEqualTo(clock.instant().plus(TTL));
    }

    @Test
    void aNodeThatLostOrReleasedALinkAsksTheDatabaseAgain() {
        MongoLinkLeases a = node("node-a");
        MongoLinkLeases b = node("node-b");
        StepVerifier.create(a.hold("link-1")).expectNext(true).verifyComplete();
        StepVerifier.create(a.releaseAll()).verifyComplete();
        StepVerifier.create(b.hold("link-1")).expectNext(true).verifyComplete();
        StepVerifier.create(a.hold("link-1")).as("released: not answered from memory").expectNext(false).verifyComplete();

        clock.advance(TTL.plusSeconds(1)); // node-b is gone; node-a takes the link back
        StepVerifier.create(a.hold("link-1")).expectNext(true).verifyComplete();
    }

    private Instant expiresAt(String linkId) {
        return mongo.findById(linkId, Document.class, MongoLinkLeases.COLLECTION)
                .map(d -> d.getDate("expiresAt").toInstant()).block(Duration.ofSeconds(5));
    }

    @Test
    void administratorsSeeWhichNodeWorksEachLinkAndNoneForALapsedLease() {
        MongoLinkLeases a = node("node-a");
        MongoLinkLeases b = node("node-b");
        StepVerifier.create(b.hold("link-2")).expectNext(true).verifyComplete();
        clock.advance(TTL.plusSeconds(1)); // node-b is gone
        StepVerifier.create(a.hold("link-1")).expectNext(true).verifyComplete();
        StepVerifier.create(b.holders()).expectNext(java.util.Map.of("link-1", "node-a")).verifyComplete();
    }

    @Test
    void aCleanShutdownHandsTheLinksOverAtOnce() {
        MongoLinkLeases a = node("node-a");
        MongoLinkLeases b = node("node-b");
        StepVerifier.create(a.hold("link-1").then(a.hold("link-2"))).expectNext(true).verifyComplete();
        StepVerifier.create(a.releaseAll()).verifyComplete();
        StepVerifier.create(b.hold("link-1").zipWith(b.hold("link-2"), Boolean::logicalAnd)).expectNext(true).verifyComplete();
    }

    @Test
    void tasksRunOnlyOnTheNodeThatHoldsTheLink() {
        LinkTurns a = new LinkTurns(node("node-a"));
        LinkTurns b = new LinkTurns(node("node-b"));
        AtomicInteger ranOnA = new AtomicInteger();
        AtomicInteger ranOnB = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            StepVerifier.create(a.run("link-1", () -> Mono.fromCallable(ranOnA::incrementAndGet))).expectNextCount(1).verifyComplete();
            StepVerifier.create(b.run("link-1", () -> Mono.fromCallable(ranOnB::incrementAndGet))).verifyComplete();
        }
        assertThat(ranOnA).hasValue(3);
        assertThat(ranOnB).as("node-b never worked node-a's link").hasValue(0);
        a.close(); // node-a stops cleanly
        StepVerifier.create(b.run("link-1", () -> Mono.fromCallable(ranOnB::incrementAndGet))).expectNext(1).verifyComplete();
    }

    @Test
    void racingNodesNeverBothTakeAFreeLink() {
        int nodes = 8;
        var results = reactor.core.publisher.Flux.range(0, nodes)
                .flatMap(i -> node("node-" + i).hold("contested"), nodes)
                .collectList().block(Duration.ofSeconds(10));
        assertThat(results).containsOnlyOnce(true);
    }
}
