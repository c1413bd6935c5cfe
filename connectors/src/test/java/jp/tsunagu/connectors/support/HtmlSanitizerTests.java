package jp.tsunagu.connectors.support;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HtmlSanitizerTests {

    private final HtmlSanitizer sanitizer = new HtmlSanitizer();

    @Test
    void scriptsHandlersAndStylesAreRemoved() {
        String dirty = "<p style=\"color:red\" onclick=\"steal(document.cookie)\">体温 <b>38.5℃</b>"
                + "<script>alert('XSS')</script><img src=x onerror=alert(1)><iframe src=\"https://evil\"></iframe></p>";
        assertThat(sanitizer.clean(dirty)).isEqualTo("<p>体温 <b>38.5℃</b></p>");
    }

    @Test
    void linksKeepOnlySafeProtocolsAndGetRel() {
        assertThat(sanitizer.clean("<a href=\"javascript:alert(1)\">x</a>")).isEqualTo("<a rel=\"nofollow noopener noreferrer\">x</a>");
        assertThat(sanitizer.clean("<a href=\"https://example.jp/care\" target=\"_top\">計画書</a>"))
                .isEqualTo("<a href=\"https://example.jp/care\" rel=\"nofollow noopener noreferrer\">計画書</a>");
    }

    @Test
    void plainTextKeepsLineBreaksFromBreaksAndBlocks() {
        assertThat(sanitizer.toText("<p>体温 <b>38.5℃</b><br>様子見</p><ul><li>朝</li><li>夕</li></ul>"))
                .isEqualTo("体温 38.5℃\n様子見\n朝\n夕");
    }

    @Test
    void textToHtmlEscapesAndBreaksLines() {
        assertThat(sanitizer.textToHtml("a < b & c\n次の行")).isEqualTo("a &lt; b &amp; c<br>次の行");
    }
}
