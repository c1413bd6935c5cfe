package jp.tsunagu.chat.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.handler.SearchHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.ErrorAnswer;
import reactor.core.publisher.Mono;

/** Finding messages in my rooms. */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "search")
public class SearchController {

    private final SearchHandler search;

    public SearchController(SearchHandler search) {
        this.search = search;
    }

    @Operation(summary = "Search my rooms' messages", description = "Messages of the rooms I am an active member of, "
            + "newest first, each with its room, a snippet around the words (with `highlights`: offsets into the snippet) "
            + "and a link. Every word of `q` must be found; Japanese is found by any part of a word (訪問 finds "
            + "訪問看護), in any width or kana (ワーファリン finds ﾜｰﾌｧﾘﾝ and わーふぁりん); letters and digits by the "
            + "beginning of a word, in any case. Deleted messages are never found; edited ones by their current text.",
            parameters = {
                    @Parameter(in = ParameterIn.QUERY, name = "q", schema = @Schema(type = "string", maxLength = SearchHandler.MAX_QUERY), required = true, description = "the words, at most 200 characters"),
                    @Parameter(in = ParameterIn.QUERY, name = "room", schema = @Schema(type = "string"), description = "one of my rooms"),
                    @Parameter(in = ParameterIn.QUERY, name = "author", schema = @Schema(type = "string"), description = "who wrote it (user id)"),
                    @Parameter(in = ParameterIn.QUERY, name = "profession", schema = @Schema(type = "string"), description = "the author's profession code"),
                    @Parameter(in = ParameterIn.QUERY, name = "facility", schema = @Schema(type = "string"), description = "the author's facility id"),
                    @Parameter(in = ParameterIn.QUERY, name = "from", schema = @Schema(type = "string"), description = "from this date (Japan time) or ISO-8601 time"),
                    @Parameter(in = ParameterIn.QUERY, name = "to", schema = @Schema(type = "string"), description = "up to the end of this date, or before this time"),
                    @Parameter(in = ParameterIn.QUERY, name = "has", schema = @Schema(type = "string"), description = "photo, file, request or excerpt (comma-separated: all of them)"),
                    @Parameter(in = ParameterIn.QUERY, name = "urgent", schema = @Schema(type = "boolean"), description = "true or false"),
                    @Parameter(in = ParameterIn.QUERY, name = "cursor", schema = @Schema(type = "string"), description = "nextCursor of the page before"),
                    @Parameter(in = ParameterIn.QUERY, name = "limit", schema = @Schema(type = "integer", minimum = "1", maximum = "50", defaultValue = "20"), description = "1-50, 20 by default")})
    @ErrorAnswer(status = 404, description = "The `room` filter is not one of my rooms.")
    @ErrorAnswer(status = 503, description = ErrorDocs.SEARCH_UNAVAILABLE)
    @GetMapping("/search")
    public Mono<SearchHandler.Results> search(CareUser user, @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> params) {
        return Mono.defer(() -> {
            Map<String, String> single = new LinkedHashMap<>();
            params.forEach((name, values) -> {
                List<String> given = values == null ? List.of() : values;
                if (given.size() > 1) {
                    throw ApiException.invalid(name, "is given more than once");
                }
                single.put(name, given.isEmpty() ? "" : given.get(0));
            });
            return search.search(user, single);
        });
    }
}
