package jp.tsunagu.chat.search;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.Priority;
import tools.jackson.databind.JsonNode;

/** A message as the index keeps it, from the stored message or from the event that carried it. */
final class SearchDocuments {

    private SearchDocuments() {
    }

    /** Null for a deleted message (it leaves the index). */
    static SearchDocument of(Message m) {
        if (m.isDeleted()) {
            return null;
        }
        Set<String> has = has(m.attachments() == null ? List.of()
                : m.attachments().stream().map(Message.AttachmentRef::contentType).toList(), m.request() != null,
                m.excerpt() != null);
        return new SearchDocument(m.id(), m.roomId(), m.changeSeq(), m.createdAt(), m.text(), m.author().userId(),
                m.author().profession() == null ? null : m.author().profession().code(), m.author().facilityId(), has,
                m.priority() == Priority.URGENT);
    }

    /**
     * From a stored message document as the database holds it, read with only {@link #FIELDS} (the start-up build
     * reads a whole region's messages; mapping each to a {@link Message} cost more than indexing it).
     */
    static SearchDocument of(org.bson.Document m) {
        if (m.get("deleted") != null) {
            return null;
        }
        Set<String> has = new LinkedHashSet<>();
        Object attachments = m.get("attachments");
        if (attachments instanceof java.util.List<?> list) {
            list.forEach(a -> has.add(kind(a instanceof org.bson.Document d ? d.getString("contentType") : null)));
        }
        if (m.get("request") != null) {
            has.add("request");
        }
        if (m.get("excerpt") != null) {
            has.add("excerpt");
        }
        org.bson.Document author = m.get("author", org.bson.Document.class);
        String profession = author == null || author.getString("profession") == null ? null
                : jp.tsunagu.chat.identity.Profession.parse(author.getString("profession"))
                        .map(jp.tsunagu.chat.identity.Profession::code).orElse(author.getString("profession"));
        java.util.Date created = m.getDate("createdAt");
        return new SearchDocument(String.valueOf(m.get("_id")), m.getString("roomId"), ((Number) m.get("changeSeq")).longValue(),
                created == null ? Instant.EPOCH : created.toInstant(), m.getString("text"),
                author == null ? null : author.getString("userId"), profession,
                author == null ? null : author.getString("facilityId"), has, "URGENT".equals(m.getString("priority")));
    }

    /** What {@link #of(org.bson.Document)} reads. */
    static final java.util.List<String> FIELDS = java.util.List.of("roomId", "changeSeq", "createdAt", "text", "author",
            "attachments", "request", "excerpt", "deleted", "priority");

    /**
     * From the view a {@code message.*} event carries, as this node made it; null for a deleted message. The same
     * document as {@link #of(JsonNode)} gives from the event's JSON (a test holds them equal), without parsing it
     * again: the parse and its {@code Instant.parse} were a fifth of the index thread's time (JFR, BENCHMARKS.md).
     */
    static SearchDocument of(MessageView m) {
        if (m.deleted() != null) {
            return null;
        }
        Set<String> has = has(m.attachments() == null ? List.of()
                : m.attachments().stream().map(MessageView.AttachmentView::contentType).toList(), m.request() != null,
                m.excerpt() != null);
        MessageView.AuthorView author = m.author();
        return new SearchDocument(m.id(), m.roomId(), m.changeSeq(), m.createdAt(), m.text() == null ? "" : m.text(),
                author == null ? null : author.userId(),
                author == null || author.profession() == null ? null : author.profession().code(),
                author == null ? null : author.facilityId(), has, "urgent".equals(m.priority()));
    }

    /** From a {@code message.*} event's {@code message} (a MessageView); null for a deleted message. */
    static SearchDocument of(JsonNode m) {
        if (!m.path("deleted").isMissingNode() && !m.path("deleted").isNull()) {
            return null;
        }
        Set<String> has = new LinkedHashSet<>();
        m.path("attachments").forEach(a -> has.add(kind(a.path("contentType").asString(""))));
        if (isSet(m.path("request"))) {
            has.add("request");
        }
        if (isSet(m.path("excerpt"))) {
            has.add("excerpt");
        }
        JsonNode author = m.path("author");
        JsonNode profession = author.path("profession").path("code");
        return new SearchDocument(m.path("id").asString(), m.path("roomId").asString(), m.path("changeSeq").asLong(),
                instant(m.path("createdAt")), m.path("text").asString(""), author.path("userId").asString(null),
                profession.isString() ? profession.asString() : null, text(author.path("facilityId")), has,
                "urgent".equals(m.path("priority").asString("")));
    }

    /** ISO-8601, or seconds as a number (a mapper writing dates as timestamps). */
    private static Instant instant(JsonNode n) {
        if (n.isNumber()) {
            java.math.BigDecimal seconds = n.decimalValue();
            return Instant.ofEpochSecond(seconds.longValue(), seconds.remainder(java.math.BigDecimal.ONE).movePointRight(9).longValue());
        }
        return Instant.parse(n.asString());
    }

    private static boolean isSet(JsonNode n) {
        return !n.isMissingNode() && !n.isNull();
    }

    private static String text(JsonNode n) {
        return n.isString() ? n.asString() : null;
    }

    /** What a message carries: {@code photo} or {@code file} per attachment, {@code request}, {@code excerpt}. */
    private static Set<String> has(List<String> attachmentTypes, boolean request, boolean excerpt) {
        Set<String> has = new LinkedHashSet<>();
        attachmentTypes.forEach(type -> has.add(kind(type)));
        if (request) {
            has.add("request");
        }
        if (excerpt) {
            has.add("excerpt");
        }
        return has;
    }

    /** {@code photo} for an image, {@code file} for anything else attached. */
    static String kind(String contentType) {
        return contentType != null && contentType.startsWith("image/") ? "photo" : "file";
    }
}
