package jp.tsunagu.chat.attachment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.bson.Document;
import org.bson.types.ObjectId;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

import com.mongodb.client.gridfs.model.GridFSUploadOptions;
import com.mongodb.reactivestreams.client.gridfs.GridFSBucket;
import com.mongodb.reactivestreams.client.gridfs.GridFSBuckets;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** {@link AttachmentStore} with metadata in {@code attachments} and bytes in GridFS bucket {@code files}. */
public final class GridFsAttachmentStore implements AttachmentStore {

    /** GridFS's default chunk size (255 KiB): each chunk is one document well under the 16 MiB limit. */
    private static final int CHUNK = 255 * 1024;

    private final ReactiveMongoTemplate mongo;
    private final Mono<GridFSBucket> bucket;

    public GridFsAttachmentStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
        this.bucket = mongo.getMongoDatabase().map(db -> GridFSBuckets.create(db, "files")).cache();
    }

    @Override
    public Mono<Attachment> find(String id) {
        return mongo.findById(id, Attachment.class);
    }

    @Override
    public Mono<Attachment> insert(Attachment attachment) {
        return mongo.insert(attachment);
    }

    @Override
    public Mono<String> putContent(Path file, String name, String contentType) {
        GridFSUploadOptions options = new GridFSUploadOptions().chunkSizeBytes(CHUNK)
                .metadata(new Document("contentType", contentType));
        return bucket.flatMap(b -> Mono.from(b.uploadFromPublisher(name, read(file), options)))
                .map(ObjectId::toHexString);
    }

    @Override
    public Flux<ByteBuffer> content(String fileId) {
        return bucket.flatMapMany(b -> b.downloadToPublisher(new ObjectId(fileId)));
    }

    @Override
    public Mono<Void> deleteContent(String fileId) {
        return bucket.flatMap(b -> Mono.from(b.delete(new ObjectId(fileId)))).then();
    }

    private static Flux<ByteBuffer> read(Path file) {
        return Flux.using(() -> FileChannel.open(file, StandardOpenOption.READ),
                channel -> Flux.<ByteBuffer>generate(sink -> {
                    try {
                        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
                        int n = channel.read(buffer);
                        if (n < 0) {
                            sink.complete();
                        } else {
                            buffer.flip();
                            sink.next(buffer);
                        }
                    } catch (IOException e) {
                        sink.error(new UncheckedIOException(e));
                    }
                }),
                channel -> {
                    try {
                        channel.close();
                    } catch (IOException ignored) {
                        // closing a read-only channel cannot lose data
                    }
                }).subscribeOn(Schedulers.boundedElastic());
    }
}
