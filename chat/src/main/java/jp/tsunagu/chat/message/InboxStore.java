package jp.tsunagu.chat.message;

import java.util.Collection;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Storage of the inbox projection ({@link InboxEntries}): one {@link RoomInbox} per person and room. */
public interface InboxStore {

    /** The person's entries in those rooms (rooms where nothing was ever filed for them are left out). */
    Flux<RoomInbox> of(String userId, Collection<String> roomIds);

    /**
     * Writes and removes entries: one idempotent write per person and room (writing an entry twice, or removing
     * one that is not there, changes nothing), so a retried or repeated filing is harmless.
     */
    Mono<Void> file(Collection<InboxEntries.Filing> filings);
}
