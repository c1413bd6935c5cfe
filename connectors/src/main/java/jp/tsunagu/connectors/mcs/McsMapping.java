package jp.tsunagu.connectors.mcs;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import jp.tsunagu.connectors.sns.ConnectorException;
import jp.tsunagu.connectors.sns.ExternalAttachment;
import jp.tsunagu.connectors.sns.ExternalMember;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.ExternalRoom;
import jp.tsunagu.connectors.sns.ExternalStamp;
import jp.tsunagu.connectors.sns.OutboundMessage;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The MCS-style profile's JSON ↔ the canonical model. Everything specific to the profile's shapes lives
 * here, so a real vendor API later means changing this class and {@link McsConnector}'s paths.
 *
 * <p>Reading is strict about what the bridge needs (ids, room, times) and lenient about the rest: a
 * message missing its id or times is {@link ConnectorException.Malformed}; an unknown reaction type is
 * skipped. List responses are accepted as a bare array or as an object holding one array.
 */
final class McsMapping {

    private final JsonMapper json;
    private final HtmlSanitizer sanitizer;

    McsMapping(JsonMapper json, HtmlSanitizer sanitizer) {
        this.json = json;
        this.sanitizer = sanitizer;
    }

    JsonMapper json() {
        return json;
    }

    JsonNode parse(String body) {
        try {
            return json.readTree(body == null ? "" : body);
        } catch (RuntimeException e) {
            throw new ConnectorException.Malformed("the SNS answered something that is not JSON", e);
        }
    }

    /** The items of a list response: a bare array, or the first array field of an object. */
    List<JsonNode> items(JsonNode node, String preferredField) {
        JsonNode array = node;
        if (node.isObject()) {
            array = node.has(preferredField) ? node.get(preferredField) : null;
            if (array == null) {
                for (JsonNode child : node.values()) {
                    if (child.isArray()) {
                        array = child;
                        break;
                    }
                }
            }
        }
        if (array == null || !array.isArray()) {
            throw new ConnectorException.Malformed("expected a list of " + preferredField, null);
        }
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    ExternalRoom room(JsonNode p) {
        String type = p.path("type").asString("group").toLowerCase(Locale.ROOT);
        ExternalRoom.Type t = switch (type) {
            case "patient" -> ExternalRoom.Type.PATIENT;
            case "direct", "one_to_one", "dm" -> ExternalRoom.Type.DIRECT;
            default -> ExternalRoom.Type.GROUP;
        };
        String patient = text(p, "patient_id");
        return new ExternalRoom(required(p, "id"), t, p.path("name").asString(""), patient);
    }

    ExternalMember member(JsonNode u) {
        if (u == null || u.isMissingNode() || u.isNull()) {
            throw new ConnectorException.Malformed("message has no user", null);
        }
        String name = (u.path("last_name").asString("") + " " + u.path("first_name").asString("")).strip();
        List<String> professions = new ArrayList<>();
        u.path("specialist_categories").forEach(c -> {
            String n = c.isString() ? c.asString() : c.path("name").asString("");
            if (!n.isBlank()) {
                professions.add(n);
            }
        });
        JsonNode s = u.path("station");
        ExternalMember.Station station = s.isObject() && s.hasNonNull("id")
                ? new ExternalMember.Station(s.get("id").asString(), s.path("name").asString("")) : null;
        return new ExternalMember(required(u, "id"), name.isEmpty() ? required(u, "id") : name, professions, station);
    }

    ExternalMessage message(JsonNode m) {
        if (!m.isObject()) {
            throw new ConnectorException.Malformed("message is not an object", null);
        }
        Instant created = time(m, "created_at");
        Instant updated = m.hasNonNull("updated_at") ? time(m, "updated_at") : created;
        List<ExternalAttachment> attachments = new ArrayList<>();
        m.path("attachments").forEach(a -> attachments.add(new ExternalAttachment(required(a, "id"),
                a.path("name").asString("file"), a.path("content_type").asString("application/octet-stream"),
                a.path("size").asLong(0), a.path("url").asString(null))));
        List<ExternalMessage.Reaction> reactions = new ArrayList<>();
        m.path("reactions").forEach(r -> stamp(r.path("type").asString("")).ifPresent(s -> reactions.add(
                new ExternalMessage.Reaction(s, r.path("count").asInt(0), r.path("self_reacted").asBoolean(false)))));
        List<String> users = new ArrayList<>();
        List<String> stations = new ArrayList<>();
        boolean all = false;
        for (JsonNode mention : m.path("mentions")) {
            String type = mention.path("type").asString("user");
            String id = mention.path("id").asString(mention.isString() ? mention.asString() : "");
            switch (type) {
                case "station" -> stations.add(id);
                case "project", "all" -> { }
                default -> users.add(id);
            }
            all |= type.equals("project") || type.equals("all");
        }
        return new ExternalMessage(required(m, "id"), required(m, "project_id"), text(m, "parent_id"),
                // What comes from outside may hold anything: reduced to the server's safe subset here.
                member(m.get("user")), sanitizer.clean(m.path("body").asString("")), created, updated,
                m.path("deleted").asBoolean(false), attachments, reactions,
                new ExternalMessage.Mentions(users, stations, all));
    }

    /** The profile's body is an HTML fragment; plain text is escaped, line breaks become {@code <br>}. */
    ObjectNode outbound(OutboundMessage message) {
        ObjectNode body = json.createObjectNode();
        String html = message.html() != null ? message.html() : sanitizer.textToHtml(message.text());
        body.put("body", html);
        ArrayNode attachments = body.putArray("attachment_ids");
        message.attachmentIds().forEach(attachments::add);
        ArrayNode mentions = body.putArray("mentions");
        message.mentions().userIds().forEach(u -> mentions.addObject().put("type", "user").put("id", u));
        message.mentions().stationIds().forEach(s -> mentions.addObject().put("type", "station").put("id", s));
        if (message.mentions().all()) {
            mentions.addObject().put("type", "project");
        }
        return body;
    }

    static String stampType(ExternalStamp stamp) {
        return stamp.name().toLowerCase(Locale.ROOT);
    }

    private static java.util.Optional<ExternalStamp> stamp(String type) {
        try {
            return java.util.Optional.of(ExternalStamp.valueOf(type.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    static Instant time(JsonNode node, String field) {
        String value = text(node, field);
        if (value == null) {
            throw new ConnectorException.Malformed("missing " + field, null);
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw new ConnectorException.Malformed(field + " is not an ISO-8601 time: " + value, e);
        }
    }

    private static String required(JsonNode node, String field) {
        String value = text(node, field);
        if (value == null || value.isBlank()) {
            throw new ConnectorException.Malformed("missing " + field, null);
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asString();
    }
}
