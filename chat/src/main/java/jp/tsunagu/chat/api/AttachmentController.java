package jp.tsunagu.chat.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.multipart.FilePart;
import org.springframework.http.codec.multipart.Part;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.attachment.Attachment;
import jp.tsunagu.chat.handler.AttachmentHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.ErrorAnswer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Photo and file upload and download; only room members can read a room's files. */
@RestController
@Tag(name = "attachments")
public class AttachmentController {

    private final AttachmentHandler attachments;

    public AttachmentController(AttachmentHandler attachments) {
        this.attachments = attachments;
    }

    /** What an upload returns; pass {@code id} in a message's {@code attachmentIds}. */
    public record Uploaded(String id, String roomId, String name, String contentType, long size, Integer width,
                           Integer height, String url, String thumbnailUrl) {

        static Uploaded of(Attachment a) {
            return new Uploaded(a.id(), a.roomId(), a.name(), a.contentType(), a.size(), a.width(), a.height(),
                    "/api/v1/attachments/" + a.id(),
                    a.thumbnailFileId() == null ? null : "/api/v1/attachments/" + a.id() + "/thumbnail");
        }
    }

    @Operation(summary = "Upload a photo or file", description = "multipart/form-data with a part named `file`. "
            + "Type is decided from the content; JPEG location/camera metadata is removed; images get a thumbnail.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @PostMapping(path = "/api/v1/rooms/{roomId}/attachments", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public Mono<ResponseEntity<Uploaded>> upload(CareUser user, @PathVariable String roomId,
                                                 @io.swagger.v3.oas.annotations.Parameter(description = "the photo or file",
                                                         content = @io.swagger.v3.oas.annotations.media.Content(
                                                                 mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
                                                                 schema = @io.swagger.v3.oas.annotations.media.Schema(type = "string", format = "binary")))
                                                 @RequestPart(name = "file", required = false) Mono<Part> file) {
        // Taken as any Part: a plain form field named "file" is not a FilePart, and asking Spring for a
        // FilePart made that a ClassCastException (500) instead of the client's 400.
        return file.map(part -> {
                    if (!(part instanceof FilePart filePart)) {
                        throw ApiException.invalid("file", "must be a file (a part with a filename), not a form field");
                    }
                    return java.util.Optional.of(filePart);
                }).defaultIfEmpty(java.util.Optional.empty())
                .flatMap(part -> attachments.upload(user, roomId, part.orElse(null)))
                .map(a -> ResponseEntity.status(HttpStatus.CREATED).body(Uploaded.of(a)));
    }

    @Operation(summary = "Download an attachment")
    @ErrorAnswer(status = 404, description = ErrorDocs.NOT_FOUND)
    @GetMapping("/api/v1/attachments/{attachmentId}")
    public Mono<ResponseEntity<Flux<DataBuffer>>> download(CareUser user, @PathVariable String attachmentId) {
        return attachments.readable(user, attachmentId).map(a -> body(a, a.fileId(), a.contentType(), a.size(), a.name()));
    }

    @Operation(summary = "An attachment's thumbnail")
    @ErrorAnswer(status = 404, description = ErrorDocs.NOT_FOUND)
    @GetMapping("/api/v1/attachments/{attachmentId}/thumbnail")
    public Mono<ResponseEntity<Flux<DataBuffer>>> thumbnail(CareUser user, @PathVariable String attachmentId) {
        return attachments.readable(user, attachmentId).map(a -> {
            if (a.thumbnailFileId() == null) {
                throw ApiException.notFound("thumbnail");
            }
            return body(a, a.thumbnailFileId(), "image/jpeg", -1, a.name() + ".jpg");
        });
    }

    private ResponseEntity<Flux<DataBuffer>> body(Attachment a, String fileId, String contentType, long size, String name) {
        boolean inline = contentType.startsWith("image/") || contentType.equals("application/pdf");
        ContentDisposition disposition = (inline ? ContentDisposition.inline() : ContentDisposition.attachment())
                .filename(name, StandardCharsets.UTF_8).build();
        ResponseEntity.BodyBuilder response = ResponseEntity.ok()
                .contentType(MediaType.parseMediaType(contentType))
                .header("Content-Disposition", disposition.toString())
                .header("X-Content-Type-Options", "nosniff")
                .header("Content-Security-Policy", "default-src 'none'; sandbox")
                .eTag(a.sha256() + (fileId.equals(a.fileId()) ? "" : "-t"))
                // Files never change under an id; private because they are health information.
                .cacheControl(CacheControl.maxAge(Duration.ofDays(1)).cachePrivate());
        if (size >= 0) {
            response.contentLength(size);
        }
        return response.body(attachments.store().content(fileId).map(DefaultDataBufferFactory.sharedInstance::wrap));
    }
}
