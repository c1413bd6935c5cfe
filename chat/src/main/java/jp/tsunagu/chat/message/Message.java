package jp.tsunagu.chat.message;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

import jp.tsunagu.chat.identity.Profession;

/**
 * A message in a room, with everything that happens to it kept inside this one document (edits, stamps,
 * deletion), so each change is a single atomic write and the document alone can be replayed to a client.
 *
 * @param seq the room sequence number of the message's creation; orders the timeline
 * @param changeSeq the room sequence number of the latest change (equal to {@code seq} until changed)
 * @param lastChange what that latest change was
 * @param threadRootId the first message of the thread this reply belongs to; null for top-level messages
 * @param mentionedUserIds everyone the mentions reached when posted (users, facility members, whole room)
 * @param attachments what was attached, copied in so a message reads without a join
 * @param stamps stamp code to the ids of the users who gave it
 * @param edits earlier versions, oldest first; cleared on deletion
 * @param requestHash fingerprint of the create request, to tell a retry from a reused idempotency key
 * @param origin where a message imported from an external SNS came from; null for messages posted here
 * @param delivery per bridged connector instance, how the message stands there (written by the bridge)
 * @param externalStamps stamp code to how many people of an external SNS gave it there (counts only: they are not
 *                       local people), without the bridge's own integration account; null or empty when none
 * @param excerpt the references of an excerpt card; null for other messages
 * @param request the request (依頼) the message carries; null when it carries none
 * @param acknowledgement for an urgent message, who must acknowledge it and how far it escalated; else null
 * @param pin set while the message is pinned to the room
 */
@Document("messages")
public record Message(@Id String id, String roomId, long seq, long changeSeq, Change lastChange, Author author,
                     String text, String html, String parentId, String threadRootId, Priority priority,
                     Mentions mentions, List<String> mentionedUserIds, List<AttachmentRef> attachments,
                     Map<String, List<String>> stamps, List<Edit> edits, Instant createdAt, Instant editedAt,
                     Deletion deleted, String requestHash, Origin origin,
                     Map<String, Delivery> delivery, Map<String, Integer> externalStamps, Excerpt excerpt,
                     CareRequest request, Acknowledgement acknowledgement, Pin pin) {

    /** A message that is not pinned. */
    public Message(String id, String roomId, long seq, long changeSeq, Change lastChange, Author author, String text,
                   String html, String parentId, String threadRootId, Priority priority, Mentions mentions,
                   List<String> mentionedUserIds, List<AttachmentRef> attachments, Map<String, List<String>> stamps,
                   List<Edit> edits, Instant createdAt, Instant editedAt, Deletion deleted, String requestHash,
                   Origin origin, Map<String, Delivery> delivery, Map<String, Integer> externalStamps, Excerpt excerpt,
                   CareRequest request, Acknowledgement acknowledgement) {
        this(id, roomId, seq, changeSeq, lastChange, author, text, html, parentId, threadRootId, priority, mentions,
                mentionedUserIds, attachments, stamps, edits, createdAt, editedAt, deleted, requestHash, origin,
                delivery, externalStamps, excerpt, request, acknowledgement, null);
    }

    /** Who pinned the message to the room, and when; everyone in the room sees the room's pins. */
    public record Pin(String by, Instant at) {
    }

    /** A message that needs no acknowledgement. */
    public Message(String id, String roomId, long seq, long changeSeq, Change lastChange, Author author, String text,
                   String html, String parentId, String threadRootId, Priority priority, Mentions mentions,
                   List<String> mentionedUserIds, List<AttachmentRef> attachments, Map<String, List<String>> stamps,
                   List<Edit> edits, Instant createdAt, Instant editedAt, Deletion deleted, String requestHash,
                   Origin origin, Map<String, Delivery> delivery, Map<String, Integer> externalStamps, Excerpt excerpt,
                   CareRequest request) {
        this(id, roomId, seq, changeSeq, lastChange, author, text, html, parentId, threadRootId, priority, mentions,
                mentionedUserIds, attachments, stamps, edits, createdAt, editedAt, deleted, requestHash, origin,
                delivery, externalStamps, excerpt, request, null);
    }

    /** A message that carries no request. */
    public Message(String id, String roomId, long seq, long changeSeq, Change lastChange, Author author, String text,
                   String html, String parentId, String threadRootId, Priority priority, Mentions mentions,
                   List<String> mentionedUserIds, List<AttachmentRef> attachments, Map<String, List<String>> stamps,
                   List<Edit> edits, Instant createdAt, Instant editedAt, Deletion deleted, String requestHash,
                   Origin origin, Map<String, Delivery> delivery, Map<String, Integer> externalStamps, Excerpt excerpt) {
        this(id, roomId, seq, changeSeq, lastChange, author, text, html, parentId, threadRootId, priority, mentions,
                mentionedUserIds, attachments, stamps, edits, createdAt, editedAt, deleted, requestHash, origin,
                delivery, externalStamps, excerpt, null, null);
    }

    /** A message that is no excerpt card. */
    public Message(String id, String roomId, long seq, long changeSeq, Change lastChange, Author author, String text,
                   String html, String parentId, String threadRootId, Priority priority, Mentions mentions,
                   List<String> mentionedUserIds, List<AttachmentRef> attachments, Map<String, List<String>> stamps,
                   List<Edit> edits, Instant createdAt, Instant editedAt, Deletion deleted, String requestHash,
                   Origin origin, Map<String, Delivery> delivery, Map<String, Integer> externalStamps) {
        this(id, roomId, seq, changeSeq, lastChange, author, text, html, parentId, threadRootId, priority, mentions,
                mentionedUserIds, attachments, stamps, edits, createdAt, editedAt, deleted, requestHash, origin,
                delivery, externalStamps, null);
    }

    /** A message with no external stamps (every message posted here, and imports that have none). */
    public Message(String id, String roomId, long seq, long changeSeq, Change lastChange, Author author, String text,
                   String html, String parentId, String threadRootId, Priority priority, Mentions mentions,
                   List<String> mentionedUserIds, List<AttachmentRef> attachments, Map<String, List<String>> stamps,
                   List<Edit> edits, Instant createdAt, Instant editedAt, Deletion deleted, String requestHash,
                   Origin origin, Map<String, Delivery> delivery) {
        this(id, roomId, seq, changeSeq, lastChange, author, text, html, parentId, threadRootId, priority, mentions,
                mentionedUserIds, attachments, stamps, edits, createdAt, editedAt, deleted, requestHash, origin,
                delivery, null);
    }

    public enum Change {
        CREATED, EDITED, DELETED, STAMPED,
        /** The send status to a bridged SNS changed ({@link Delivery}); the content did not. */
        DELIVERY,
        /** The consent behind an excerpt card changed (revoked, expired, renewed): readers must read it again. */
        EXCERPT,
        /** The request the message carries was made or moved ({@link CareRequest}). */
        REQUEST,
        /** A required person acknowledged the urgent message ({@link Acknowledgement}). */
        ACKNOWLEDGED,
        /** Nobody (or not everyone) required acknowledged in time: an escalation step was taken. */
        ESCALATED,
        /** Pinned to the room or unpinned. */
        PINNED
    }

    public record Author(String userId, String displayName, Profession profession, String facilityId,
                         String facilityName) {
    }

    public record Mentions(List<String> users, List<String> facilities, boolean room) {

        public static final Mentions NONE = new Mentions(List.of(), List.of(), false);

        public Mentions {
            users = users == null ? List.of() : List.copyOf(users);
            facilities = facilities == null ? List.of() : List.copyOf(facilities);
        }

        public boolean isEmpty() {
            return users.isEmpty() && facilities.isEmpty() && !room;
        }
    }

    /** An attachment as a message shows it; the bytes live in the attachment store. */
    public record AttachmentRef(String id, String name, String contentType, long size, boolean thumbnail) {
    }

    public record Edit(String text, String html, Instant editedAt) {
    }

    public record Deletion(String by, Instant at) {
    }

    /**
     * An imported message's source: the connector instance, the message's id there, and its author as that SNS
     * describes them (the author has no local account).
     */
    public record Origin(String instanceId, String externalId, ExternalAuthor author) {
    }

    /**
     * @param profession the profession as the SNS names it (看護師, ケアマネジャー ...), kept verbatim
     * @param stationId the author's station (facility) there, may be null
     */
    public record ExternalAuthor(String id, String displayName, String profession, String stationId,
                                 String stationName) {
    }

    public boolean isDeleted() {
        return deleted != null;
    }

    /**
     * An excerpt card: references into the resident's health record, never the data. What a reader sees is
     * decided at each read, for that reader, against the grant's current version.
     *
     * @param kind the card's preset: {@code labs} (latest value per test), {@code medication}, {@code vitals}
     *             (a trend), {@code allergy}, {@code memo}
     * @param days the window of data the card shows, ending on the day of each read
     * @param codes only items with these codes (e.g. the HbA1c LOINC), empty for all
     * @param grantState the grant's state as last announced ({@code active}, {@code revoked}, {@code expired}…):
     *                   lets a client show the placeholder without a read; the read itself decides again
     */
    public record Excerpt(String residentId, String grantId, String kind, List<String> categories, int days,
                          List<String> codes, String grantState) {

        public Excerpt {
            categories = categories == null ? List.of() : List.copyOf(categories);
            codes = codes == null ? List.of() : List.copyOf(codes);
        }
    }
}
