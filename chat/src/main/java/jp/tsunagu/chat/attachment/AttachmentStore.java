package jp.tsunagu.chat.attachment;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Storage of attachment metadata and bytes. */
public interface AttachmentStore {

    Mono<Attachment> find(String id);

    Mono<Attachment> insert(Attachment attachment);

    /** Stores the file's bytes and returns their id. */
    Mono<String> putContent(Path file, String name, String contentType);

    /** The bytes stored under {@code fileId}. */
    Flux<ByteBuffer> content(String fileId);

    Mono<Void> deleteContent(String fileId);
}
