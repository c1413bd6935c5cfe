package jp.tsunagu.chat.handler;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import jp.tsunagu.chat.api.InboxMessageView;
import jp.tsunagu.chat.consent.RecordReader;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.search.MessageIndex;
import jp.tsunagu.chat.search.SearchIndexer;
import jp.tsunagu.chat.search.SearchQuery;
import jp.tsunagu.chat.search.SearchText;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Cursor;
import jp.tsunagu.chat.support.Ids;
import reactor.core.publisher.Mono;

/**
 * Searching the messages of my rooms: the rooms I am an active member of now (and only while I am) are part of the
 * query, the index finds candidates newest first, and each is read from the database and checked as it stands (not
 * deleted, still containing every part of the query) before it is shown, so an index a change behind never shows a
 * deleted message or a word an edit took out. Errors: 400 naming the parameter (an empty or too long query, an
 * unknown parameter or filter value, a bad cursor); 404 for a room filter that is not one of my rooms; 503 while
 * this node's index is built at start-up.
 */
public final class SearchHandler {

    /** A question, not a document: 200 characters hold a long phrase and keep the query's terms few. */
    public static final int MAX_QUERY = 200;
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 50;
    /** Characters of context on each side of the first match in a snippet: about a line on a phone. */
    static final int CONTEXT = 30;
    /** Rounds of fetching more candidates when checks drop some, before a short page is answered. */
    static final int ROUNDS = 4;
    public static final Set<String> PARAMETERS = Set.of("q", "room", "author", "profession", "facility", "from", "to",
            "has", "urgent", "cursor", "limit");
    static final Set<String> HAS = Set.of("photo", "file", "request", "excerpt");

    /** A match within the snippet, as UTF-16 offsets into it. */
    public record Highlight(int start, int end) {
    }

    /** One message found, with its room and where the words are. */
    public record Hit(String roomId, String roomName, InboxMessageView message, String snippet,
                      List<Highlight> highlights, String href) {
    }

    public record Results(List<Hit> items, String nextCursor) {
    }

    private final MessageIndex index;
    private final SearchIndexer indexer;
    private final MembershipStore memberships;
    private final MessageStore messages;
    private final RoomStore rooms;

    public SearchHandler(MessageIndex index, SearchIndexer indexer, MembershipStore memberships, MessageStore messages,
                         RoomStore rooms) {
        this.index = index;
        this.indexer = indexer;
        this.memberships = memberships;
        this.messages = messages;
        this.rooms = rooms;
    }

    /** @param params the request's query parameters, each once */
    public Mono<Results> search(CareUser user, Map<String, String> params) {
        for (String name : params.keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw ApiException.invalid(name, "is not a search parameter (" + String.join(", ", PARAMETERS.stream().sorted().toList()) + ")");
            }
        }
        String text = params.get("q") == null ? "" : params.get("q").strip();
        if (text.isEmpty()) {
            throw ApiException.invalid("q", "must not be empty");
        }
        if (text.codePointCount(0, text.length()) > MAX_QUERY) {
            throw ApiException.invalid("q", "must be at most " + MAX_QUERY + " characters");
        }
        List<String> parts = SearchText.runs(SearchText.normalize(text).text()).stream().map(SearchText.Run::text).toList();
        if (parts.isEmpty()) {
            throw ApiException.invalid("q", "has no letters, digits or Japanese to search for");
        }
        String room = params.get("room") == null ? null : Ids.require("room", params.get("room"));
        String author = params.get("author") == null ? null : Ids.requireUserId("author", params.get("author"));
        String profession = params.get("profession") == null ? null : Profession.parse(params.get("profession"))
                .map(Profession::code).orElseThrow(() -> ApiException.invalid("profession", "is not a profession code"));
        String facility = params.get("facility");
        if (facility != null && (facility.isBlank() || facility.length() > 128)) {
            throw ApiException.invalid("facility", "must be a facility id");
        }
        Instant from = params.get("from") == null ? null : time("from", params.get("from"), false);
        Instant to = params.get("to") == null ? null : time("to", params.get("to"), true);
        if (from != null && to != null && !from.isBefore(to)) {
            throw ApiException.invalid("to", "must be after from");
        }
        Set<String> has = params.get("has") == null ? null : has(params.get("has"));
        Boolean urgent = params.get("urgent") == null ? null : bool("urgent", params.get("urgent"));
        Cursor cursor = Cursor.decode(params.get("cursor"));
        int limit = params.get("limit") == null ? DEFAULT_LIMIT : integer("limit", params.get("limit"));
        if (limit < 1 || limit > MAX_LIMIT) {
            throw ApiException.invalid("limit", "must be between 1 and " + MAX_LIMIT);
        }
        if (!indexer.isReady()) {
            throw ApiException.unavailable("search-index-building",
                    "this server is building its search index; try again shortly", Duration.ofSeconds(5));
        }
        return memberships.activeOf(user.id(), RoomHandler.MAX_ROOMS_PER_USER).map(Membership::roomId).collectList()
                .flatMap(mine -> {
                    if (room != null && !mine.contains(room)) {
                        return Mono.error(ApiException.notFound("room"));
                    }
                    Set<String> allowed = room != null ? Set.of(room) : new LinkedHashSet<>(mine);
                    SearchQuery q = new SearchQuery(text, allowed, author, profession, facility, from, to, has, urgent,
                            cursor == null ? null : new SearchQuery.Position(cursor.at(), cursor.id()));
                    return collect(q, parts, allowed, limit, new ArrayList<>(), 0);
                });
    }

    /** Fills a page with candidates that pass their checks, reading more while checks drop some. */
    private Mono<Results> collect(SearchQuery q, List<String> parts, Set<String> allowed, int limit, List<Hit> page,
                                  int round) {
        MessageIndex.Hits found = index.search(q, limit - page.size());
        if (found.hits().isEmpty()) {
            return Mono.just(new Results(page, null));
        }
        List<String> ids = found.hits().stream().map(MessageIndex.Hit::messageId).toList();
        return messages.briefs(ids).collectMap(Message::id, Function.identity())
                .flatMap(byId -> rooms.names(allowed.stream().filter(r -> byId.values().stream()
                        .anyMatch(m -> m.roomId().equals(r))).toList()).map(names -> {
                    for (String id : ids) {
                        Message m = byId.get(id);
                        if (m != null && !m.isDeleted() && allowed.contains(m.roomId())) {
                            Hit hit = hit(m, names.getOrDefault(m.roomId(), ""), parts);
                            if (hit != null) {
                                page.add(hit);
                            }
                        }
                    }
                    return names;
                }))
                .flatMap(names -> {
                    SearchQuery.Position last = found.hits().get(found.hits().size() - 1).position();
                    String next = found.more() ? new Cursor(last.createdAt(), last.messageId()).encode() : null;
                    if (page.size() >= limit || !found.more() || round + 1 >= ROUNDS) {
                        return Mono.just(new Results(page, next));
                    }
                    SearchQuery more = new SearchQuery(q.text(), q.roomIds(), q.authorId(), q.profession(), q.facilityId(),
                            q.from(), q.to(), q.has(), q.urgent(), last);
                    return collect(more, parts, allowed, limit, page, round + 1);
                });
    }

    /**
     * The hit, or null when the message no longer contains every part (the index is a change behind): the
     * snippet is the original text around the first match, each match marked.
     */
    static Hit hit(Message m, String roomName, List<String> parts) {
        String original = m.text() == null ? "" : m.text();
        SearchText.Normalized n = SearchText.normalize(original);
        List<int[]> matches = new ArrayList<>();
        for (String part : parts) {
            int at = n.text().indexOf(part);
            if (at < 0) {
                return null;
            }
            while (at >= 0) {
                matches.add(new int[]{n.originalStart(at), n.originalEnd(at + part.length() - 1)});
                at = n.text().indexOf(part, at + part.length());
            }
        }
        matches.sort((a, b) -> Integer.compare(a[0], b[0]));
        int first = matches.get(0)[0];
        int start = Math.max(0, first - CONTEXT);
        int end = Math.min(original.length(), matches.get(0)[1] + CONTEXT * 2);
        // Whole code points at the edges.
        if (start > 0 && Character.isLowSurrogate(original.charAt(start))) {
            start--;
        }
        if (end < original.length() && Character.isLowSurrogate(original.charAt(end))) {
            end++;
        }
        String prefix = start > 0 ? "…" : "";
        String snippet = prefix + original.substring(start, end) + (end < original.length() ? "…" : "");
        List<Highlight> highlights = new ArrayList<>();
        int lastEnd = -1;
        for (int[] match : matches) {
            if (match[0] >= start && match[1] <= end && match[0] >= lastEnd) {
                highlights.add(new Highlight(match[0] - start + prefix.length(), match[1] - start + prefix.length()));
                lastEnd = match[1];
            }
        }
        return new Hit(m.roomId(), roomName, InboxMessageView.of(m), snippet, highlights, MessageLinks.href(m));
    }

    /** ISO-8601 date-time, or a date (Japan time): {@code from} its start, {@code to} its end (the next day's start). */
    private static Instant time(String field, String value, boolean end) {
        if (value.strip().length() == 10) {
            try {
                LocalDate day = LocalDate.parse(value.strip());
                return (end ? day.plusDays(1) : day).atStartOfDay(RecordReader.JAPAN).toInstant();
            } catch (RuntimeException e) {
                throw ApiException.invalid(field, "must be a date (2026-11-20) or an ISO-8601 date-time");
            }
        }
        return RequestAssignees.japanTime(field, value);
    }

    private static Set<String> has(String value) {
        Set<String> out = new LinkedHashSet<>();
        for (String v : value.split(",")) {
            String h = v.strip().toLowerCase(Locale.ROOT);
            if (!HAS.contains(h)) {
                throw ApiException.invalid("has", "must be photo, file, request or excerpt (comma-separated)");
            }
            out.add(h);
        }
        return out;
    }

    private static Boolean bool(String field, String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiException.invalid(field, "must be true or false");
        };
    }

    private static Integer integer(String field, String value) {
        try {
            return Integer.valueOf(value.strip());
        } catch (NumberFormatException e) {
            throw ApiException.invalid(field, "must be a whole number");
        }
    }
}
