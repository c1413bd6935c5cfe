package jp.tsunagu.bridge.inbound;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.tsunagu.bridge.connector.ConnectorRegistry;
import jp.tsunagu.chat.attachment.Attachment;
import jp.tsunagu.chat.handler.AttachmentHandler;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.connectors.sns.Capability;
import jp.tsunagu.connectors.sns.ExternalAttachment;
import jp.tsunagu.connectors.sns.SnsConnector;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Brings the files of an external message into the room's attachment store: downloaded through the connector,
 * then stored through {@link AttachmentHandler#importFile} (typed by the bytes, metadata stripped, thumbnailed,
 * as uploads here are), within a size cap.
 *
 * <p>A file is never the reason a message is lost: one that is over the cap (by its announced size, or while
 * downloading), of a type care rooms do not accept, or that cannot be fetched is replaced by a note on the
 * message saying so. The attachment id follows from (instance, external attachment id), so a message read again
 * (a re-poll, a webhook and a poll of the same change) finds its files stored and does not store them twice.
 */
public final class InboundAttachments {

    private static final Logger log = LoggerFactory.getLogger(InboundAttachments.class);

    /** What came of a message's files: the stored ones, and a note for each that was not. */
    public record Fetched(List<Message.AttachmentRef> attachments, List<String> notes) {

        static final Fetched NONE = new Fetched(List.of(), List.of());
    }

    private final ConnectorRegistry registry;
    private final AttachmentHandler handler;
    private final long maxBytes;

    /** @param handler null to carry no files (each becomes a note) */
    public InboundAttachments(ConnectorRegistry registry, AttachmentHandler handler, long maxBytes) {
        this.registry = registry;
        this.handler = handler;
        this.maxBytes = maxBytes;
    }

    /** Carries no files: every attachment becomes a note. */
    public static InboundAttachments none() {
        return new InboundAttachments(new ConnectorRegistry(List.of()), null, 0);
    }

    /** The local id of the external attachment {@code externalId} of connector instance {@code instanceId}. */
    public static String localId(String instanceId, String externalId) {
        return Ids.derived("external-attachment", instanceId, externalId);
    }

    /**
     * Fetches the files of one external message for {@code roomId}, in order; never signals an error.
     *
     * @param uploadedBy the local id of the external author
     */
    public Mono<Fetched> fetch(String instanceId, String roomId, String uploadedBy, List<ExternalAttachment> files) {
        if (files.isEmpty()) {
            return Mono.just(Fetched.NONE);
        }
        SnsConnector connector = registry.find(instanceId).orElse(null);
        List<Message.AttachmentRef> stored = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        return Flux.fromIterable(files)
                .concatMap(file -> one(connector, instanceId, roomId, uploadedBy, file)
                        .doOnNext(a -> stored.add(new Message.AttachmentRef(a.id(), a.name(), a.contentType(),
                                a.size(), a.thumbnailFileId() != null)))
                        .onErrorResume(NotCarried.class, e -> {
                            notes.add(e.getMessage());
                            return Mono.empty();
                        }))
                .then(Mono.fromSupplier(() -> new Fetched(List.copyOf(stored), List.copyOf(notes))));
    }

    private Mono<Attachment> one(SnsConnector connector, String instanceId, String roomId, String uploadedBy,
                                 ExternalAttachment file) {
        String name = file.name() == null || file.name().isBlank() ? "file" : file.name();
        if (handler == null || connector == null || !connector.descriptor().can(Capability.ATTACHMENTS)) {
            return Mono.error(new NotCarried("添付「" + name + "」は連携先から取り込めないため、取り込んでいません。"));
        }
        if (file.size() > maxBytes) {
            return Mono.error(tooLarge(name, file.size()));
        }
        return Mono.defer(() -> handler.importFile(roomId, uploadedBy, localId(instanceId, file.id()), name,
                        connector.download(file), maxBytes))
                .onErrorMap(e -> !(e instanceof NotCarried), e -> {
                    if (e instanceof ApiException api && api.status().value() == 413) {
                        return tooLarge(name, file.size());
                    }
                    if (e instanceof ApiException api && api.status().value() == 415) {
                        return new NotCarried("添付「" + name + "」は受け付けない形式のため、取り込んでいません。");
                    }
                    log.warn("bridge: file {} of {} could not be imported into room {}: {}", file.id(), instanceId,
                            roomId, e.toString());
                    return new NotCarried("添付「" + name + "」を連携先から取得できなかったため、取り込んでいません。");
                });
    }

    private NotCarried tooLarge(String name, long size) {
        String announced = size > 0 ? "(" + megabytes(size) + ") " : "";
        return new NotCarried("添付「" + name + "」" + announced + "は取り込みの上限 " + megabytes(maxBytes)
                + " を超えるため、取り込んでいません。");
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024.0));
    }

    /** A file that is not carried; the message says so with this text. */
    private static final class NotCarried extends RuntimeException {
        NotCarried(String note) {
            super(note, null, false, false);
        }
    }
}
