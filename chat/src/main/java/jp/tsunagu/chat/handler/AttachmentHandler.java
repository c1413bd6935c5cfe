package jp.tsunagu.chat.handler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.codec.multipart.FilePart;

import jp.tsunagu.chat.attachment.Attachment;
import jp.tsunagu.chat.attachment.AttachmentStore;
import jp.tsunagu.chat.attachment.MediaInspector;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Photo and file uploads: streamed to a temporary file with a size cap, typed by content, stripped of
 * location and camera metadata, thumbnailed, then stored. Nothing is stored when any step refuses.
 *
 * <p>Errors: 404 room not visible; 409 archived room; 413 over the size limit; 415 a type care rooms do
 * not accept (decided by the bytes, never the file name); 400 no file part.
 */
public final class AttachmentHandler {

    /** Longest thumbnail edge: sharp on a 360-px-wide phone timeline at 2× density while staying ~20 KB. */
    public static final int THUMBNAIL_EDGE = 320;

    private final AttachmentStore store;
    private final RoomAccess access;
    private final MediaInspector inspector;
    private final long maxBytes;
    private final Path workDir;
    private final Clock clock;

    public AttachmentHandler(AttachmentStore store, RoomAccess access, MediaInspector inspector, long maxBytes,
                             Path workDir, Clock clock) {
        this.store = store;
        this.access = access;
        this.inspector = inspector;
        this.maxBytes = maxBytes;
        this.workDir = workDir;
        this.clock = clock;
    }

    public Mono<Attachment> upload(CareUser user, String roomId, FilePart part) {
        Ids.require("roomId", roomId);
        if (part == null) {
            throw ApiException.invalid("file", "a multipart part named 'file' is required");
        }
        String name = safeName(part.filename());
        return access.requireWritable(user, roomId)
                .flatMap(member -> store(roomId, user.id(), Ids.newId(), name, part.content(), maxBytes));
    }

    /**
     * Stores a file that came with a message from an external SNS, through the same checks as an upload (typed by
     * its bytes, metadata stripped, thumbnailed). The caller (the bridge) is trusted: no membership check. The id is
     * the caller's, derived from the external file, so importing the same file again returns the stored one and
     * never stores its bytes twice.
     *
     * @param maxBytes the cap for this file; over it the download is abandoned with a 413 {@link ApiException}
     * @return the stored attachment; 413 too large, 415 a type care rooms do not accept, 400 empty, or the
     *         download's own error
     */
    public Mono<Attachment> importFile(String roomId, String uploadedBy, String id, String name,
                                       Flux<ByteBuffer> content, long maxBytes) {
        String safe = safeName(name);
        return store.find(id).switchIfEmpty(Mono.defer(() -> store(roomId, uploadedBy, id, safe,
                        content.map(DefaultDataBufferFactory.sharedInstance::wrap), maxBytes)))
                // Imported twice at once (a poll and a pushed webhook): the first insert wins, the loser's bytes go.
                .onErrorResume(DuplicateAttachment.class, e -> store.deleteContent(e.fileId)
                        .then(e.thumbnailFileId == null ? Mono.empty() : store.deleteContent(e.thumbnailFileId))
                        .then(store.find(id)));
    }

    /** Receives into a temporary file within the cap, inspects, stores; the temporary file goes in any case. */
    private Mono<Attachment> store(String roomId, String uploadedBy, String id, String name,
                                   Flux<DataBuffer> content, long cap) {
        return Mono.usingWhen(
                Mono.fromCallable(() -> {
                    Files.createDirectories(workDir);
                    return Files.createTempFile(workDir, "upload-", ".part");
                }).subscribeOn(Schedulers.boundedElastic()),
                upload -> receive(content, upload, cap)
                        .then(Mono.fromCallable(() -> inspect(upload)).subscribeOn(Schedulers.boundedElastic()))
                        .flatMap(inspected -> storeInspected(roomId, uploadedBy, id, name, inspected)),
                upload -> Mono.fromRunnable(() -> deleteQuietly(upload)).subscribeOn(Schedulers.boundedElastic()).then());
    }

    private Mono<Void> receive(Flux<DataBuffer> content, Path upload, long cap) {
        AtomicLong received = new AtomicLong();
        return DataBufferUtils.write(content.doOnNext(buffer -> {
            if (received.addAndGet(buffer.readableByteCount()) > cap) {
                DataBufferUtils.release(buffer);
                throw ApiException.tooLarge("file", "files may be at most " + cap + " bytes");
            }
        }), upload).then(Mono.fromRunnable(() -> {
            if (received.get() == 0) {
                throw ApiException.invalid("file", "is empty");
            }
        }));
    }

    private MediaInspector.Inspected inspect(Path upload) throws IOException {
        try {
            return inspector.inspect(upload);
        } catch (MediaInspector.UnsupportedMediaTypeException e) {
            throw ApiException.unsupportedMedia("file", e.getMessage());
        }
    }

    private Mono<Attachment> storeInspected(String roomId, String uploadedBy, String id, String name,
                                            MediaInspector.Inspected inspected) {
        Path thumbnail = inspected.thumbnail().orElse(null);
        Mono<String> sha = Mono.fromCallable(() -> sha256(inspected.sanitised())).subscribeOn(Schedulers.boundedElastic());
        Mono<String> file = store.putContent(inspected.sanitised(), name, inspected.contentType());
        Mono<String> thumb = thumbnail == null ? Mono.just("") : store.putContent(thumbnail, name + ".thumb.jpg", "image/jpeg");
        return Mono.zip(sha, file, thumb)
                .flatMap(t -> {
                    String thumbId = t.getT3().isEmpty() ? null : t.getT3();
                    return store.insert(new Attachment(id, roomId, uploadedBy, name, inspected.contentType(),
                                    inspected.size(), t.getT1(), t.getT2(), thumbId, inspected.width(),
                                    inspected.height(), clock.instant()))
                            .onErrorMap(DuplicateKeyException.class, e -> new DuplicateAttachment(t.getT2(), thumbId));
                })
                .doFinally(signal -> {
                    deleteQuietly(inspected.sanitised());
                    if (thumbnail != null) {
                        deleteQuietly(thumbnail);
                    }
                });
    }

    /** The attachment id was taken meanwhile; the bytes just stored are surplus. */
    private static final class DuplicateAttachment extends RuntimeException {
        final String fileId;
        final String thumbnailFileId;

        DuplicateAttachment(String fileId, String thumbnailFileId) {
            super("attachment stored twice", null, false, false);
            this.fileId = fileId;
            this.thumbnailFileId = thumbnailFileId;
        }
    }

    /** The attachment, if the caller is a member of its room; 404 otherwise. */
    public Mono<Attachment> readable(CareUser user, String attachmentId) {
        Ids.require("attachmentId", attachmentId);
        return store.find(attachmentId)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("attachment")))
                .flatMap(a -> access.require(user, a.roomId()).thenReturn(a))
                .onErrorMap(ApiException.class, e -> e.status().value() == 404 ? ApiException.notFound("attachment") : e);
    }

    public AttachmentStore store() {
        return store;
    }

    /** File names are shown and sent back in headers: keep them printable and short. */
    static String safeName(String name) {
        String base = name == null ? "" : name.replace('\\', '/');
        base = base.substring(base.lastIndexOf('/') + 1).replaceAll("[\\p{Cntrl}\"]", "").strip();
        if (base.isEmpty()) {
            base = "file";
        }
        return base.length() > 200 ? base.substring(base.length() - 200) : base;
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
