package jp.tsunagu.chat.message;

import java.time.Instant;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/** A message one person keeps for later; nobody else sees it. {@code _id} = {@code userId:messageId}. */
@Document("bookmarks")
public record Bookmark(@Id String id, String userId, String roomId, String messageId, Instant at) {

    public static String idOf(String userId, String messageId) {
        return userId + ":" + messageId;
    }
}
