package jp.tsunagu.chat.api;

import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.handler.MessageHandler;
import jp.tsunagu.chat.handler.TimelineHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ErrorAnswer;
import reactor.core.publisher.Mono;

/** Messages, stamps, read receipts and mentions. */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "messages")
public class MessageController {

    /** Marks a response that returns a message stored by an earlier request with the same key. */
    public static final String REPLAYED_HEADER = "Idempotency-Replayed";

    private final MessageHandler messages;
    private final TimelineHandler timeline;

    public MessageController(MessageHandler messages, TimelineHandler timeline) {
        this.messages = messages;
        this.timeline = timeline;
    }

    @Operation(summary = "Messages of a room", description = "Newest first. Pass `nextCursor` as `before` for older ones.")
    @GetMapping("/rooms/{roomId}/messages")
    public Mono<Views.Page<MessageView>> page(CareUser user, @PathVariable String roomId,
                                              @RequestParam(required = false) Long before,
                                              @RequestParam(required = false) Integer limit) {
        return timeline.page(user, roomId, before, limit);
    }

    @Operation(summary = "Post a message", description = "With an `Idempotency-Key` header a retry returns the "
            + "stored message (200, `Idempotency-Replayed: true`) and never creates a second one.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 422, description = ErrorDocs.POST_UNPROCESSABLE)
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @PostMapping("/rooms/{roomId}/messages")
    public Mono<ResponseEntity<MessageView>> post(CareUser user, @PathVariable String roomId,
                                                  @RequestHeader(name = "Idempotency-Key", required = false) String key,
                                                  @Validated @RequestBody Requests.PostMessage request) {
        return messages.post(user, roomId, request, key).map(p -> p.replayed()
                ? ResponseEntity.ok().header(REPLAYED_HEADER, "true").body(p.message())
                : ResponseEntity.status(HttpStatus.CREATED).body(p.message()));
    }

    @Operation(summary = "A message")
    @GetMapping("/rooms/{roomId}/messages/{messageId}")
    public Mono<MessageView> get(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return timeline.get(user, roomId, messageId);
    }

    @Operation(summary = "Edit one's message", description = "The previous version stays in the edit history.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @PatchMapping("/rooms/{roomId}/messages/{messageId}")
    public Mono<MessageView> edit(CareUser user, @PathVariable String roomId, @PathVariable String messageId,
                                  @Validated @RequestBody Requests.EditMessage request) {
        return messages.edit(user, roomId, messageId, request);
    }

    @Operation(summary = "Delete a message", description = "Author or room owner; content removed, who and when kept.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @DeleteMapping("/rooms/{roomId}/messages/{messageId}")
    public Mono<MessageView> delete(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return messages.delete(user, roomId, messageId);
    }

    @Operation(summary = "A message's edit history")
    @GetMapping("/rooms/{roomId}/messages/{messageId}/edits")
    public Mono<Views.EditHistory> edits(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return timeline.edits(user, roomId, messageId);
    }

    @Operation(summary = "The thread of a message", description = "Root first, then replies in order.")
    @GetMapping("/rooms/{roomId}/messages/{messageId}/thread")
    public Mono<List<MessageView>> thread(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return timeline.thread(user, roomId, messageId);
    }

    @Operation(summary = "Who has read a message", description = "Grouped by profession; members who have not read it yet listed apart.")
    @GetMapping("/rooms/{roomId}/messages/{messageId}/readers")
    public Mono<Views.Readers> readers(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return timeline.readers(user, roomId, messageId);
    }

    @Operation(summary = "Give a stamp", description = "viewed (見ました), accepted (承知), thanked (感謝), good (いいね), completed (完了). Idempotent.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @PutMapping("/rooms/{roomId}/messages/{messageId}/stamps/{stamp}")
    public Mono<MessageView> stamp(CareUser user, @PathVariable String roomId, @PathVariable String messageId,
                                   @PathVariable String stamp) {
        return messages.stamp(user, roomId, messageId, stamp, true);
    }

    @Operation(summary = "Take back a stamp")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @DeleteMapping("/rooms/{roomId}/messages/{messageId}/stamps/{stamp}")
    public Mono<MessageView> unstamp(CareUser user, @PathVariable String roomId, @PathVariable String messageId,
                                     @PathVariable String stamp) {
        return messages.stamp(user, roomId, messageId, stamp, false);
    }

    @Operation(summary = "Acknowledge an urgent message", description = "For the people it asks; the same as their "
            + "見ました/承知/完了 stamp without a stamp. Idempotent.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @PostMapping("/rooms/{roomId}/messages/{messageId}/acknowledge")
    public Mono<MessageView> acknowledge(CareUser user, @PathVariable String roomId, @PathVariable String messageId) {
        return messages.acknowledge(user, roomId, messageId);
    }

    @Operation(summary = "Mark read up to a sequence number", description = "Never moves back.")
    @ErrorAnswer(status = 429, description = ErrorDocs.ROOM_BUSY)
    @PostMapping("/rooms/{roomId}/read")
    public Mono<ReadView> read(CareUser user, @PathVariable String roomId, @Validated @RequestBody Requests.MarkRead request) {
        return messages.markRead(user, roomId, request.upToSeq());
    }

    @Operation(summary = "Messages that mentioned me", description = "Across my rooms, newest first.")
    @GetMapping("/mentions")
    public Mono<Views.Page<MessageView>> mentions(CareUser user, @RequestParam(required = false) String cursor,
                                                  @RequestParam(required = false) Integer limit) {
        return timeline.mentions(user, cursor, limit);
    }
}
