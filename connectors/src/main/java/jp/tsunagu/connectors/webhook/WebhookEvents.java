package jp.tsunagu.connectors.webhook;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import jp.tsunagu.connectors.sns.ExternalAttachment;
import jp.tsunagu.connectors.sns.ExternalMember;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import jp.tsunagu.connectors.sns.ExternalRoom;
import jp.tsunagu.connectors.sns.ExternalStamp;
import jp.tsunagu.connectors.sns.OutboundMessage;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads and writes the JSON of the webhook connector's envelope (documented in {@code package-info.java}).
 *
 * <p>Reading is strict about shapes (a string is a string, a count is a whole number) because a payload that is
 * half understood is worse than one quarantined for a person to look at; unknown fields are ignored so that the
 * SNS can add some.
 */
final class WebhookEvents {

    private static final HtmlSanitizer SANITIZER = new HtmlSanitizer();

    static final String MESSAGE_CREATED = "message.created";
    static final String MESSAGE_UPDATED = "message.updated";
    static final String MESSAGE_DELETED = "message.deleted";
    static final String REACTION_ADDED = "reaction.added";
    static final String REACTION_REMOVED = "reaction.removed";
    static final List<String> EVENT_TYPES =
            List.of(MESSAGE_CREATED, MESSAGE_UPDATED, MESSAGE_DELETED, REACTION_ADDED, REACTION_REMOVED);

    static final String CREATE = "message.create";
    static final String UPDATE = "message.update";
    static final String DELETE = "message.delete";
    static final String REACT_ADD = "reaction.add";
    static final String REACT_REMOVE = "reaction.remove";

    // Duplicate keys would let two readers of one signed body see different rooms or messages; trailing bytes
    // after the object are not JSON we documented.
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private WebhookEvents() {
    }

    /** A parsed inbound event. {@code room} is null when the envelope did not describe the room. */
    record Event(String type, String roomId, ExternalRoom room, ExternalMessage message) {
    }

    /** Why a payload could not be read, and its room if that much could be read. */
    static final class Unreadable extends Exception {
        final String roomId;

        Unreadable(String roomId, String reason) {
            super(reason, null, false, false);
            this.roomId = roomId;
        }
    }

    /** Reads one inbound event envelope. */
    static Event parseEvent(byte[] body) throws Unreadable {
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JacksonException e) {
            // Jackson's own message quotes the offending text, which may be a patient's data: reasons are logged.
            var where = e.getLocation();
            throw new Unreadable(null, "not valid JSON (or a field given twice)"
                    + (where == null ? "" : " at line " + where.getLineNr() + ", column " + where.getColumnNr()));
        }
        if (root == null || !root.isObject()) {
            throw new Unreadable(null, "the payload is not a JSON object");
        }
        String roomId = requiredText(root, "room_id");
        try {
            String type = requiredText(root, "type");
            if (!EVENT_TYPES.contains(type)) {
                throw new Unreadable(null, "unknown event type \"" + type + "\"; expected one of " + EVENT_TYPES);
            }
            ExternalRoom room = root.has("room") && !root.get("room").isNull()
                    ? at("room.", () -> parseRoom(object(root, "room"), roomId)) : null;
            JsonNode m = object(root, "message");
            ExternalMessage message = at("message.", () -> parseMessage(m, roomId, MESSAGE_DELETED.equals(type)));
            return new Event(type, roomId, room, message);
        } catch (Unreadable e) {
            // Every reason below the envelope is about this room: say so, so it is quarantined there.
            throw new Unreadable(roomId, e.getMessage());
        }
    }

    /**
     * Reads a message object. {@code roomId} is the room it must belong to, or null to take it from the object's
     * {@code room_id} (then required).
     *
     * @param deletion a {@code message.deleted} event: only {@code id} and {@code created_at} are required
     */
    static ExternalMessage parseMessage(JsonNode m, String roomId, boolean deletion) throws Unreadable {
        String ownRoom = optionalText(m, "room_id");
        if (roomId == null) {
            if (ownRoom == null) {
                throw new Unreadable(null, "room_id is missing");
            }
            roomId = ownRoom;
        } else if (ownRoom != null && !ownRoom.equals(roomId)) {
            throw new Unreadable(null, "room_id differs from the envelope's room_id");
        }
        String id = requiredText(m, "id");
        Instant createdAt = instant(m, "created_at", true);
        Instant updatedAt = instant(m, "updated_at", false);
        // A deletion may carry only the id and the times; everything else describes a live message.
        JsonNode authorNode = deletion && (!m.has("author") || m.get("author").isNull()) ? null : object(m, "author");
        ExternalMember author = authorNode == null ? null : at("author.", () -> parseMember(authorNode));
        String html = deletion ? optionalText(m, "html") : requiredString(m, "html");
        boolean deleted = deletion || bool(m, "deleted", false);
        // What comes from outside may hold anything: reduced to the server's safe subset (docs/CONNECTORS.md).
        return new ExternalMessage(id, roomId, optionalText(m, "parent_id"), author, html == null ? "" : SANITIZER.clean(html),
                createdAt, updatedAt == null ? createdAt : updatedAt, deleted,
                attachments(m), reactions(m), mentions(m));
    }

    private static ExternalRoom parseRoom(JsonNode r, String roomId) throws Unreadable {
        String type = optionalText(r, "type");
        ExternalRoom.Type roomType;
        try {
            roomType = type == null ? ExternalRoom.Type.GROUP : ExternalRoom.Type.valueOf(type.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Unreadable(null, "type must be patient, group or direct");
        }
        String name = optionalText(r, "name");
        return new ExternalRoom(roomId, roomType, name == null ? roomId : name, optionalText(r, "resident_id"));
    }

    private static ExternalMember parseMember(JsonNode a) throws Unreadable {
        String id = requiredText(a, "id");
        String name = optionalText(a, "display_name");
        List<String> professions = strings(a, "professions");
        ExternalMember.Station station = null;
        if (a.has("station") && !a.get("station").isNull()) {
            JsonNode s = object(a, "station");
            station = at("station.", () -> new ExternalMember.Station(requiredText(s, "id"), optionalText(s, "name")));
        }
        return new ExternalMember(id, name == null ? id : name, professions, station);
    }

    private static List<ExternalAttachment> attachments(JsonNode m) throws Unreadable {
        List<ExternalAttachment> result = new ArrayList<>();
        List<JsonNode> items = array(m, "attachments");
        for (int i = 0; i < items.size(); i++) {
            JsonNode a = items.get(i);
            result.add(at("attachments[" + i + "].", () -> {
                if (!a.isObject()) {
                    throw new Unreadable(null, "must be an object");
                }
                JsonNode size = a.get("size");
                boolean noSize = size == null || size.isNull();
                if (!noSize && !(size.isIntegralNumber() && size.canConvertToLong() && size.longValue() >= 0)) {
                    throw new Unreadable(null, "size must be a whole number of bytes");
                }
                // -1: the SNS did not say; the canonical record has no "unknown" otherwise.
                return new ExternalAttachment(requiredText(a, "id"), optionalText(a, "name"),
                        optionalText(a, "content_type"), noSize ? -1 : size.longValue(), optionalText(a, "url"));
            }));
        }
        return result;
    }

    private static List<ExternalMessage.Reaction> reactions(JsonNode m) throws Unreadable {
        List<ExternalMessage.Reaction> result = new ArrayList<>();
        List<JsonNode> items = array(m, "reactions");
        for (int i = 0; i < items.size(); i++) {
            JsonNode r = items.get(i);
            ExternalMessage.Reaction reaction = at("reactions[" + i + "].", () -> {
                if (!r.isObject()) {
                    throw new Unreadable(null, "must be an object");
                }
                String stamp = requiredText(r, "stamp");
                JsonNode count = r.get("count");
                if (count == null || !count.isIntegralNumber() || !count.canConvertToInt() || count.intValue() < 0) {
                    throw new Unreadable(null, "count must be a whole number >= 0");
                }
                boolean self = bool(r, "self", false);
                ExternalStamp known = stamp(stamp);
                return known == null ? null : new ExternalMessage.Reaction(known, count.intValue(), self);
            });
            // Reactions beyond the five acknowledgements (e.g. emoji) have no counterpart in the care room: skipped,
            // so that one of them does not quarantine a care note.
            if (reaction != null) {
                result.add(reaction);
            }
        }
        return result;
    }

    private static ExternalMessage.Mentions mentions(JsonNode m) throws Unreadable {
        if (!m.has("mentions") || m.get("mentions").isNull()) {
            return ExternalMessage.Mentions.NONE;
        }
        JsonNode n = object(m, "mentions");
        return at("mentions.", () -> new ExternalMessage.Mentions(
                strings(n, "user_ids"), strings(n, "station_ids"), bool(n, "all", false)));
    }

    /** A part of the payload read under a path prefix, so a reason names the full field (message.author.id). */
    private interface Part<T> {
        T read() throws Unreadable;
    }

    private static <T> T at(String prefix, Part<T> part) throws Unreadable {
        try {
            return part.read();
        } catch (Unreadable e) {
            throw new Unreadable(e.roomId, prefix + e.getMessage());
        }
    }

    /** The stamp's wire name: the lower-case enum name (viewed, accepted, thanked, good, completed). */
    static String stampName(ExternalStamp stamp) {
        return stamp.name().toLowerCase(Locale.ROOT);
    }

    private static ExternalStamp stamp(String name) {
        for (ExternalStamp s : ExternalStamp.values()) {
            if (stampName(s).equals(name)) {
                return s;
            }
        }
        return null;
    }

    // ---- outbound deliveries ----

    static ObjectNode delivery(String type, Instant at) {
        ObjectNode d = MAPPER.createObjectNode();
        d.put("type", type);
        d.put("timestamp", at.toString());
        return d;
    }

    static ObjectNode outboundMessage(OutboundMessage message) {
        ObjectNode m = MAPPER.createObjectNode();
        m.put("text", message.text());
        m.put("html", message.html() != null ? message.html() : textToHtml(message.text()));
        if (message.parentId() != null) {
            m.put("parent_id", message.parentId());
        } else {
            m.putNull("parent_id");
        }
        ObjectNode mentions = m.putObject("mentions");
        ArrayNode users = mentions.putArray("user_ids");
        message.mentions().userIds().forEach(users::add);
        ArrayNode stations = mentions.putArray("station_ids");
        message.mentions().stationIds().forEach(stations::add);
        mentions.put("all", message.mentions().all());
        return m;
    }

    static byte[] bytes(ObjectNode node) {
        return MAPPER.writeValueAsBytes(node);
    }

    /** Renders plain text as an HTML fragment: escaped, with line breaks as {@code <br>}. */
    static String textToHtml(String text) {
        return SANITIZER.textToHtml(text);
    }

    // ---- strict field access ----

    private static JsonNode object(JsonNode parent, String field) throws Unreadable {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            throw new Unreadable(null, field + " is missing");
        }
        if (!n.isObject()) {
            throw new Unreadable(null, field + " must be an object");
        }
        return n;
    }

    private static List<JsonNode> array(JsonNode parent, String field) throws Unreadable {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (!n.isArray()) {
            throw new Unreadable(null, field + " must be an array");
        }
        List<JsonNode> items = new ArrayList<>(n.size());
        n.values().forEach(items::add);
        return items;
    }

    private static List<String> strings(JsonNode parent, String field) throws Unreadable {
        List<String> result = new ArrayList<>();
        for (JsonNode n : array(parent, field)) {
            if (!n.isString()) {
                throw new Unreadable(null, field + "[] must hold strings");
            }
            result.add(n.stringValue());
        }
        return result;
    }

    /** A non-blank string field. */
    private static String requiredText(JsonNode parent, String field) throws Unreadable {
        String value = optionalText(parent, field);
        if (value == null || value.isBlank()) {
            throw new Unreadable(null, field + " is missing");
        }
        return value;
    }

    /** A string field that must be present but may be empty (an empty body is still a body). */
    private static String requiredString(JsonNode parent, String field) throws Unreadable {
        String value = optionalText(parent, field);
        if (value == null) {
            throw new Unreadable(null, field + " is missing");
        }
        return value;
    }

    private static String optionalText(JsonNode parent, String field) throws Unreadable {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isString()) {
            throw new Unreadable(null, field + " must be a string");
        }
        return n.stringValue();
    }

    private static boolean bool(JsonNode parent, String field, boolean absent) throws Unreadable {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return absent;
        }
        if (!n.isBoolean()) {
            throw new Unreadable(null, field + " must be true or false");
        }
        return n.booleanValue();
    }

    /** An ISO-8601 time with an offset ({@code 2026-11-23T10:15:30+09:00} or {@code ...Z}); a local time is ambiguous. */
    private static Instant instant(JsonNode parent, String field, boolean required) throws Unreadable {
        String text = optionalText(parent, field);
        if (text == null) {
            if (required) {
                throw new Unreadable(null, field + " is missing");
            }
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new Unreadable(null, field + " must be an ISO-8601 time with an offset");
        }
    }
}
