package jp.tsunagu.chat.api;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import jp.tsunagu.chat.message.Delivery;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.message.Stamp;

/**
 * A message as members see it. Deleted messages keep their place, author and who deleted them, with no
 * content. {@code html} is the sanitised rich form when the author sent one; {@code text} is always set.
 * {@code origin} is set only for messages imported from an external SNS; their {@code author} is the external
 * person ({@code userId} {@code ext:<instance>:<id>}, the profession as that SNS names it when it matches none
 * of ours, the station as facility).
 */
public record MessageView(String id, String roomId, long seq, long changeSeq, AuthorView author, String text,
                          String html, String parentId, String threadRootId, String priority, MentionsView mentions,
                          List<AttachmentView> attachments, List<StampView> stamps, Instant createdAt,
                          Instant editedAt, int editCount, DeletionView deleted, OriginView origin,
                          List<DeliveryView> delivery, ExcerptCardView excerpt, RequestView request,
                          AcknowledgementView acknowledgement, PinView pin) {

    /** Who pinned the message to the room, and when; null when it is not pinned. */
    public record PinView(String by, Instant at) {
    }

    /**
     * For an urgent message: who must acknowledge it ({@code required}), who did, when and how ({@code viewed},
     * {@code accepted}, {@code completed} or {@code call}), who has not ({@code pending}), the escalation steps taken
     * and when the next is due ({@code nextEscalationAt}, null when none).
     */
    public record AcknowledgementView(List<String> required, List<AckView> acknowledged, List<String> pending,
                                      List<EscalationView> escalations, Instant nextEscalationAt) {

        public record AckView(String userId, Instant at, String how) {
        }

        public record EscalationView(int step, Instant at, List<String> pending, String added, String noticeId) {
        }

        static AcknowledgementView of(jp.tsunagu.chat.message.Acknowledgement a) {
            return new AcknowledgementView(a.required(),
                    a.acks().stream().map(k -> new AckView(k.userId(), k.at(), k.how())).toList(), a.pending(),
                    a.escalations().stream().map(e -> new EscalationView(e.step(), e.at(), e.pending(), e.added(),
                            e.noticeId())).toList(), a.escalateAt());
        }
    }

    /**
     * The request (依頼) a message carries. {@code dueAt} is in Japan time. {@code assigneeIds} are the members
     * the named {@code assignees} reached when it was made; {@code history} is every state it has been in, with
     * who and when ({@code note}: the completion note or the reason for declining). Whether it is overdue depends
     * on the moment of reading: lists say so ({@code overdue}); a client compares {@code dueAt} with its clock.
     */
    public record RequestView(KindView kind, AssigneesView assignees, List<String> assigneeIds, String assigneeLabel,
                              String requesterId,
                              java.time.OffsetDateTime dueAt, String state, List<TransitionView> history) {

        public record KindView(String code, String label) {
        }

        public record AssigneesView(List<String> users, List<String> professions, List<String> facilities) {
        }

        public record TransitionView(String state, String by, Instant at, String note) {
        }

        static RequestView of(jp.tsunagu.chat.message.CareRequest r) {
            return new RequestView(new KindView(r.kind().code(), r.kind().label()),
                    new AssigneesView(r.assignees().users(), r.assignees().professions(), r.assignees().facilities()),
                    r.assigneeIds(), r.assigneeLabel(), r.requesterId(), r.dueAt().atZone(jp.tsunagu.chat.consent.RecordReader.JAPAN).toOffsetDateTime(),
                    r.state().code(), r.history().stream()
                            .map(t -> new TransitionView(t.state().code(), t.by(), t.at(), t.note())).toList());
        }
    }

    /**
     * An excerpt card's references, the same for every reader; the data is read per reader from
     * {@code GET /api/v1/rooms/{roomId}/messages/{id}/excerpt}.
     */
    public record ExcerptCardView(String grantId, String kind, List<String> categories, int days, List<String> codes,
                                  String grantState, String href) {
    }

    /** Code of an external author's profession that maps to none of {@link jp.tsunagu.chat.identity.Profession}. */
    public static final String OTHER_PROFESSION = "other";

    /** @param connector the connector instance id ({@code mcs-tone}); {@code externalId} the id there */
    public record OriginView(String connector, String externalId) {
    }

    public record AuthorView(String userId, String displayName, ProfessionView profession, String facilityId,
                             String facilityName) {
    }

    public record MentionsView(List<String> users, List<String> facilities, boolean room) {
    }

    public record AttachmentView(String id, String name, String contentType, long size, String url,
                                 String thumbnailUrl) {
    }

    /**
     * One stamp on the message: {@code count} people gave it, {@code userIds} are those of them who are people
     * here, and {@code external} of them gave it on a bridged SNS, which tells how many but not who.
     */
    public record StampView(String stamp, String label, int count, List<String> userIds, int external) {
    }

    public record DeletionView(String by, Instant at) {
    }

    /**
     * The send status of a message posted here to one bridged SNS: {@code pending} until its latest change has gone
     * out (while retrying, {@code attempts} and {@code nextAttemptAt} say so), {@code delivered}, or {@code failed}
     * (dead-lettered, {@code error} says why).
     */
    public record DeliveryView(String connector, String state, int attempts, Instant nextAttemptAt, String error,
                               Instant at) {

        static List<DeliveryView> of(Message m) {
            if (m.origin() != null || m.delivery() == null || m.delivery().isEmpty()) {
                return List.of();
            }
            return m.delivery().entrySet().stream().map(e -> {
                Delivery d = e.getValue();
                Delivery.State state = d.visibleState(m.changeSeq());
                return new DeliveryView(e.getKey(), state.name().toLowerCase(java.util.Locale.ROOT), d.attempts(),
                        state == Delivery.State.PENDING ? d.nextAttemptAt() : null, d.error(), d.at());
            }).toList();
        }
    }

    public static MessageView of(Message m) {
        List<StampView> stamps = Arrays.stream(Stamp.values())
                .map(s -> {
                    List<String> users = m.stamps() == null ? List.of() : m.stamps().getOrDefault(s.code(), List.of());
                    int external = m.externalStamps() == null ? 0
                            : Math.max(0, m.externalStamps().getOrDefault(s.code(), 0));
                    return new StampView(s.code(), s.label(), users.size() + external, users, external);
                })
                .filter(s -> s.count() > 0)
                .toList();
        List<AttachmentView> attachments = m.attachments() == null ? List.of() : m.attachments().stream()
                .map(r -> new AttachmentView(r.id(), r.name(), r.contentType(), r.size(),
                        "/api/v1/attachments/" + r.id(),
                        r.thumbnail() ? "/api/v1/attachments/" + r.id() + "/thumbnail" : null))
                .toList();
        Message.Mentions mentions = m.mentions() == null ? Message.Mentions.NONE : m.mentions();
        return new MessageView(m.id(), m.roomId(), m.seq(), m.changeSeq(), authorOf(m),
                m.text(), m.html(), m.parentId(), m.threadRootId(),
                priorityOf(m),
                new MentionsView(mentions.users(), mentions.facilities(), mentions.room()),
                attachments, stamps, m.createdAt(), m.editedAt(), m.edits() == null ? 0 : m.edits().size(),
                m.deleted() == null ? null : new DeletionView(m.deleted().by(), m.deleted().at()),
                m.origin() == null ? null : new OriginView(m.origin().instanceId(), m.origin().externalId()),
                DeliveryView.of(m),
                m.excerpt() == null ? null : new ExcerptCardView(m.excerpt().grantId(), m.excerpt().kind(),
                        m.excerpt().categories(), m.excerpt().days(), m.excerpt().codes(), m.excerpt().grantState(),
                        "/api/v1/rooms/" + m.roomId() + "/messages/" + m.id() + "/excerpt"),
                requestOf(m), acknowledgementOf(m),
                m.pin() == null || m.isDeleted() ? null : new PinView(m.pin().by(), m.pin().at()));
    }

    static String priorityOf(Message m) {
        return m.priority() == null ? "normal" : m.priority().name().toLowerCase();
    }

    /** A deleted message keeps no request or acknowledgement to act on. */
    static RequestView requestOf(Message m) {
        return m.request() == null || m.isDeleted() ? null : RequestView.of(m.request());
    }

    static AcknowledgementView acknowledgementOf(Message m) {
        return m.acknowledgement() == null || m.isDeleted() ? null : AcknowledgementView.of(m.acknowledgement());
    }

    /** The author; an imported message's profession as its SNS names it when it matches none of ours. */
    static AuthorView authorOf(Message m) {
        Message.Author a = m.author();
        ProfessionView profession = ProfessionView.of(a.profession());
        if (profession == null && m.origin() != null && m.origin().author() != null
                && m.origin().author().profession() != null) {
            profession = new ProfessionView(OTHER_PROFESSION, m.origin().author().profession());
        }
        return new AuthorView(a.userId(), a.displayName(), profession, a.facilityId(), a.facilityName());
    }
}
