package jp.tsunagu.chat.message;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Storage of read positions. */
public interface ReadStore {

    Mono<ReadReceipt> find(String roomId, String userId);

    Mono<ReadReceipt> save(ReadReceipt receipt);

    /** Members whose position reaches {@code seq}: the readers of the message with that seq. */
    Flux<ReadReceipt> readersOf(String roomId, long seq);

    Flux<ReadReceipt> changedSince(String roomId, long seq, int limit);
}
