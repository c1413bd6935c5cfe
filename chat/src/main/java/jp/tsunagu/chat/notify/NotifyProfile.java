package jp.tsunagu.chat.notify;

import java.time.Instant;
import java.util.Map;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A person's devices and when not to disturb them: one document per person, read by {@code _id} by the sender for
 * each notification (the embedded server answers only {@code _id} lookups from an index).
 *
 * @param devices   device id (from its push endpoint) → the browser's subscription
 * @param dndUntil  do-not-disturb until then; null or past when off
 * @param quietHours the weekly quiet window, or null
 * @param shown     room id → the highest message number a notification of that room was sent for since the person
 *                  last read it there: a read elsewhere has something to close only then
 */
@Document("notify_profiles")
public record NotifyProfile(@Id String id, Map<String, Device> devices, Instant dndUntil, QuietHours quietHours,
                            Map<String, Long> shown) {

    public NotifyProfile {
        devices = devices == null ? Map.of() : Map.copyOf(devices);
        shown = shown == null ? Map.of() : Map.copyOf(shown);
    }

    /**
     * One browser's push subscription ({@code PushSubscription.toJSON()}), and the room it shows now.
     *
     * @param viewing      the room the device's open client shows, as its WebSocket said; null when none
     * @param viewingUntil until when that holds unless said again (a phone that lost its signal stops saying it)
     */
    public record Device(String endpoint, String p256dh, String auth, Instant createdAt, String userAgent,
                         String viewing, Instant viewingUntil) {

        public boolean shows(String roomId, Instant now) {
            return roomId.equals(viewing) && viewingUntil != null && viewingUntil.isAfter(now);
        }
    }

    /** Do-not-disturb or the quiet window holds at {@code now}; named for the outcome it gives. */
    public String quietReason(Instant now) {
        if (dndUntil != null && dndUntil.isAfter(now)) {
            return "do-not-disturb";
        }
        if (quietHours != null && quietHours.covers(now)) {
            return "quiet-hours";
        }
        return null;
    }
}
