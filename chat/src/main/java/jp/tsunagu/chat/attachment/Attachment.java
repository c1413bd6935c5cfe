package jp.tsunagu.chat.attachment;

import java.time.Instant;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * An uploaded file, sanitised, belonging to one room. The bytes live in GridFS under {@code fileId};
 * images also have a JPEG thumbnail under {@code thumbnailFileId}.
 */
@Document("attachments")
public record Attachment(@Id String id, String roomId, String uploadedBy, String name, String contentType, long size,
                         String sha256, String fileId, String thumbnailFileId, Integer width, Integer height,
                         Instant createdAt) {
}
