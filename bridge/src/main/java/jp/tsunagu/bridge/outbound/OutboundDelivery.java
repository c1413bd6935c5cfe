package jp.tsunagu.bridge.outbound;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;

import jp.tsunagu.bridge.inbound.BridgeId;
import jp.tsunagu.bridge.inbound.BridgeIdStore;
import jp.tsunagu.bridge.link.BridgeLink;
import jp.tsunagu.bridge.link.LinkStore;
import jp.tsunagu.chat.attachment.AttachmentStore;
import jp.tsunagu.chat.handler.DeliveryHandler;
import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.message.Delivery;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.message.Stamp;
import jp.tsunagu.chat.realtime.StreamHandler;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.RoomLinearizer;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.connectors.sns.ConnectorException;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.ExternalStamp;
import jp.tsunagu.connectors.sns.OutboundMessage;
import jp.tsunagu.connectors.sns.SnsConnector;
import jp.tsunagu.connectors.support.HtmlSanitizer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Brings a linked room's local changes to its external room: posts, replies, edits, deletions and stamps, in the
 * room's order. The caller runs one drain per link at a time (see {@link OutboundScheduler}).
 *
 * <p><b>Where the work comes from.</b> There is no separate queue that a crash could leave behind the messages:
 * every change of a message takes the room's next sequence number into the message's {@code changeSeq}, so the
 * message documents themselves are the durable delivery records. The link keeps a cursor, {@code outboundSeq}:
 * every change numbered at or below it has been dealt with. A drain reads the messages changed after it in the
 * order they were <em>created</em> (so a post held back by a failure is never overtaken by a later post, even
 * when it is edited while it waits), brings each to its current state in the SNS, and records the result in the
 * message's {@link Delivery} entry for the link's connector instance, which members see as the send status.
 * Applying a message twice does nothing the second time: what was sent is compared with what is there.
 *
 * <p><b>Failures.</b> Short blips are retried in line by the connector itself. A change that still fails holds
 * back its room (later changes wait, per-room order) and is tried again on {@link RetrySchedule}; after the
 * schedule gives up, or at once when the SNS refuses it for good (400/403/404, malformed answer), it is
 * dead-lettered: the message shows {@code failed} with the reason, a {@link DeadLetter} is kept for operators, and
 * the room moves on.
 *
 * <p><b>Exactly once.</b> The MCS profile has no idempotency key, so a post whose answer was lost may have landed.
 * Before each post {@code postStartedAt} is stored; finding it set later (after a crash or a time-out) means
 * looking for the message in the SNS's recent history before posting again. Every posted message is recorded in
 * {@code bridge_ids} as {@code OUTBOUND} before anything else happens on the link, so the inbound poll, which runs
 * on the same link turn, never imports it back.
 */
public final class OutboundDelivery {

    private static final Logger log = LoggerFactory.getLogger(OutboundDelivery.class);

    /** Messages read per query: enough to keep a drain busy, small enough to hold in memory for any room. */
    static final int PAGE = 100;
    /** How far back a lost post is looked for: the profile's history page; a lost answer is seconds old. */
    static final int RECONCILE_DEPTH = 50;

    /** What one drain did; {@code blockedUntil} is set when a failing change holds the room back until then. */
    public record Drain(int delivered, int retried, int deadLettered, Instant blockedUntil) {
    }

    private final RoomStore rooms;
    private final RoomLinearizer linearizer;
    private final StreamHandler.StoredHead storedHead;
    private final MessageStore messages;
    private final AttachmentStore attachments;
    private final DeliveryHandler deliveries;
    private final BridgeIdStore ids;
    private final LinkStore links;
    private final DeadLetterStore deadLetters;
    private final HtmlSanitizer sanitizer;
    private final RetrySchedule schedule;
    private final long attachmentMaxBytes;
    private final Clock clock;

    public OutboundDelivery(RoomStore rooms, RoomLinearizer linearizer, StreamHandler.StoredHead storedHead,
                            MessageStore messages, AttachmentStore attachments,
                            DeliveryHandler deliveries, BridgeIdStore ids, LinkStore links, DeadLetterStore deadLetters,
                            HtmlSanitizer sanitizer, RetrySchedule schedule, long attachmentMaxBytes, Clock clock) {
        this.rooms = rooms;
        this.linearizer = linearizer;
        this.storedHead = storedHead;
        this.messages = messages;
        this.attachments = attachments;
        this.deliveries = deliveries;
        this.ids = ids;
        this.links = links;
        this.deadLetters = deadLetters;
        this.sanitizer = sanitizer;
        this.schedule = schedule;
        this.attachmentMaxBytes = attachmentMaxBytes;
        this.clock = clock;
    }

    /**
     * Delivers what is due in the link's room, then moves the link's cursor. The cursor moves to the room's
     * sequence number as read <em>before</em> the first page: every change up to there was read by this drain
     * after it happened. A held-back message stops the drain and the cursor stays below it.
     *
     * <p>That number is the one up to which every change is stored ({@link StreamHandler.StoredHead}), read on
     * the room's turn ({@link RoomLinearizer}). A post takes its number and is inserted on one turn, so the room's
     * counter read between the two names a message not yet readable, and the cursor would pass it for good: read
     * outside the turn, that lost a post under load (#13). With several nodes the turn only covers this node's
     * writes; the room event log's head covers the others'.
     */
    public Mono<Drain> drain(BridgeLink link, SnsConnector connector) {
        return drain(link, connector, () -> Mono.just(true));
    }

    /**
     * As {@link #drain(BridgeLink, SnsConnector)}, asking {@code stillOurs} before each message whether this node
     * still holds the link (renewing its lease). A drain of a long backlog outlives the lease it started with;
     * without asking, the node taking the link over and this one both posted the same messages (#13, seen in
     * {@code BridgeFailoverIntegrationTests} on a loaded machine). On a no the drain stops there, cursor below.
     */
    public Mono<Drain> drain(BridgeLink link, SnsConnector connector, Supplier<Mono<Boolean>> stillOurs) {
        Tally tally = new Tally();
        return linearizer.run(link.roomId(), () -> rooms.findById(link.roomId()).flatMap(storedHead::of))
                .flatMap(head -> page(link, connector, link.outboundSeq(), 0L, tally, stillOurs)
                        .flatMap(blockedSeq -> advance(link, blockedSeq < 0 ? head : Math.min(head, blockedSeq - 1))))
                .then(Mono.fromSupplier(tally::drain));
    }

    /** Emits the seq of the message that held the room back, or -1 when everything changed was dealt with. */
    private Mono<Long> page(BridgeLink link, SnsConnector connector, long cursor, long afterSeq, Tally tally,
                            Supplier<Mono<Boolean>> stillOurs) {
        return messages.changedSinceInCreationOrder(link.roomId(), cursor, afterSeq, PAGE).collectList()
                .flatMap(batch -> {
                    if (batch.isEmpty()) {
                        return Mono.just(-1L);
                    }
                    AtomicReference<Message> blocked = new AtomicReference<>();
                    return Flux.fromIterable(batch)
                            .concatMap(m -> stillOurs.get()
                                    .flatMap(ours -> ours ? deliver(link, connector, m, tally) : Mono.just(true))
                                    .doOnNext(b -> {
                                        if (b) {
                                            blocked.set(m);
                                        }
                                    }))
                            .takeUntil(b -> b)
                            .then(Mono.defer(() -> {
                                if (blocked.get() != null) {
                                    return Mono.just(blocked.get().seq());
                                }
                                return batch.size() < PAGE ? Mono.just(-1L)
                                        : page(link, connector, cursor, batch.get(batch.size() - 1).seq(), tally, stillOurs);
                            }));
                });
    }

    private Mono<Void> advance(BridgeLink link, long seq) {
        return seq > link.outboundSeq() ? links.advanceOutbound(link.id(), seq).then() : Mono.empty();
    }

    /** Brings one message to its current state in the SNS; emits true if it has to wait (room held back). */
    private Mono<Boolean> deliver(BridgeLink link, SnsConnector connector, Message m, Tally tally) {
        String instance = link.instanceId();
        Delivery entry = m.delivery() == null ? null : m.delivery().get(instance);
        boolean fromThere = m.origin() != null && instance.equals(m.origin().instanceId());
        if (!fromThere && m.seq() <= link.linkedAtSeq()) {
            return Mono.just(false); // older than the link: never part of the bridge
        }
        if (entry != null && entry.state() != Delivery.State.PENDING && entry.seq() == m.changeSeq()) {
            return Mono.just(false); // settled at this very change
        }
        Instant now = clock.instant();
        if (entry != null && entry.nextAttemptAt() != null && now.isBefore(entry.nextAttemptAt())) {
            tally.blockedUntil(entry.nextAttemptAt());
            return Mono.just(true);
        }
        Delivery start = entry == null ? Delivery.pending(now)
                : entry.state() == Delivery.State.FAILED ? entry.pendingAfresh(entry.error(), entry.at()) : entry;
        Attempt attempt = new Attempt(link, connector, m, fromThere, start);
        return attempt.run()
                .flatMap(changed -> finish(attempt, changed, tally))
                .onErrorResume(e -> failed(attempt, e, tally));
    }

    /** One message's delivery in progress: what has been done so far survives a failure half-way. */
    private final class Attempt {
        final BridgeLink link;
        final SnsConnector connector;
        final Message m;
        final boolean fromThere;
        Delivery entry;
        String operation = "post";

        Attempt(BridgeLink link, SnsConnector connector, Message m, boolean fromThere, Delivery entry) {
            this.link = link;
            this.connector = connector;
            this.m = m;
            this.fromThere = fromThere;
            this.entry = entry;
        }

        String externalId() {
            return fromThere ? m.origin().externalId() : entry.externalId();
        }

        /** Emits whether anything was sent. */
        Mono<Boolean> run() {
            AtomicInteger sent = new AtomicInteger();
            Mono<Void> create = Mono.empty();
            if (!fromThere && entry.externalId() == null) {
                create = entry.postStartedAt() == null ? Mono.empty() : reconcile();
                if (!m.isDeleted()) {
                    create = create.then(Mono.defer(() -> entry.externalId() != null ? Mono.empty()
                            : post().doOnSuccess(v -> sent.incrementAndGet())));
                }
            }
            return create
                    .then(Mono.defer(this::deleteOrEdit)).doOnSuccess(n -> sent.addAndGet(n == null ? 0 : n))
                    .then(Mono.defer(this::stamps)).doOnSuccess(n -> sent.addAndGet(n == null ? 0 : n))
                    .then(Mono.fromSupplier(() -> sent.get() > 0));
        }

        /** A post may have landed before a crash or a lost answer: adopt it rather than posting twice. */
        private Mono<Void> reconcile() {
            Instant since = entry.postStartedAt().minus(Duration.ofMinutes(1));
            // The inbound poll may have recognised it first (InboundImporter) and mapped it to this message.
            Mono<String> mapped = ids.outboundOf(link.instanceId(), m.id()).map(BridgeId::externalId);
            Mono<String> found = connector.history(link.externalRoomId(), RECONCILE_DEPTH)
                    .filter(x -> !x.deleted() && (x.createdAt() == null || !x.createdAt().isBefore(since)))
                    .filter(x -> OutboundRenderer.isPostOf(m, x.html(), sanitizer))
                    .filterWhen(x -> ids.isKnown(link.instanceId(), x.id()).map(known -> !known))
                    .next()
                    .map(ExternalMessage::id);
            return mapped.switchIfEmpty(found)
                    .flatMap(externalId -> {
                        log.info("bridge: message {} was already posted to {} as {} (answer lost); adopting it",
                                m.id(), link.instanceId(), externalId);
                        return recordOutbound(externalId).then(Mono.fromRunnable(() ->
                                entry = entry.sent(externalId, OutboundRenderer.contentHash(m), null)));
                    })
                    .then(Mono.fromRunnable(() -> entry = entry.sent(entry.externalId(), entry.sentHash(), null)));
        }

        private Mono<Void> post() {
            operation = "post";
            Instant started = clock.instant();
            entry = entry.sent(null, entry.sentHash(), started);
            List<String> notes = new ArrayList<>();
            Mono<String> parent = m.parentId() == null ? Mono.just("")
                    : messages.findById(m.parentId()).mapNotNull(p -> externalIdOf(p, link.instanceId())).defaultIfEmpty("");
            return deliveries.record(m.id(), link.instanceId(), entry)
                    .then(Mono.zip(parent, uploads(notes)))
                    .flatMap(t -> connector.post(link.externalRoomId(), OutboundRenderer.render(m, link.instanceId(),
                            t.getT1().isEmpty() ? null : t.getT1(), t.getT2(), notes)))
                    .flatMap(posted -> recordOutbound(posted.id())
                            .then(Mono.fromRunnable(() -> entry = entry.sent(posted.id(),
                                    OutboundRenderer.contentHash(m), null))));
        }

        private Mono<Void> recordOutbound(String externalId) {
            return ids.insert(new BridgeId(BridgeId.idOf(link.instanceId(), externalId), link.instanceId(), externalId,
                            m.id(), BridgeId.Direction.OUTBOUND, clock.instant()))
                    .onErrorResume(DuplicateKeyException.class, e -> Mono.empty())
                    .then();
        }

        /** Uploads the attachments within the size cap; the others become a note in the text. */
        private Mono<List<String>> uploads(List<String> notes) {
            List<Message.AttachmentRef> refs = m.attachments() == null ? List.of() : m.attachments();
            return Flux.fromIterable(refs).concatMap(ref -> {
                if (ref.size() > attachmentMaxBytes) {
                    notes.add(OutboundRenderer.tooLargeNote(ref.name()));
                    return Mono.empty();
                }
                return attachments.find(ref.id())
                        .flatMap(a -> connector.upload(a.name(), a.contentType(), a.size(), attachments.content(a.fileId())))
                        .map(uploaded -> uploaded.id())
                        .onErrorResume(ConnectorException.Rejected.class, e -> {
                            notes.add(OutboundRenderer.notForwardedNote(ref.name()));
                            return Mono.empty();
                        });
            }).collectList();
        }

        /** Emits how many calls were sent. */
        private Mono<Integer> deleteOrEdit() {
            String externalId = externalId();
            if (fromThere || externalId == null) {
                return Mono.just(0);
            }
            if (m.isDeleted()) {
                if (entry.sentDeleted()) {
                    return Mono.just(0);
                }
                operation = "delete";
                return connector.delete(externalId)
                        .onErrorResume(ConnectorException.Rejected.class, e -> e.status() == 404 ? Mono.empty() : Mono.error(e))
                        .then(Mono.fromSupplier(() -> {
                            entry = entry.deletionSent();
                            return 1;
                        }));
            }
            String hash = OutboundRenderer.contentHash(m);
            if (hash.equals(entry.sentHash())) {
                return Mono.just(0);
            }
            operation = "edit";
            return connector.edit(externalId, OutboundRenderer.render(m, link.instanceId(), null, List.of(), List.of()))
                    .then(Mono.fromSupplier(() -> {
                        entry = entry.sent(externalId, hash, null);
                        return 1;
                    }));
        }

        /** The integration account gives a stamp there while anyone here gives it. Emits how many calls were sent. */
        private Mono<Integer> stamps() {
            String externalId = externalId();
            if (externalId == null || m.isDeleted()) {
                return Mono.just(0);
            }
            Set<String> wanted = wantedStamps(m);
            Set<String> sent = new LinkedHashSet<>(entry.sentStamps());
            List<Mono<String>> calls = new ArrayList<>();
            wanted.stream().filter(s -> !sent.contains(s)).forEach(s -> calls.add(
                    connector.react(externalId, ExternalStamp.valueOf(s.toUpperCase(java.util.Locale.ROOT)), true)
                            .thenReturn("+" + s)));
            sent.stream().filter(s -> !wanted.contains(s)).forEach(s -> calls.add(
                    connector.react(externalId, ExternalStamp.valueOf(s.toUpperCase(java.util.Locale.ROOT)), false)
                            .thenReturn("-" + s)));
            if (calls.isEmpty()) {
                return Mono.just(0);
            }
            operation = "stamp";
            return Flux.concat(calls).doOnNext(change -> {
                Set<String> now = new LinkedHashSet<>(entry.sentStamps());
                if (change.startsWith("+")) {
                    now.add(change.substring(1));
                } else {
                    now.remove(change.substring(1));
                }
                entry = entry.withSentStamps(List.copyOf(now));
            }).count().map(Long::intValue);
        }
    }

    private Mono<Boolean> finish(Attempt a, boolean sent, Tally tally) {
        Delivery done = a.entry.delivered(clock.instant());
        if (sent) {
            tally.delivered.incrementAndGet();
        }
        if (a.fromThere) {
            // Only stamps go out for a message that came from this SNS; its status is not shown, so no event.
            return sent || a.m.delivery() != null && a.m.delivery().containsKey(a.link.instanceId())
                    ? deliveries.record(a.m.id(), a.link.instanceId(), done.settledAt(a.m.changeSeq())).thenReturn(false)
                    : Mono.just(false);
        }
        return deliveries.settle(a.m.roomId(), a.m.id(), a.link.instanceId(), a.m.changeSeq(), done).thenReturn(false);
    }

    private Mono<Boolean> failed(Attempt a, Throwable e, Tally tally) {
        Instant now = clock.instant();
        String reason = reason(e);
        if (permanent(e)) {
            return deadLetter(a, reason, tally);
        }
        int failures = a.entry.attempts() + 1;
        Instant first = a.entry.firstFailedAt() == null ? now : a.entry.firstFailedAt();
        Duration retryAfter = e instanceof ConnectorException.RateLimited r ? r.retryAfter() : null;
        Optional<Instant> next = schedule.next(failures, first, now, retryAfter);
        if (next.isEmpty()) {
            return deadLetter(a, "gave up after " + failures + " attempts: " + reason, tally);
        }
        tally.retried.incrementAndGet();
        tally.blockedUntil(next.get());
        log.warn("bridge: {} of message {} to {} failed ({} time(s)), next try at {}: {}", a.operation, a.m.id(),
                a.link.instanceId(), failures, next.get(), reason);
        Delivery waiting = a.entry.attemptFailed(failures, first, next.get(), reason, now);
        return deliveries.record(a.m.id(), a.link.instanceId(), waiting).thenReturn(true);
    }

    private Mono<Boolean> deadLetter(Attempt a, String reason, Tally tally) {
        Instant now = clock.instant();
        tally.deadLettered.incrementAndGet();
        log.warn("bridge: {} of message {} to {} dead-lettered: {}", a.operation, a.m.id(), a.link.instanceId(), reason);
        Delivery failed = a.entry.givenUp(reason, now);
        DeadLetter letter = new DeadLetter(Ids.derived("dead-letter", a.link.id(), a.m.id(), Long.toString(a.m.changeSeq())),
                a.link.id(), a.m.roomId(), a.link.instanceId(), a.m.id(), a.m.changeSeq(), a.operation, reason,
                failed.attempts(), now, null);
        Mono<?> status = a.fromThere ? deliveries.record(a.m.id(), a.link.instanceId(), failed.settledAt(a.m.changeSeq()))
                : deliveries.settle(a.m.roomId(), a.m.id(), a.link.instanceId(), a.m.changeSeq(), failed);
        return deadLetters.keep(letter).then(status).thenReturn(false);
    }

    /** Refused for good: retrying the same request cannot succeed (429 is a wait, not a refusal). */
    private static boolean permanent(Throwable e) {
        return e instanceof ConnectorException.Rejected || e instanceof ConnectorException.Malformed;
    }

    private static String reason(Throwable e) {
        String kind = e instanceof ConnectorException.Rejected r ? "rejected (" + r.status() + ")"
                : e instanceof ConnectorException.Malformed ? "malformed answer"
                : e instanceof ConnectorException.AuthFailed ? "credentials refused"
                : e instanceof ConnectorException.RateLimited ? "rate limited"
                : e instanceof ConnectorException.Retryable ? "unreachable"
                : e.getClass().getSimpleName();
        String message = e.getMessage();
        String out = message == null ? kind : kind + ": " + message;
        // Reasons are shown to members and kept in dead letters; an SNS error page must not bloat them.
        return out.length() > 300 ? out.substring(0, 300) + "…" : out;
    }

    /** The external id of a message through an instance: imported from there, or posted there by the bridge. */
    static String externalIdOf(Message m, String instanceId) {
        if (m.origin() != null && instanceId.equals(m.origin().instanceId())) {
            return m.origin().externalId();
        }
        Delivery d = m.delivery() == null ? null : m.delivery().get(instanceId);
        return d == null ? null : d.externalId();
    }

    /** Stamp codes given by at least one person here (not by people of an SNS, whose stamps stay there). */
    static Set<String> wantedStamps(Message m) {
        Set<String> out = new LinkedHashSet<>();
        if (m.stamps() == null) {
            return out;
        }
        for (Stamp s : Stamp.values()) {
            List<String> users = m.stamps().getOrDefault(s.code(), List.of());
            if (users.stream().anyMatch(u -> !ExternalMessageHandler.isExternalId(u))) {
                out.add(s.code());
            }
        }
        return out;
    }


    private static final class Tally {
        final AtomicInteger delivered = new AtomicInteger();
        final AtomicInteger retried = new AtomicInteger();
        final AtomicInteger deadLettered = new AtomicInteger();
        volatile Instant blockedUntil;

        void blockedUntil(Instant at) {
            blockedUntil = at;
        }

        Drain drain() {
            return new Drain(delivered.get(), retried.get(), deadLettered.get(), blockedUntil);
        }
    }

}
