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
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.ReadReceipt;
import jp.tsunagu.chat.message.ReadStore;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.NotifyAudience;
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
     * How often reminders due are moved into the queue: a reminder an hour before a due time may come half a minute
     * late, and the reminders' collection, as long as there are open requests, is not scanned every second.
     */
    static final Duration REMINDERS_EVERY = Duration.ofSeconds(30);

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
    private volatile Instant lastReminders = Instant.EPOCH;

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
                    return reminders(mine, now).thenMany(queue.due(mine, now, BATCH))
                            .filter(n -> !inFlight.contains(n.id()))
                            .filterWhen(this::notFinishedBefore)
                            .collectList()
                            .flatMap(due -> send(due, null))
                            .flatMap(count -> cleanup(now).thenReturn(count));
                });
    }

    /** Moves the reminders due into the queue, every {@link #REMINDERS_EVERY}. */
    private Mono<Void> reminders(List<Integer> mine, Instant now) {
        if (Duration.between(lastReminders, now).compareTo(REMINDERS_EVERY) < 0 && !lastReminders.isAfter(now)) {
            return Mono.empty();
        }
        lastReminders = now;
        return queue.promoteReminders(mine, now, BATCH).then();
    }

    /**
     * A notification a round found and never tried yet may be an enqueue that came after it was finished and had
     * left the queue (a post retried on another node at that moment): the log tells, and it goes without a push.
     */
    private Mono<Boolean> notFinishedBefore(Notification n) {
        if (n.round() > 0 || n.attempts() > 0 || n.reason() == Notification.Reason.CLEAR) {
            return Mono.just(true);
        }
        return queue.finishedBefore(n.id()).flatMap(done -> done ? queue.discard(n).thenReturn(false) : Mono.just(true));
    }

    /**
     * The write these notifications are about landed on this node ({@code stored}: the message, or null for a
     * clear): sends those of the shards it holds now, without waiting for a round. Returns at once; never throws.
     */
    public void landed(Collection<Notification> notifications, Message stored) {
        Instant soon = clock.instant().plus(NotificationPlanner.LANDING_GRACE);
        List<Notification> now = notifications.stream()
                .filter(n -> held.contains(n.shard()) && !n.dueAt().isAfter(soon))
                .toList();
        if (!now.isEmpty()) {
            send(now, stored).subscribe(ignored -> { }, e -> log.warn("notifications of {} not sent now: {}",
                    now.get(0).messageId() == null ? now.get(0).roomId() : now.get(0).messageId(), e.toString()));
        }
    }

    /** Several nodes: another node wrote the message; send its notifications of this node's shards now. */
    public void landedElsewhere(String messageId) {
        if (held.isEmpty()) {
            return;
        }
        Instant soon = clock.instant().plus(NotificationPlanner.LANDING_GRACE);
        queue.ofMessage(messageId).filter(n -> held.contains(n.shard()) && !n.dueAt().isAfter(soon))
                .collectList()
                .flatMap(ns -> send(ns, null))
                .subscribe(ignored -> { }, e -> log.debug("notifications of message {} left to the rounds", messageId, e));
    }

    /** What deciding about a batch needs, read in one query per kind. */
    private record Context(Map<String, Message> messages, Map<String, NotifyProfile> profiles, Set<String> members,
                           Map<String, Long> readUpTo, Map<String, NotifyAudience> audiences) {
    }

    /** What becomes of one notification: pushed to {@code targets}, or ended, or put off. */
    private record Decision(Notification n, List<Map.Entry<String, NotifyProfile.Device>> targets, String outcome,
                            boolean notYet) {
    }

    /**
     * Sends a batch (one message's notifications, or a round's), once at a time on this node: reads what the checks
     * need in one query per kind, pushes to every device at once, and writes the outcomes in bulk; emits how many
     * it handled.
     */
    Mono<Long> send(List<Notification> batch, Message known) {
        List<Notification> mine = batch.stream().filter(n -> inFlight.add(n.id())).toList();
        if (mine.isEmpty()) {
            return Mono.just(0L);
        }
        List<Notification> clears = mine.stream().filter(n -> n.reason() == Notification.Reason.CLEAR).toList();
        List<Notification> others = mine.stream().filter(n -> n.reason() != Notification.Reason.CLEAR).toList();
        return Flux.fromIterable(clears).concatMap(this::clear).then(others.isEmpty() ? Mono.empty()
                        : context(others, known).flatMap(ctx -> act(others, ctx)))
                .thenReturn((long) mine.size())
                .onErrorResume(e -> {
                    log.warn("{} notifications not handled this time: {}", mine.size(), e.toString());
                    return Mono.just(0L);
                })
                .doFinally(signal -> mine.forEach(n -> inFlight.remove(n.id())));
    }

    /**
     * Reads what deciding needs. For notifications handed over the moment their message landed ({@code known}), two
     * reads are left out: the people a mention, a request or an urgent message names were resolved to active members
     * by that write, and nobody has read a message milliseconds old; only those hearing of every message in the room
     * (a level kept in the room document, possibly of someone who left) are checked for membership.
     */
    private Mono<Context> context(List<Notification> ns, Message known) {
        Set<String> messageIds = ns.stream().map(Notification::messageId).collect(Collectors.toSet());
        boolean fresh = known != null && messageIds.equals(Set.of(known.id()));
        Mono<Map<String, Message>> found = fresh ? Mono.just(Map.of(known.id(), known))
                : Flux.fromIterable(messageIds).flatMap(messages).collectMap(Message::id);
        Mono<Map<String, NotifyProfile>> people = profiles.findAll(ns.stream().map(Notification::userId).distinct().toList())
                .collectMap(NotifyProfile::id);
        Set<String> assumedMembers = fresh ? ns.stream().filter(n -> n.reason() != Notification.Reason.MESSAGE)
                .map(n -> Membership.idOf(n.roomId(), n.userId())).collect(Collectors.toSet()) : Set.of();
        List<String> toCheck = ns.stream().map(n -> Membership.idOf(n.roomId(), n.userId()))
                .filter(id -> !assumedMembers.contains(id)).distinct().toList();
        Mono<Set<String>> members = memberships.findActive(toCheck).map(Membership::id).collect(Collectors.toSet())
                .map(checked -> {
                    Set<String> all = new java.util.HashSet<>(checked);
                    all.addAll(assumedMembers);
                    return all;
                });
        List<String> readIds = fresh ? List.of() : ns.stream().filter(n -> n.reason() == Notification.Reason.MENTION
                || n.reason() == Notification.Reason.MESSAGE).map(n -> Membership.idOf(n.roomId(), n.userId())).distinct().toList();
        Mono<Map<String, Long>> reading = reads.findAll(readIds).collectMap(ReadReceipt::id, ReadReceipt::upToSeq);
        List<String> unknownLevels = ns.stream().filter(n -> n.level() == null).map(Notification::roomId).distinct().toList();
        Mono<Map<String, NotifyAudience>> audiences = unknownLevels.isEmpty() ? Mono.just(Map.of()) : rooms.audiences(unknownLevels);
        return Mono.zip(found, people, members, reading, audiences)
                .map(t -> new Context(t.getT1(), t.getT2(), t.getT3(), t.getT4(), t.getT5()));
    }

    private Mono<Void> act(List<Notification> ns, Context ctx) {
        Instant now = clock.instant();
        List<Decision> decisions = ns.stream().map(n -> decide(n, ctx, now)).toList();
        List<Decision> pushing = decisions.stream().filter(d -> d.targets() != null).toList();
        List<NotificationStore.Finished> ended = new ArrayList<>();
        List<Mono<?>> later = new ArrayList<>();
        for (Decision d : decisions) {
            if (d.notYet()) {
                later.add(Duration.between(d.n().createdAt(), now).compareTo(NEVER_LANDED) < 0
                        ? queue.retry(d.n(), d.n().attempts(), d.n().delivered(), now.plus(NOT_YET))
                        : Mono.fromRunnable(() -> ended.add(dropped(d.n(), "never-posted"))));
            } else if (d.outcome() != null) {
                ended.add(d.n().round() > 0 ? new NotificationStore.Finished(d.n(), Notification.State.SENT, d.outcome(),
                        d.n().delivered()) : dropped(d.n(), d.outcome()));
            }
        }
        return Flux.concat(later).then(pushAll(pushing, now, ended))
                .then(Mono.defer(() -> queue.finishAll(ended, now, now.plus(settings.keepFinished())).then()));
    }

    /** Whether to push the notification now, to which devices; or why not. Reads nothing: the context has it all. */
    private Decision decide(Notification n, Context ctx, Instant now) {
        Message m = ctx.messages().get(n.messageId());
        if (m == null) {
            return new Decision(n, null, null, true);
        }
        NotifyLevel level = n.level() != null ? n.level()
                : ctx.audiences().containsKey(n.roomId()) ? ctx.audiences().get(n.roomId()).level(n.userId()) : NotifyLevel.NONE;
        String unwanted = unwanted(n, m, ctx.members().contains(Membership.idOf(n.roomId(), n.userId())),
                ctx.readUpTo().getOrDefault(Membership.idOf(n.roomId(), n.userId()), 0L), level, now);
        if (unwanted != null) {
            return new Decision(n, null, unwanted, false);
        }
        NotifyProfile p = ctx.profiles().get(n.userId());
        if (p == null || p.devices().isEmpty()) {
            return new Decision(n, null, "no-device", false);
        }
        String quiet = n.reason() == Notification.Reason.URGENT ? null : p.quietReason(now);
        if (quiet != null) {
            return new Decision(n, null, quiet, false);
        }
        return new Decision(n, p.devices().entrySet().stream()
                .filter(d -> !n.delivered().contains(d.getKey()) && d.getValue().endpoint() != null)
                .filter(d -> !d.getValue().shows(n.roomId(), now))
                .toList(), null, false);
    }

    /** Why the notification is no longer wanted, or null: the message's state, membership, reading and level. */
    private static String unwanted(Notification n, Message m, boolean member, long readUpTo, NotifyLevel level, Instant now) {
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

    /**
     * Pushes every decision's devices at once, after renewing the leases of their shards (a shard this node lost is
     * left to its next holder); then records each round done (into {@code ended}), or a retry with the devices
     * reached so far, and forgets the devices the push services said are gone.
     */
    private Mono<Void> pushAll(List<Decision> pushing, Instant now, List<NotificationStore.Finished> ended) {
        if (pushing.isEmpty()) {
            return Mono.empty();
        }
        return Flux.fromIterable(pushing.stream().map(d -> d.n().shard()).distinct().toList())
                .filterWhen(shard -> leases.hold(LEASE_PREFIX + shard))
                .collect(Collectors.toSet())
                .flatMap(ours -> {
                    List<Decision> sending = pushing.stream().filter(d -> ours.contains(d.n().shard())).toList();
                    return Flux.fromIterable(sending)
                            .flatMap(d -> Flux.fromIterable(d.targets())
                                    .flatMap(t -> push.send(new PushTarget(t.getValue().endpoint(), t.getValue().p256dh(),
                                                    t.getValue().auth()), payload(d.n()), ttl(d.n()), urgency(d.n()), topic(d.n()))
                                            .map(r -> Map.entry(t, r)))
                                    .collectList()
                                    .map(results -> Map.entry(d, results)), CONCURRENCY)
                            .collectList()
                            .flatMap(all -> after(all, now, ended));
                });
    }

    private Mono<Void> after(List<Map.Entry<Decision, List<Map.Entry<Map.Entry<String, NotifyProfile.Device>, PushResult>>>> all,
                             Instant now, List<NotificationStore.Finished> ended) {
        List<Mono<?>> writes = new ArrayList<>();
        List<NotifyProfileStore.Shown> shown = new ArrayList<>();
        for (var entry : all) {
            Notification n = entry.getKey().n();
            List<String> delivered = new ArrayList<>(n.delivered());
            Duration wait = null;
            for (var result : entry.getValue()) {
                String deviceId = result.getKey().getKey();
                PushResult r = result.getValue();
                if (r instanceof PushResult.Delivered) {
                    delivered.add(deviceId);
                } else if (r instanceof PushResult.Gone) {
                    metrics.expired();
                    writes.add(profiles.removeExpired(n.userId(), deviceId, result.getKey().getValue().endpoint()));
                } else if (r instanceof PushResult.Rejected rejected) {
                    // The subscription itself is broken (400, 403, 413): trying again will not help.
                    metrics.failed();
                    log.warn("push to a device of {} refused: {}", n.userId(), rejected.reason());
                } else if (r instanceof PushResult.RetryLater retry) {
                    metrics.failed();
                    wait = wait == null || retry.after().compareTo(wait) > 0 ? retry.after() : wait;
                }
            }
            int sent = delivered.size() - n.delivered().size();
            metrics.sent(sent);
            if (sent > 0) {
                shown.add(new NotifyProfileStore.Shown(n.userId(), n.roomId(), n.seq()));
                if (n.round() == 0) {
                    metrics.latency(Duration.between(n.createdAt(), clock.instant()));
                }
            }
            if (wait == null) {
                roundDone(n, delivered, entry.getValue().isEmpty() ? "viewing" : "sent", now, ended, writes);
            } else {
                int attempts = n.attempts() + 1;
                if (attempts >= MAX_ATTEMPTS) {
                    ended.add(delivered.isEmpty() ? dropped(n, "failed")
                            : new NotificationStore.Finished(n, Notification.State.SENT, "partly-sent", delivered));
                } else {
                    Duration backoff = FIRST_BACKOFF.multipliedBy(1L << Math.min(attempts - 1, 10));
                    backoff = backoff.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff;
                    writes.add(queue.retry(n, attempts, delivered, now.plus(backoff.compareTo(wait) > 0 ? backoff : wait)));
                }
            }
        }
        return Flux.concat(writes).then(profiles.markShown(shown));
    }

    /** After a round: an urgent notification repeats until acknowledged, at most {@code repeats} times; others end. */
    private void roundDone(Notification n, List<String> delivered, String outcome, Instant now,
                           List<NotificationStore.Finished> ended, List<Mono<?>> writes) {
        if (n.reason() == Notification.Reason.URGENT && n.round() < settings.repeats()) {
            writes.add(queue.nextRound(n, now.plus(settings.repeatEvery())));
        } else {
            ended.add(new NotificationStore.Finished(n, Notification.State.SENT, outcome, delivered));
        }
    }

    private NotificationStore.Finished dropped(Notification n, String outcome) {
        metrics.dropped();
        return new NotificationStore.Finished(n, Notification.State.DROPPED, outcome, n.delivered());
    }

    /** A read elsewhere: every device closes what it shows of the room up to the read position. */
    private Mono<Void> clear(Notification n) {
        Instant now = clock.instant();
        return profiles.find(n.userId()).map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap(p -> {
            if (p.isEmpty() || p.get().devices().isEmpty()) {
                return finish(dropped(n, "no-device"), now);
            }
            if (!p.get().shown().containsKey(n.roomId())) {
                // Nothing of the room was notified since the last read: nothing to close, no push.
                return finish(dropped(n, "nothing-shown"), now);
            }
            List<Map.Entry<String, NotifyProfile.Device>> targets = p.get().devices().entrySet().stream()
                    .filter(d -> !n.delivered().contains(d.getKey()) && d.getValue().endpoint() != null).toList();
            List<NotificationStore.Finished> ended = new ArrayList<>();
            return pushAll(List.of(new Decision(n, targets, null, false)), now, ended)
                    .then(Mono.defer(() -> queue.finishAll(ended, now, now.plus(settings.keepFinished()))))
                    .then(profiles.clearShown(n.userId(), n.roomId(), n.seq()));
        });
    }

    private Mono<Void> finish(NotificationStore.Finished f, Instant now) {
        return queue.finishAll(List.of(f), now, now.plus(settings.keepFinished())).then();
    }

    /**
     * What the push carries: ids, the reason and a fixed label, nothing from the message or the room. The service
     * worker fetches the message with the person's own token to show more (docs/WEB.md).
     */
    byte[] payload(Notification n) {
        if (n.reason() == Notification.Reason.CLEAR) {
            return json.writeValueAsString(json.createObjectNode().put("v", 1).put("type", "clear")
                    .put("roomId", n.roomId()).put("seq", n.seq())).getBytes(StandardCharsets.UTF_8);
        }
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
        return switch (n.reason()) {
            case URGENT -> "u" + Ids.derived("topic", n.messageId());
            case CLEAR -> "c" + Ids.derived("topic", n.roomId());
            default -> "m" + Ids.derived("topic", n.roomId());
        };
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
