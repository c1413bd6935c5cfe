package jp.tsunagu.chat.notify;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.IntStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.message.ReadStore;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.NotifyLevel;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.MongoLeases;
import jp.tsunagu.chat.support.PeriodicRounds;
import jp.tsunagu.connectors.push.PushResult;
import jp.tsunagu.connectors.push.PushTarget;
import jp.tsunagu.connectors.push.WebPushSender;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sends the queued notifications of the shards this node holds, to every device of each person.
 *
 * <p>Exactly one node sends a person's notifications: the one holding the lease of their shard
 * ({@code notify-shard-<n>}), renewed before every send like a bridge drain renews its link's. Notifications
 * enqueued on this node are handed over the moment their write lands ({@link #landed}); the rounds, every
 * {@code poll}, take what is due: retries, urgent repeats, reminders, what another node enqueued, and what a
 * node that died left behind.
 *
 * <p>Before sending, each notification is checked against the message as it stands: gone or never landed,
 * deleted, the person no longer a member, already read (a mention), acknowledged (an urgent message), the
 * request no longer theirs or no longer open; the person's level in the room; do-not-disturb and quiet hours
 * (which only urgent messages asking them to acknowledge break through); devices that show the room now. Then one
 * push per device with only ids and a fixed label: the push service is a third party (docs/ARCHITECTURE.md).
 *
 * <p>A push the service took is recorded per device after it answered, so a crash between the two sends that push
 * again after the restart; the device shows it once (same tag, docs/WEB.md). Urgent notifications repeat every
 * {@code repeatEvery} until the person acknowledges, at most {@code repeats} times after the first.
 */
public final class NotificationSender implements AutoCloseable {

    public static final String LEASE_PREFIX = "notify-shard-";
    private static final Logger log = LoggerFactory.getLogger(NotificationSender.class);
    /** Due notifications taken per round: a round every second sends far more than a region's posts give. */
    static final int BATCH = 500;
    /** Notifications in flight per node; each is a few reads, a push per device and a write. */
    static final int CONCURRENCY = 64;
    /** As for the inbox: an enqueued notification's write lands within milliseconds; after a minute it never will. */
    static final Duration NEVER_LANDED = Duration.ofMinutes(1);
    /** A notification whose message is not there yet (a round came before the write landed) waits this long. */
    static final Duration NOT_YET = Duration.ofSeconds(5);
    /**
     * Attempts of one round before it is given up: with the backoff doubling from 15 s to its 15-minute cap, about
     * an hour and a half of a push service failing, after which the news is stale and the inbox holds it anyway.
     */
    static final int MAX_ATTEMPTS = 8;
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(15);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(15);
    /** How often finished records past their keeping time are deleted. */
    static final Duration CLEANUP_EVERY = Duration.ofMinutes(10);

    /**
     * @param repeatEvery   between an urgent notification's sends while unacknowledged (the 5 minutes)
     * @param repeats       urgent sends after the first (the 6: half an hour, the two escalation steps)
     * @param keepFinished  how long a sent or dropped record is kept (for the operators, and so a late duplicate
     *                      enqueue finds it and changes nothing)
     * @param messageTtl    how long a push service keeps a notification for a device that is off
     */
    public record Settings(Duration repeatEvery, int repeats, Duration keepFinished, Duration messageTtl) {
    }

    private final NotificationStore queue;
    private final NotifyProfileStore profiles;
    private final Function<String, Mono<Message>> messages;
    private final MembershipStore memberships;
    private final ReadStore reads;
    private final RoomStore rooms;
    private final WebPushSender push;
    private final MongoLeases leases;
    private final int shards;
    private final Settings settings;
    private final NotificationMetrics metrics;
    private final JsonMapper json;
    private final Clock clock;
    private final PeriodicRounds rounds = new PeriodicRounds("notifications");
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** The shards this node held at its last round: a notification that lands here is sent at once only for these. */
    private volatile Set<Integer> held = Set.of();
    private volatile Instant lastCleanup = Instant.EPOCH;

    /**
     * @param messages a message by id as it stands ({@code MessageStore::findById}; a function so that the store,
     *                 which hands this sender what it enqueues, and the sender need not be built before each other)
     */
    public NotificationSender(NotificationStore queue, NotifyProfileStore profiles, Function<String, Mono<Message>> messages,
                              MembershipStore memberships, ReadStore reads, RoomStore rooms, WebPushSender push,
                              MongoLeases leases, int shards, Settings settings, NotificationMetrics metrics,
                              JsonMapper json, Clock clock) {
        this.queue = queue;
        this.profiles = profiles;
        this.messages = messages;
        this.memberships = memberships;
        this.reads = reads;
        this.rooms = rooms;
        this.push = push;
        this.leases = leases;
        this.shards = shards;
        this.settings = settings;
        this.metrics = metrics;
        this.json = json;
        this.clock = clock;
    }

    /** Starts the rounds; a zero period leaves sending to other nodes. */
    public void start(Duration poll) {
        if (!poll.isZero()) {
            rounds.start(Duration.ZERO, poll, this::run);
        }
    }

    /** One round: takes or renews the shard leases, then sends what is due in those shards; emits how many it handled. */
    public Mono<Long> run() {
        return Flux.fromStream(IntStream.range(0, shards).boxed())
                .filterWhen(shard -> leases.hold(LEASE_PREFIX + shard))
                .collectList()
                .flatMap(mine -> {
                    held = Set.copyOf(mine);
                    Instant now = clock.instant();
                    return queue.due(mine, now, BATCH)
                            .filter(n -> !inFlight.contains(n.id()))
                            .flatMap(n -> process(n, null), CONCURRENCY)
                            .count()
                            .flatMap(count -> cleanup(now).thenReturn(count));
                });
    }

    /**
     * The write these notifications are about landed on this node ({@code stored}: the message, or null for a
     * clear): sends those of the shards it holds now, without waiting for a round. Returns at once; never throws.
     */
    public void landed(Collection<Notification> notifications, Message stored) {
        if (notifications.isEmpty()) {
            return;
        }
        String about = stored == null ? notifications.iterator().next().roomId() : stored.id();
        Instant soon = clock.instant().plus(NotificationPlanner.LANDING_GRACE);
        List<Notification> now = notifications.stream()
                .filter(n -> held.contains(n.shard()) && !n.dueAt().isAfter(soon))
                .toList();
        if (!now.isEmpty()) {
            Flux.fromIterable(now).flatMap(n -> process(n, stored), CONCURRENCY)
                    .subscribe(ignored -> { }, e -> log.warn("notifications of {} not sent now: {}", about, e.toString()));
        }
    }

    /** Several nodes: another node wrote the message; send its notifications of this node's shards now. */
    public void landedElsewhere(String messageId) {
        if (held.isEmpty()) {
            return;
        }
        queue.ofMessage(messageId).filter(n -> held.contains(n.shard()) && !n.dueAt().isAfter(
                        clock.instant().plus(NotificationPlanner.LANDING_GRACE)))
                .flatMap(n -> process(n, null), CONCURRENCY)
                .subscribe(ignored -> { }, e -> log.debug("notifications of message {} left to the rounds", messageId, e));
    }

    /** One notification, once at a time on this node; emits when done (sent, put off or dropped). */
    Mono<Boolean> process(Notification n, Message known) {
        if (!inFlight.add(n.id())) {
            return Mono.just(false);
        }
        return Mono.defer(() -> n.reason() == Notification.Reason.CLEAR ? clear(n) : notify(n, known))
                .onErrorResume(e -> {
                    log.warn("notification {} not handled this time: {}", n.id(), e.toString());
                    return Mono.just(false);
                })
                .doFinally(signal -> inFlight.remove(n.id()));
    }

    private Mono<Boolean> notify(Notification n, Message known) {
        Instant now = clock.instant();
        Mono<Optional<Message>> message = (known != null && known.id().equals(n.messageId()) ? Mono.just(known)
                : messages.apply(n.messageId())).map(Optional::of).defaultIfEmpty(Optional.empty());
        Mono<Boolean> member = memberships.findActive(n.roomId(), n.userId()).hasElement();
        Mono<Long> readUpTo = n.reason() == Notification.Reason.MENTION || n.reason() == Notification.Reason.MESSAGE
                ? reads.find(n.roomId(), n.userId()).map(ReadReceipt::upToSeq).defaultIfEmpty(0L) : Mono.just(0L);
        Mono<NotifyLevel> level = n.level() != null ? Mono.just(n.level())
                : rooms.audience(n.roomId()).map(a -> a.level(n.userId())).defaultIfEmpty(NotifyLevel.NONE);
        Mono<Optional<NotifyProfile>> profile = profiles.find(n.userId()).map(Optional::of).defaultIfEmpty(Optional.empty());
        return Mono.zip(message, member, readUpTo, level, profile).flatMap(t -> {
            Optional<Message> m = t.getT1();
            if (m.isEmpty()) {
                return Duration.between(n.createdAt(), now).compareTo(NEVER_LANDED) < 0
                        ? queue.retry(n, n.attempts(), n.delivered(), now.plus(NOT_YET)).thenReturn(false)
                        : drop(n, "never-posted", now);
            }
            String unwanted = unwanted(n, m.get(), t.getT2(), t.getT3(), t.getT4(), now);
            if (unwanted != null) {
                return n.round() > 0 ? finish(n, Notification.State.SENT, unwanted, n.delivered(), now) : drop(n, unwanted, now);
            }
            NotifyProfile p = t.getT5().orElse(null);
            if (p == null || p.devices().isEmpty()) {
                return drop(n, "no-device", now);
            }
            String quiet = n.reason() == Notification.Reason.URGENT ? null : p.quietReason(now);
            if (quiet != null) {
                return drop(n, quiet, now);
            }
            return send(n, p, now);
        });
    }

    /** Why the notification is no longer wanted, or null: the message's state, membership, reading and level. */
    private String unwanted(Notification n, Message m, boolean member, long readUpTo, NotifyLevel level, Instant now) {
        if (m.isDeleted()) {
            return "deleted";
        }
        if (!member) {
            return "not-member";
        }
        switch (n.reason()) {
            case URGENT -> {
                if (m.acknowledgement() == null || !m.acknowledgement().isRequired(n.userId())) {
                    return "not-asked";
                }
                if (m.acknowledgement().isAcknowledgedBy(n.userId())) {
                    return "acknowledged";
                }
                return null;
            }
            case REQUEST, DUE -> {
                if (m.request() == null || !m.request().state().isActive() || !m.request().isAssignee(n.userId())) {
                    return "request-moved";
                }
                if (n.reason() == Notification.Reason.DUE && !m.request().dueAt().isAfter(now)) {
                    return "past-due";
                }
            }
            case MENTION, MESSAGE -> {
                if (readUpTo >= n.seq()) {
                    return "read";
                }
            }
            default -> {
            }
        }
        if (level == NotifyLevel.NONE || (n.reason() == Notification.Reason.MESSAGE && level != NotifyLevel.ALL)) {
            return "level-" + level.code();
        }
        return null;
    }

    private Mono<Boolean> send(Notification n, NotifyProfile p, Instant now) {
        List<Map.Entry<String, NotifyProfile.Device>> targets = p.devices().entrySet().stream()
                .filter(d -> !n.delivered().contains(d.getKey()))
                .filter(d -> !d.getValue().shows(n.roomId(), now))
                .toList();
        if (targets.isEmpty()) {
            // Every device shows the room now: the person sees the message there.
            return roundDone(n, n.delivered(), "viewing", now);
        }
        return pushAll(n, targets, payload(n), ttl(n), urgency(n), topic(n), now)
                .flatMap(delivered -> {
                    if (delivered.size() == n.delivered().size()) {
                        return Mono.just(true);
                    }
                    if (n.round() == 0) {
                        metrics.latency(Duration.between(n.createdAt(), clock.instant()));
                    }
                    return profiles.markShown(n.userId(), n.roomId(), n.seq()).thenReturn(true);
                });
    }

    /**
     * Pushes to each device; then records the round done, or a retry with the devices reached so far. Empty when
     * this node lost the shard's lease (the next holder sends it).
     */
    private Mono<List<String>> pushAll(Notification n, List<Map.Entry<String, NotifyProfile.Device>> targets,
                                       byte[] payload, Duration ttl, WebPushSender.Urgency urgency, String topic,
                                       Instant now) {
        return leases.hold(LEASE_PREFIX + n.shard()).filter(Boolean::booleanValue).flatMap(ours -> Flux
                .fromIterable(targets)
                .flatMap(d -> push.send(new PushTarget(d.getValue().endpoint(), d.getValue().p256dh(), d.getValue().auth()),
                        payload, ttl, urgency, topic).map(r -> Map.entry(d, r)))
                .collectList()
                .flatMap(results -> {
                    List<String> delivered = new ArrayList<>(n.delivered());
                    Duration wait = null;
                    List<Mono<Void>> forget = new ArrayList<>();
                    for (var result : results) {
                        String deviceId = result.getKey().getKey();
                        PushResult r = result.getValue();
                        if (r instanceof PushResult.Delivered) {
                            delivered.add(deviceId);
                        } else if (r instanceof PushResult.Gone) {
                            metrics.expired();
                            forget.add(profiles.removeExpired(n.userId(), deviceId, result.getKey().getValue().endpoint()));
                        } else if (r instanceof PushResult.Rejected rejected) {
                            // The subscription itself is broken (400, 403, 413): trying again will not help.
                            metrics.failed();
                            log.warn("push to a device of {} refused: {}", n.userId(), rejected.reason());
                        } else if (r instanceof PushResult.RetryLater later) {
                            metrics.failed();
                            wait = wait == null || later.after().compareTo(wait) > 0 ? later.after() : wait;
                        }
                    }
                    metrics.sent(delivered.size() - n.delivered().size());
                    Duration retryAfter = wait;
                    return Flux.concat(forget).then(Mono.defer(() -> {
                        if (retryAfter == null) {
                            return roundDone(n, delivered, "sent", now);
                        }
                        int attempts = n.attempts() + 1;
                        if (attempts >= MAX_ATTEMPTS) {
                            return delivered.isEmpty() ? drop(n, "failed", now)
                                    : finish(n, Notification.State.SENT, "partly-sent", delivered, now);
                        }
                        Duration backoff = FIRST_BACKOFF.multipliedBy(1L << Math.min(attempts - 1, 10));
                        backoff = backoff.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff;
                        Instant at = now.plus(backoff.compareTo(retryAfter) > 0 ? backoff : retryAfter);
                        return queue.retry(n, attempts, delivered, at).thenReturn(false);
                    })).thenReturn(delivered);
                }));
    }

    /** After a round: an urgent notification repeats until acknowledged, at most {@code repeats} times; others end. */
    private Mono<Boolean> roundDone(Notification n, List<String> delivered, String outcome, Instant now) {
        if (n.reason() == Notification.Reason.URGENT && n.round() < settings.repeats()) {
            return queue.nextRound(n, now.plus(settings.repeatEvery())).thenReturn(true);
        }
        return finish(n, Notification.State.SENT, outcome, delivered, now);
    }

    /** A read elsewhere: every device closes what it shows of the room up to the read position. */
    private Mono<Boolean> clear(Notification n) {
        Instant now = clock.instant();
        return profiles.find(n.userId()).map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap(p -> {
            if (p.isEmpty() || p.get().devices().isEmpty()) {
                return drop(n, "no-device", now);
            }
            if (!p.get().shown().containsKey(n.roomId())) {
                // Nothing of the room was notified since the last read: nothing to close, no push.
                return drop(n, "nothing-shown", now);
            }
            List<Map.Entry<String, NotifyProfile.Device>> targets = p.get().devices().entrySet().stream()
                    .filter(d -> !n.delivered().contains(d.getKey())).toList();
            ObjectNode body = json.createObjectNode().put("v", 1).put("type", "clear").put("roomId", n.roomId())
                    .put("seq", n.seq());
            return pushAll(n, targets, json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8),
                    settings.messageTtl(), WebPushSender.Urgency.NORMAL, "c" + Ids.derived("topic", n.roomId()), now)
                    .flatMap(delivered -> profiles.clearShown(n.userId(), n.roomId(), n.seq()).thenReturn(true))
                    .defaultIfEmpty(false);
        });
    }

    /**
     * What the push carries: ids, the reason and a fixed label, nothing from the message or the room. The service
     * worker fetches the message with the person's own token to show more (docs/WEB.md).
     */
    byte[] payload(Notification n) {
        ObjectNode body = json.createObjectNode().put("v", 1).put("type", "message").put("id", n.id())
                .put("round", n.round()).put("roomId", n.roomId()).put("messageId", n.messageId()).put("seq", n.seq())
                .put("reason", n.reason().code()).put("urgent", n.urgent()).put("title", label(n));
        return json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    }

    /** The fixed label a notification shows before (or without) the message: it names no one. */
    static String label(Notification n) {
        String label = switch (n.reason()) {
            case URGENT -> "至急: 確認をお願いします";
            case REQUEST -> "依頼が届きました";
            case MENTION -> "メンションがあります";
            case MESSAGE -> "新しいメッセージ";
            case DUE -> "依頼の期限が近づいています";
            case CLEAR -> "";
        };
        return n.urgent() && n.reason() != Notification.Reason.URGENT ? label + "（至急）" : label;
    }

    /** An urgent notification lives until its next repeat supersedes it; a reminder until the due time. */
    private Duration ttl(Notification n) {
        if (n.reason() == Notification.Reason.URGENT && n.round() < settings.repeats()) {
            return settings.repeatEvery();
        }
        return settings.messageTtl();
    }

    private static WebPushSender.Urgency urgency(Notification n) {
        return n.reason() == Notification.Reason.URGENT ? WebPushSender.Urgency.HIGH : WebPushSender.Urgency.NORMAL;
    }

    /**
     * RFC 8030 topic: a device that is off keeps only the latest undelivered push per topic. One per urgent message
     * (its next round replaces the last), one per room for everything else (the newest news of the room).
     */
    private static String topic(Notification n) {
        return n.reason() == Notification.Reason.URGENT ? "u" + Ids.derived("topic", n.messageId())
                : "m" + Ids.derived("topic", n.roomId());
    }

    private Mono<Boolean> drop(Notification n, String outcome, Instant now) {
        metrics.dropped();
        return finish(n, Notification.State.DROPPED, outcome, n.delivered(), now);
    }

    private Mono<Boolean> finish(Notification n, Notification.State state, String outcome, List<String> delivered,
                                 Instant now) {
        return queue.finish(n, state, outcome, delivered, now, now.plus(settings.keepFinished())).hasElement();
    }

    private Mono<Void> cleanup(Instant now) {
        if (Duration.between(lastCleanup, now).compareTo(CLEANUP_EVERY) < 0) {
            return Mono.empty();
        }
        lastCleanup = now;
        return queue.deleteExpired(now).doOnNext(n -> {
            if (n > 0) {
                log.info("notifications: {} finished records past their keeping time deleted", n);
            }
        }).then();
    }

    /** Stops the rounds and hands the shard leases over at once (a clean shutdown). */
    @Override
    public void close() {
        rounds.close();
        leases.releaseAll().onErrorComplete().block(Duration.ofSeconds(5));
    }
}
