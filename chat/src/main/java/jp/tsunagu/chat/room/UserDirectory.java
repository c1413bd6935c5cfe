package jp.tsunagu.chat.room;

import jp.tsunagu.chat.identity.CareUser;
import reactor.core.publisher.Mono;

/** The people this server knows, so they can be invited and named. */
public interface UserDirectory {

    /** Records what the latest token says of the user; cheap when nothing changed. */
    Mono<Void> remember(CareUser user);

    Mono<DirectoryUser> find(String userId);

    Mono<DirectoryUser> save(DirectoryUser user);
}
