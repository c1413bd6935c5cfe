package jp.tsunagu.connectors.support;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.TextNode;
import org.jsoup.safety.Safelist;

/**
 * Reduces HTML from clients and external SNS to a small safe subset, and derives the plain text that is
 * always kept beside it (for search, notifications, previews and systems that take no HTML).
 */
public final class HtmlSanitizer {

    /**
     * What a care note needs: emphasis, line breaks, lists, quotes, code and links. No images (they come as
     * attachments, which are checked), no styles, no scripts or event handlers.
     */
    private static final Safelist SAFE = new Safelist()
            .addTags("b", "strong", "i", "em", "u", "s", "br", "p", "ul", "ol", "li", "blockquote", "code", "pre")
            .addTags("a")
            .addAttributes("a", "href")
            .addProtocols("a", "href", "http", "https", "mailto", "tel")
            .addEnforcedAttribute("a", "rel", "nofollow noopener noreferrer");

    /** Returns the safe subset of {@code html}; null stays null. */
    public String clean(String html) {
        if (html == null) {
            return null;
        }
        Document.OutputSettings out = new Document.OutputSettings().prettyPrint(false);
        return Jsoup.clean(html, "", SAFE, out);
    }

    /** Plain text of an HTML fragment, keeping line breaks from {@code <br>} and block ends. */
    public String toText(String html) {
        if (html == null) {
            return "";
        }
        Document doc = Jsoup.parseBodyFragment(html);
        // wholeText() already renders <br> as a line break; block ends need one added.
        doc.select("p, li, div, blockquote, pre, h1, h2, h3, h4, h5, h6, tr").forEach(e -> e.appendChild(new TextNode("\n")));
        return doc.body().wholeText().replaceAll("[ \\t\\x0B\\f\\r]+\\n", "\n").replaceAll("\\n{3,}", "\n\n").strip();
    }

    /** Renders plain text as HTML with escaping and {@code <br>} for line breaks (for SNS that want HTML). */
    public String textToHtml(String text) {
        if (text == null) {
            return "";
        }
        return org.jsoup.nodes.Entities.escape(text).replace("\r\n", "\n").replace("\n", "<br>");
    }
}
