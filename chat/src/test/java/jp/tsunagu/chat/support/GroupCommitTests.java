package jp.tsunagu.chat.support;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class GroupCommitTests {

    /** A database whose batches stay in flight until the test answers them. */
    private static final class HeldWrites {
        final List<List<String>> batches = new CopyOnWriteArrayList<>();
        final List<Sinks.One<List<Throwable>>> answers = new CopyOnWriteArrayList<>();

        Mono<List<Throwable>> write(List<String> batch) {
            batches.add(batch);
            Sinks.One<List<Throwable>> answer = Sinks.one();
            answers.add(answer);
            return answer.asMono();
        }

        void answer(int batch, Throwable... errors) {
            answers.get(batch).tryEmitValue(Arrays.asList(errors));
        }
    }

    @Test
    void aWriteAloneLeavesAtOnce() {
        HeldWrites db = new HeldWrites();
        GroupCommit<String> commit = new GroupCommit<>(db::write, 10);
        StepVerifier.create(commit.write("a"))
                .then(() -> {
                    assertThat(db.batches).containsExactly(List.of("a"));
                    db.answer(0, (Throwable) null);
                })
                .verifyComplete();
    }

    @Test
    void writesArrivingWhileOneIsInFlightGoTogetherEachWithItsOwnOutcome() {
        HeldWrites db = new HeldWrites();
        GroupCommit<String> commit = new GroupCommit<>(db::write, 10);
        List<String> outcomes = new CopyOnWriteArrayList<>();
        commit.write("a").subscribe(null, e -> outcomes.add("a failed"), () -> outcomes.add("a written"));
        for (String item : List.of("b", "c", "d")) {
            commit.write(item).subscribe(null, e -> outcomes.add(item + " failed: " + e.getMessage()),
                    () -> outcomes.add(item + " written"));
        }
        assertThat(db.batches).as("b, c and d wait for a's command").containsExactly(List.of("a"));

        db.answer(0, (Throwable) null);
        assertThat(db.batches).containsExactly(List.of("a"), List.of("b", "c", "d"));
        db.answer(1, null, new IllegalStateException("duplicate"), null);
        assertThat(outcomes).containsExactly("a written", "b written", "c failed: duplicate", "d written");
    }

    @Test
    void aFailedCommandFailsItsWritesAndTheNextBatchStillLeaves() {
        HeldWrites db = new HeldWrites();
        GroupCommit<String> commit = new GroupCommit<>(db::write, 2);
        List<String> outcomes = new CopyOnWriteArrayList<>();
        for (String item : List.of("a", "b", "c", "d")) {
            commit.write(item).subscribe(null, e -> outcomes.add(item + " failed: " + e.getMessage()),
                    () -> outcomes.add(item + " written"));
        }
        db.answers.get(0).tryEmitError(new IllegalStateException("connection lost"));
        assertThat(db.batches).as("no more than the batch size in one command")
                .containsExactly(List.of("a"), List.of("b", "c"));
        db.answer(1, null, null);
        db.answer(2, (Throwable) null);
        assertThat(db.batches).containsExactly(List.of("a"), List.of("b", "c"), List.of("d"));
        assertThat(outcomes).containsExactly("a failed: connection lost", "b written", "c written", "d written");
    }

    @Test
    void aBatchAnsweredWithNothingFailsItsWritesInsteadOfLeavingThemWaiting() {
        GroupCommit<String> commit = new GroupCommit<>(batch -> Mono.empty(), 10);
        StepVerifier.create(commit.write("a")).verifyErrorMessage("a batch answered nothing");
        List<Throwable> errors = new ArrayList<>();
        commit.write("b").subscribe(null, errors::add);
        assertThat(errors).as("the next write is not stuck behind it").hasSize(1);
    }
}
