package jp.tsunagu.chat.message;

import java.util.Collection;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Private bookmarks, one document per (user, message): saving twice is one bookmark. */
public interface BookmarkStore {

    /** Saves (an upsert on the derived id, so a repeat or a race leaves one). */
    Mono<Bookmark> save(Bookmark bookmark);

    Mono<Void> remove(String userId, String messageId);

    /** The user's bookmarks in the given rooms, newest first. */
    Flux<Bookmark> of(String userId, Collection<String> roomIds, int limit);
}
