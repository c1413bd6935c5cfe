package jp.tsunagu.chat.api;

import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.handler.RoomHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ErrorAnswer;
import reactor.core.publisher.Mono;

/** Care rooms and their members. */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "rooms")
public class RoomController {

    private final RoomHandler rooms;

    public RoomController(RoomHandler rooms) {
        this.rooms = rooms;
    }

    @Operation(summary = "My rooms", description = "Most recently active first, with unread counts and the last message.")
    @GetMapping("/rooms")
    public Mono<Views.Page<Views.RoomSummary>> list(CareUser user, @RequestParam(required = false) String cursor,
                                                    @RequestParam(required = false) Integer limit) {
        return rooms.list(user, cursor, limit);
    }

    @Operation(summary = "Create a room", description = "Patient rooms need a resident; direct rooms exactly one "
            + "other member and return the existing room (200) when there is one.")
    @ErrorAnswer(status = 409, description = "A room for this resident already exists (`resident-has-room`).")
    @ErrorAnswer(status = 422, description = ErrorDocs.MEMBER_UNPROCESSABLE)
    @PostMapping("/rooms")
    public Mono<ResponseEntity<Views.RoomDetail>> create(CareUser user, @Validated @RequestBody Requests.CreateRoom request) {
        return rooms.create(user, request)
                .map(c -> ResponseEntity.status(c.existed() ? HttpStatus.OK : HttpStatus.CREATED).body(c.room()));
    }

    @Operation(summary = "A room with its members and my read position")
    @GetMapping("/rooms/{roomId}")
    public Mono<Views.RoomDetail> get(CareUser user, @PathVariable String roomId) {
        return rooms.detail(user, roomId);
    }

    @Operation(summary = "The room's members")
    @GetMapping("/rooms/{roomId}/members")
    public Mono<List<MemberView>> members(CareUser user, @PathVariable String roomId) {
        return rooms.members(user, roomId);
    }

    @Operation(summary = "Invite a member")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 422, description = ErrorDocs.MEMBER_UNPROCESSABLE)
    @PostMapping("/rooms/{roomId}/members")
    public Mono<MemberView> invite(CareUser user, @PathVariable String roomId,
                                   @Validated @RequestBody Requests.MemberInput request) {
        return rooms.invite(user, roomId, request);
    }

    @Operation(summary = "Remove a member, or leave")
    @ErrorAnswer(status = 409, description = "The last owner cannot leave before another member is made owner (`last-owner`).")
    @DeleteMapping("/rooms/{roomId}/members/{userId}")
    public Mono<MemberView> remove(CareUser user, @PathVariable String roomId, @PathVariable String userId) {
        return rooms.remove(user, roomId, userId);
    }

    @Operation(summary = "Archive the room", description = "Read-only afterwards; members can still read it.")
    @PostMapping("/rooms/{roomId}/archive")
    public Mono<RoomView> archive(CareUser user, @PathVariable String roomId) {
        return rooms.archive(user, roomId);
    }

    @Operation(summary = "Set the room's on-call contact", description = "Owners only: the professional member an "
            + "urgent message nobody acknowledged reaches at its second escalation. `{\"userId\": null}` clears it.")
    @ErrorAnswer(status = 409, description = ErrorDocs.ARCHIVED)
    @ErrorAnswer(status = 422, description = "The user is not a professional member of this room (`unprocessable`).")
    @PutMapping("/rooms/{roomId}/on-call")
    public Mono<RoomView> setOnCall(CareUser user, @PathVariable String roomId, @RequestBody Requests.OnCall request) {
        return rooms.setOnCall(user, roomId, request.userId());
    }

    @Operation(summary = "Remove departed staff from every room",
            description = "For a facility administrator: removes a member of their facility from all rooms at once.")
    @DeleteMapping("/facilities/{facilityId}/staff/{userId}/memberships")
    public Mono<Views.Departure> removeDeparted(CareUser user, @PathVariable String facilityId, @PathVariable String userId) {
        return rooms.removeDeparted(user, facilityId, userId);
    }
}
