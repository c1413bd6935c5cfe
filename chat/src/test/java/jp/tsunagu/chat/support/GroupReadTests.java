package jp.tsunagu.chat.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class GroupReadTests {

    /** A database whose queries stay in flight until the test answers them. */
    private static final class HeldReads {
        final List<List<String>> queries = new CopyOnWriteArrayList<>();
        final List<Sinks.One<Map<String, String>>> answers = new CopyOnWriteArrayList<>();

        Mono<Map<String, String>> read(Set<String> keys) {
            queries.add(new ArrayList<>(keys));
            Sinks.One<Map<String, String>> answer = Sinks.one();
            answers.add(answer);
            return answer.asMono();
        }
    }

    @Test
    void aReadAloneLeavesAtOnce() {
        HeldReads db = new HeldReads();
        GroupRead<String, String> reads = new GroupRead<>(db::read, 10);
        StepVerifier.create(reads.read("m1"))
                .then(() -> {
                    assertThat(db.queries).containsExactly(List.of("m1"));
                    db.answers.get(0).tryEmitValue(Map.of("m1", "stored"));
                })
                .expectNext("stored")
                .verifyComplete();
    }

    @Test
    void readsArrivingWhileOneIsInFlightGoTogetherEachGettingItsOwnAnswer() {
        HeldReads db = new HeldReads();
        GroupRead<String, String> reads = new GroupRead<>(db::read, 10);
        List<String> answers = new CopyOnWriteArrayList<>();
        reads.read("a").subscribe(v -> answers.add("a=" + v));
        for (String key : List.of("b", "c", "b")) {
            reads.read(key).defaultIfEmpty("none").subscribe(v -> answers.add(key + "=" + v));
        }
        assertThat(db.queries).as("b, c and b wait for a's query").containsExactly(List.of("a"));

        db.answers.get(0).tryEmitValue(Map.of("a", "1"));
        assertThat(db.queries).as("a key asked twice is read once").containsExactly(List.of("a"), List.of("b", "c"));
        db.answers.get(1).tryEmitValue(Map.of("b", "2"));
        assertThat(answers).containsExactly("a=1", "b=2", "c=none", "b=2");
    }

    @Test
    void aFailedQueryFailsItsReadsAndTheNextBatchStillLeaves() {
        HeldReads db = new HeldReads();
        GroupRead<String, String> reads = new GroupRead<>(db::read, 2);
        List<String> answers = new CopyOnWriteArrayList<>();
        for (String key : List.of("a", "b", "c", "d")) {
            reads.read(key).defaultIfEmpty("none").subscribe(v -> answers.add(key + "=" + v),
                    e -> answers.add(key + " failed: " + e.getMessage()));
        }
        db.answers.get(0).tryEmitError(new IllegalStateException("connection lost"));
        assertThat(db.queries).as("no more than the batch size in one query")
                .containsExactly(List.of("a"), List.of("b", "c"));
        db.answers.get(1).tryEmitValue(Map.of("c", "3"));
        db.answers.get(2).tryEmitValue(Map.of());
        assertThat(answers).containsExactly("a failed: connection lost", "b=none", "c=3", "d=none");
    }
}
