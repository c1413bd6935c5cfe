package jp.tsunagu.chat.api;

import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.handler.PinHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ErrorAnswer;
import reactor.core.publisher.Mono;

/** Pins (the room's, a room change) and bookmarks (mine, private). */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "pins")
public class PinController {

    private final PinHandler pins;

    public PinController(PinHandler pins) {
        this.pins = pins;
    }

    @Operation(summary = "Pin a message to the room", description = "Owners and members; everyone sees the room's pins. Idempotent.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @PutMapping("/rooms/{roomId}/messages/{messageId}/pin")
    public Mono<MessageView> pin(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return pins.pin(user, roomId, messageId, true);
    }

    @Operation(summary = "Unpin a message")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @DeleteMapping("/rooms/{roomId}/messages/{messageId}/pin")
    public Mono<MessageView> unpin(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return pins.pin(user, roomId, messageId, false);
    }

    @Operation(summary = "The room's pinned messages", description = "Most recently pinned first.")
    @GetMapping("/rooms/{roomId}/pins")
    public Mono<List<MessageView>> pins(CareUser user, @PathVariable String roomId) {
        return pins.pins(user, roomId);
    }

    @Operation(summary = "Bookmark a message", description = "Private to me. Idempotent; 204.")
    @PutMapping("/rooms/{roomId}/messages/{messageId}/bookmark")
    public Mono<ResponseEntity<Void>> bookmark(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return pins.bookmark(user, roomId, messageId, true).thenReturn(ResponseEntity.noContent().build());
    }

    @Operation(summary = "Remove my bookmark")
    @DeleteMapping("/rooms/{roomId}/messages/{messageId}/bookmark")
    public Mono<ResponseEntity<Void>> unbookmark(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return pins.bookmark(user, roomId, messageId, false).thenReturn(ResponseEntity.noContent().build());
    }

    @Operation(summary = "My bookmarks", description = "Across the rooms I am still a member of, newest first.")
    @GetMapping("/bookmarks")
    public Mono<List<MessageView>> bookmarks(CareUser user) {
        return pins.bookmarks(user);
    }
}
