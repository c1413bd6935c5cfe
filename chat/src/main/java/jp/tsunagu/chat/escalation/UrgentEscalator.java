package jp.tsunagu.chat.escalation;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.tsunagu.chat.api.MessageView;
import jp.tsunagu.chat.consent.RecordReader;
import jp.tsunagu.chat.handler.MessageHandler;
import jp.tsunagu.chat.message.Acknowledgement;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.MessageStore;
import jp.tsunagu.chat.realtime.RoomEvent;
import jp.tsunagu.chat.realtime.RoomEventPublisher;
import jp.tsunagu.chat.room.CareRoom;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.room.RoomStore;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.chat.support.MongoLeases;
import jp.tsunagu.chat.support.PeriodicRounds;
import jp.tsunagu.chat.support.RoomLinearizer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Escalates urgent messages that the people they ask have not acknowledged in time. Step 1, {@code escalateAfter}
 * after the post: a notice in the room naming (and mentioning) who has not acknowledged, and a
 * {@code message.escalated} event. Step 2, {@code secondEscalateAfter} later: the same, and the room's on-call
 * contact is added to those who must acknowledge. After that nothing more is automatic.
 *
 * <p>Runs on the node holding the {@code urgent-escalation} lease, every {@code scanEvery}. Each step is taken by a
 * conditional write on the message's {@code acknowledgement.step} (on the room's turn, with its own sequence
 * number), so a step is never taken twice, even when the lease moves mid-round. The notice is posted first with an
 * id derived from (message, step): a node that dies between the two finds the notice there on the next round and
 * takes the step, so nothing is lost or doubled across restarts.
 */
public final class UrgentEscalator implements AutoCloseable {

    public static final String LEASE = "urgent-escalation";
    private static final Logger log = LoggerFactory.getLogger(UrgentEscalator.class);
    /** Steps per round; a round every 10 s keeps up with far more unacknowledged urgent messages than a region has. */
    static final int BATCH = 100;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("H:mm").withZone(RecordReader.JAPAN);

    private final MessageStore messages;
    private final RoomStore rooms;
    private final MembershipStore memberships;
    private final MessageHandler notices;
    private final RoomLinearizer linearizer;
    private final RoomEventPublisher events;
    private final MongoLeases leases;
    private final Duration secondEscalateAfter;
    private final Clock clock;
    private final PeriodicRounds rounds = new PeriodicRounds("urgent escalation");

    public UrgentEscalator(MessageStore messages, RoomStore rooms, MembershipStore memberships, MessageHandler notices,
                           RoomLinearizer linearizer, RoomEventPublisher events, MongoLeases leases,
                           Duration secondEscalateAfter, Clock clock) {
        this.messages = messages;
        this.rooms = rooms;
        this.memberships = memberships;
        this.notices = notices;
        this.linearizer = linearizer;
        this.events = events;
        this.leases = leases;
        this.secondEscalateAfter = secondEscalateAfter;
        this.clock = clock;
    }

    /** Starts the rounds; a zero period leaves escalation to other nodes. */
    public void start(Duration every) {
        if (!every.isZero()) {
            rounds.start(every, this::run);
        }
    }

    /** One round, if this node holds the lease: takes every step due; emits how many were taken. */
    public Mono<Long> run() {
        return leases.hold(LEASE).flatMap(held -> !held ? Mono.just(0L)
                : messages.dueEscalations(clock.instant(), BATCH)
                        .concatMap(m -> leases.hold(LEASE).filter(Boolean::booleanValue).flatMap(ours -> escalate(m))
                                // One room refusing (busy, archived meanwhile) must not hold up the others' steps;
                                // its step stays due and the next round tries again.
                                .onErrorResume(e -> {
                                    log.warn("urgent: message {} not escalated this round: {}", m.id(), e.toString());
                                    return Mono.just(false);
                                }))
                        .filter(Boolean::booleanValue)
                        .count());
    }

    /** Takes the next step of one message, or ends its escalation if everyone acknowledged; emits when a step was taken. */
    Mono<Boolean> escalate(Message m) {
        Acknowledgement ack = m.acknowledgement();
        return Mono.zip(rooms.findById(m.roomId()).map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty()),
                        memberships.activeMembers(m.roomId()).collectMap(Membership::userId, Function.identity()))
                .flatMap(t -> {
                    Map<String, Membership> members = t.getT2();
                    List<String> pending = ack.pending().stream().filter(members::containsKey).toList();
                    CareRoom room = t.getT1().orElse(null);
                    if (room == null || room.archived() || pending.isEmpty()) {
                        // Everyone still here acknowledged, or the room is gone: nothing to escalate.
                        return messages.endEscalation(m.id(), ack.step()).thenReturn(false);
                    }
                    int step = ack.step() + 1;
                    String onCall = step == Acknowledgement.LAST_STEP ? room.onCallUserId() : null;
                    String added = onCall != null && members.containsKey(onCall) && !ack.isRequired(onCall) ? onCall : null;
                    String noticeId = Ids.derived("escalation", m.id(), String.valueOf(step));
                    List<String> mention = new ArrayList<>(pending);
                    if (added != null) {
                        mention.add(added);
                    }
                    Instant now = clock.instant();
                    return notices.postNotice(m.roomId(), noticeId, text(m, pending, added, members),
                                    new Message.Mentions(mention, List.of(), false))
                            .then(linearizer.run(m.roomId(), () -> rooms.nextSeq(m.roomId())
                                    .flatMap(seq -> messages.escalate(m,
                                            new Acknowledgement.Escalation(step, now, pending, added, noticeId),
                                            step < Acknowledgement.LAST_STEP ? now.plus(secondEscalateAfter) : null, seq))
                                    .map(escalated -> {
                                        events.publish(RoomEvent.message("message.escalated", MessageView.of(escalated)));
                                        log.info("urgent: message {} escalated (step {}), {} not acknowledged",
                                                m.id(), step, pending.size());
                                        return true;
                                    })))
                            .defaultIfEmpty(false);
                });
    }

    /** 【至急・未確認】佐藤 美咲さんの至急連絡（14:05）に確認がありません: 田中 一郎。当番の 鈴木 医師 にも連絡します。 */
    private static String text(Message m, List<String> pending, String added, Map<String, Membership> members) {
        List<String> names = pending.stream().map(u -> members.get(u).displayName()).toList();
        StringBuilder out = new StringBuilder("【至急・未確認】").append(m.author().displayName())
                .append("さんの至急連絡（").append(TIME.format(m.createdAt())).append("）に確認がありません: ")
                .append(String.join("、", names)).append("。");
        if (added != null) {
            out.append("当番の ").append(members.get(added).displayName()).append(" さんにも確認をお願いします。");
        }
        return out.toString();
    }

    /** Stops the rounds and hands the lease over at once (a clean shutdown). */
    @Override
    public void close() {
        rounds.close();
        leases.releaseAll().onErrorComplete().block(Duration.ofSeconds(5));
    }
}
