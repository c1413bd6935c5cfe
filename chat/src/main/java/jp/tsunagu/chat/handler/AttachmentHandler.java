package jp.tsunagu.chat.handler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.codec.multipart.FilePart;

import jp.tsunagu.chat.attachment.Attachment;
import jp.tsunagu.chat.attachment.AttachmentStore;
import jp.tsunagu.chat.attachment.MediaInspector;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
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
        return access.requireWritable(user, roomId).flatMap(member -> Mono.usingWhen(
                Mono.fromCallable(() -> {
                    Files.createDirectories(workDir);
                    return Files.createTempFile(workDir, "upload-", ".part");
                }).subscribeOn(Schedulers.boundedElastic()),
                upload -> receive(part, upload)
                        .then(Mono.fromCallable(() -> inspect(upload)).subscribeOn(Schedulers.boundedElastic()))
                        .flatMap(inspected -> storeInspected(user, roomId, name, inspected)),
                upload -> Mono.fromRunnable(() -> deleteQuietly(upload)).subscribeOn(Schedulers.boundedElastic()).then()));
    }

    private Mono<Void> receive(FilePart part, Path upload) {
        AtomicLong received = new AtomicLong();
        return DataBufferUtils.write(part.content().doOnNext(buffer -> {
            if (received.addAndGet(buffer.readableByteCount()) > maxBytes) {
                DataBufferUtils.release(buffer);
                throw ApiException.tooLarge("file", "files may be at most " + maxBytes + " bytes");
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

    private Mono<Attachment> storeInspected(CareUser user, String roomId, String name, MediaInspector.Inspected inspected) {
        Path thumbnail = inspected.thumbnail().orElse(null);
        Mono<String> sha = Mono.fromCallable(() -> sha256(inspected.sanitised())).subscribeOn(Schedulers.boundedElastic());
        Mono<String> file = store.putContent(inspected.sanitised(), name, inspected.contentType());
        Mono<String> thumb = thumbnail == null ? Mono.just("") : store.putContent(thumbnail, name + ".thumb.jpg", "image/jpeg");
        return Mono.zip(sha, file, thumb)
                .flatMap(t -> store.insert(new Attachment(Ids.newId(), roomId, user.id(), name, inspected.contentType(),
                        inspected.size(), t.getT1(), t.getT2(), t.getT3().isEmpty() ? null : t.getT3(),
                        inspected.width(), inspected.height(), clock.instant())))
                .doFinally(signal -> {
                    deleteQuietly(inspected.sanitised());
                    if (thumbnail != null) {
                        deleteQuietly(thumbnail);
                    }
                });
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
