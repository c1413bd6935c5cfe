package jp.tsunagu.bridge.outbound;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;

import org.jsoup.nodes.Entities;

import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.support.Ids;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.OutboundMessage;
import jp.tsunagu.connectors.support.HtmlSanitizer;

/**
 * How a care-room message reads in the external SNS. There it is posted by the integration account, so the
 * text starts with who wrote it here ({@code 【佐藤 美咲／看護師／あおば訪問看護ステーション】}): people on the
 * other side must see the author, not the bridge. Mentions of people and stations of that SNS (imported
 * authors, {@code ext:<instance>:<id>}) become its own mentions; a mention of the whole room mentions all there.
 */
public final class OutboundRenderer {

    private OutboundRenderer() {
    }

    /**
     * Whether an external message is the one the bridge posted for {@code local} (found after a lost answer): its
     * text is the author line and the text, whitespace aside, followed by nothing but the notes the bridge adds
     * for attachments of that message it could not forward. The MCS profile has no idempotency key, so the content
     * is the only link between the two, and it must be exact: a prefix test took 「ローカル10」 for the post of
     * 「ローカル1」 and mapped one local message to another's external post, losing one and posting one twice (#13).
     */
    public static boolean isPostOf(Message local, String externalHtml, HtmlSanitizer sanitizer) {
        String expected = normalise(header(local.author()) + "\n" + body(local));
        String there = normalise(sanitizer.toText(externalHtml));
        if (!there.startsWith(expected)) {
            return false;
        }
        String rest = there.substring(expected.length()).strip();
        // Each attachment adds at most one note, in either wording.
        List<Message.AttachmentRef> unnoted = new ArrayList<>(local.attachments() == null ? List.of() : local.attachments());
        while (!rest.isEmpty()) {
            String note = null;
            for (Message.AttachmentRef ref : unnoted) {
                for (String candidate : List.of(normalise(tooLargeNote(ref.name())), normalise(notForwardedNote(ref.name())))) {
                    if (rest.startsWith(candidate)) {
                        note = candidate;
                        unnoted.remove(ref);
                        break;
                    }
                }
                if (note != null) {
                    break;
                }
            }
            if (note == null) {
                return false;
            }
            rest = rest.substring(note.length()).strip();
        }
        return true;
    }

    /** The note in place of an attachment larger than the SNS accepts. */
    static String tooLargeNote(String name) {
        return "（添付「" + name + "」は大きすぎるため転送されませんでした）";
    }

    /** The note in place of an attachment the SNS refused or that could not be read. */
    static String notForwardedNote(String name) {
        return "（添付「" + name + "」は転送できませんでした）";
    }

    private static String normalise(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").strip();
    }

    static OutboundMessage render(Message m, String instanceId, String externalParentId, List<String> attachmentIds,
                                  List<String> notes) {
        String header = header(m.author());
        StringBuilder text = new StringBuilder(header).append('\n').append(body(m));
        notes.forEach(n -> text.append('\n').append(n));
        String html = null;
        if (m.html() != null) {
            StringBuilder h = new StringBuilder(Entities.escape(header)).append("<br>").append(m.html());
            if (m.request() != null) {
                h.append("<br>").append(Entities.escape(m.request().line()));
            }
            notes.forEach(n -> h.append("<br>").append(Entities.escape(n)));
            html = h.toString();
        }
        return new OutboundMessage(text.toString(), html, externalParentId, attachmentIds, mentions(m, instanceId));
    }

    /** Fingerprint of what an edit would change there: text, rich form and attachments. */
    static String contentHash(Message m) {
        List<String> attachments = m.attachments() == null ? List.of()
                : m.attachments().stream().map(Message.AttachmentRef::id).toList();
        // A message without a request keeps the fingerprint it had before requests existed: no mass edit on upgrade.
        return m.request() == null ? Ids.derived(m.text(), Objects.toString(m.html()), attachments.toString())
                : Ids.derived(m.text(), Objects.toString(m.html()), attachments.toString(), m.request().line());
    }

    /**
     * The text after the author line: the message's text and, for a request (依頼), its line, since the SNS has no
     * requests of its own. Its moves reach the SNS as the 承知/完了 stamps they are; declining and cancelling stay here.
     */
    static String body(Message m) {
        return m.request() == null ? m.text() : m.text() + "\n" + m.request().line();
    }

    static String header(Message.Author a) {
        StringJoiner who = new StringJoiner("／", "【", "】");
        who.add(a.displayName() == null ? "(不明)" : a.displayName());
        if (a.profession() != null) {
            who.add(a.profession().label());
        }
        if (a.facilityName() != null && !a.facilityName().isBlank()) {
            who.add(a.facilityName());
        }
        return who.toString();
    }

    private static ExternalMessage.Mentions mentions(Message m, String instanceId) {
        Message.Mentions in = m.mentions() == null ? Message.Mentions.NONE : m.mentions();
        String prefix = ExternalMessageHandler.externalUserId(instanceId, "");
        List<String> users = new ArrayList<>();
        in.users().stream().filter(u -> u.startsWith(prefix)).forEach(u -> users.add(u.substring(prefix.length())));
        List<String> stations = new ArrayList<>();
        in.facilities().stream().filter(f -> f.startsWith(prefix)).forEach(f -> stations.add(f.substring(prefix.length())));
        return new ExternalMessage.Mentions(users, stations, in.room());
    }
}
