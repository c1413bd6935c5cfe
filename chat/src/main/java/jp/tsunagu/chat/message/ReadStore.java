package jp.tsunagu.chat.message;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Storage of read positions. */
public interface ReadStore {

    Mono<ReadReceipt> find(String roomId, String userId);

    /** The user's read positions in the given rooms (rooms never read are absent). */
    Flux<ReadReceipt> ofUser(String userId, java.util.Collection<String> roomIds);

    /** The read positions with these ids ({@code roomId:userId}), in one query; positions never taken are absent. */
    Flux<ReadReceipt> findAll(java.util.Collection<String> ids);

    Mono<ReadReceipt> save(ReadReceipt receipt);

    /** Members whose position reaches {@code seq}: the readers of the message with that seq. */
    Flux<ReadReceipt> readersOf(String roomId, long seq);

    Flux<ReadReceipt> changedSince(String roomId, long seq, int limit);
}
