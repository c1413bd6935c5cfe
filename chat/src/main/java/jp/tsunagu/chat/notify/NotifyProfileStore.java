package jp.tsunagu.chat.notify;

import java.time.Instant;
import java.util.Collection;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** People's devices and quiet times ({@link NotifyProfile}). */
public interface NotifyProfileStore {

    Mono<NotifyProfile> find(String userId);

    Flux<NotifyProfile> findAll(Collection<String> userIds);

    /**
     * Files the device under {@code userId}, taking it from whoever had it before (a shared tablet signed in as
     * someone else): a device gets one person's notifications, never two people's.
     */
    Mono<Void> addDevice(String userId, String deviceId, NotifyProfile.Device device);

    /** Forgets the device if it is the person's; emits whether it was. */
    Mono<Boolean> removeDevice(String userId, String deviceId);

    /** Forgets a device the push service said is gone, unless it was subscribed again meanwhile (another endpoint). */
    Mono<Void> removeExpired(String userId, String deviceId, String endpoint);

    /** The room the device shows until {@code until} (null room: none); nothing when the device is not the person's. */
    Mono<Boolean> setViewing(String userId, String deviceId, String roomId, Instant until);

    Mono<NotifyProfile> setQuiet(String userId, Instant dndUntil, QuietHours quietHours);

    /** A notification of the room up to {@code seq} went out. */
    Mono<Void> markShown(String userId, String roomId, long seq);

    /** {@link #markShown} for several, in one bulk write. */
    Mono<Void> markShown(Collection<Shown> shown);

    /** A person's notification of a room up to a message number. */
    record Shown(String userId, String roomId, long seq) {
    }

    /** The room was read up to {@code seq} and its notifications closed; a later one shown meanwhile stays. */
    Mono<Void> clearShown(String userId, String roomId, long seq);
}
