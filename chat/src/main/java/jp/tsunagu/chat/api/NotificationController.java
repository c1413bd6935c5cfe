package jp.tsunagu.chat.api;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jp.tsunagu.chat.handler.NotificationHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ErrorAnswer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Notifications that reach a closed phone: devices, quiet times and levels, all the caller's own. */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "notifications")
public class NotificationController {

    private final NotificationHandler notifications;

    public NotificationController(NotificationHandler notifications) {
        this.notifications = notifications;
    }

    @Operation(summary = "The server's VAPID public key", description = "Pass it to `pushManager.subscribe` as "
            + "`applicationServerKey` (RFC 8292).")
    @GetMapping("/notifications/vapid-key")
    public NotificationHandler.VapidKey vapidKey(CareUser user) {
        return notifications.vapidKey();
    }

    @Operation(summary = "My devices", description = "The browsers that receive my notifications, newest first.")
    @GetMapping("/notifications/devices")
    public Flux<NotificationHandler.Device> devices(CareUser user) {
        return notifications.devices(user);
    }

    @Operation(summary = "Receive notifications on this device", description = "The body is "
            + "`PushSubscription.toJSON()` (`endpoint`, `keys.p256dh`, `keys.auth`) and an optional `userAgent` label. "
            + "Subscribing again refreshes the keys. The endpoint must be a push service this server sends to. A "
            + "device that was someone else's becomes mine.")
    @ErrorAnswer(status = 409, description = "Too many devices already receive my notifications (`too-many-devices`): remove one first.")
    @PostMapping("/notifications/devices")
    @ResponseStatus(HttpStatus.CREATED)
    public Mono<NotificationHandler.Device> subscribe(CareUser user, @RequestBody NotificationHandler.Subscribe request) {
        return Mono.defer(() -> notifications.subscribe(user, request));
    }

    @Operation(summary = "Stop notifications on a device", description = "404 if it is not one of mine.")
    @ErrorAnswer(status = 404, description = "Not one of my devices.")
    @DeleteMapping("/notifications/devices/{deviceId}")
    public Mono<ResponseEntity<Void>> unsubscribe(CareUser user, @PathVariable String deviceId) {
        return Mono.defer(() -> notifications.unsubscribe(user, deviceId)).thenReturn(ResponseEntity.noContent().build());
    }

    @Operation(summary = "My notification settings", description = "Do-not-disturb, weekly quiet hours (Japan time) "
            + "and my level in each of my rooms. Urgent messages that ask me to acknowledge break through both.")
    @GetMapping("/notifications/settings")
    public Mono<NotificationHandler.Settings> settings(CareUser user) {
        return notifications.settings(user);
    }

    @Operation(summary = "Set do-not-disturb and quiet hours", description = "`dndUntil`: ISO-8601 (Japan time "
            + "without an offset), at most 30 days ahead, or null. `quietHours`: `{days: [mon..sun], from: \"22:00\", "
            + "to: \"07:00\"}` or null; a window past midnight belongs to the day it starts.")
    @PutMapping("/notifications/settings")
    public Mono<NotificationHandler.Settings> updateSettings(CareUser user,
                                                             @RequestBody NotificationHandler.SettingsInput request) {
        return Mono.defer(() -> notifications.updateSettings(user, request));
    }

    @Operation(summary = "My notification level in a room")
    @GetMapping("/rooms/{roomId}/notifications")
    public Mono<NotificationHandler.RoomLevel> roomLevel(CareUser user, @PathVariable String roomId) {
        return Mono.defer(() -> notifications.roomLevel(user, roomId));
    }

    @Operation(summary = "Set my notification level in a room", description = "`all`, `mentions` (mentions, requests "
            + "and urgent messages; the default of patient and team rooms), `none` (only urgent messages that ask me "
            + "to acknowledge), or `default`.")
    @PutMapping("/rooms/{roomId}/notifications")
    public Mono<NotificationHandler.RoomLevel> setRoomLevel(CareUser user, @PathVariable String roomId,
                                                            @RequestBody NotificationHandler.LevelInput request) {
        return Mono.defer(() -> notifications.setRoomLevel(user, roomId, request));
    }
}
