package jp.tsunagu.chat.search;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** One normalisation for what is indexed and what is asked: width, case and kana do not matter. */
class SearchTextTests {

    @Test
    void widthCaseAndKanaAreFolded() {
        assertThat(SearchText.normalize("ﾜｰﾌｧﾘﾝ").text()).isEqualTo(SearchText.normalize("ワーファリン").text())
                .isEqualTo(SearchText.normalize("わーふぁりん").text()).isEqualTo("わーふぁりん");
        assertThat(SearchText.normalize("ｶﾞｰｾﾞ").text()).isEqualTo("がーぜ");
        assertThat(SearchText.normalize("ＢＰ１４０／８５").text()).isEqualTo("bp140/85");
        assertThat(SearchText.normalize("Warfarin").text()).isEqualTo("warfarin");
    }

    @Test
    void aHalfWidthKanaAndItsVoicingMarkMapBackToBothOriginalCharacters() {
        SearchText.Normalized n = SearchText.normalize("xｶﾞｾﾞy");
        assertThat(n.text()).isEqualTo("xがぜy");
        assertThat(n.originalStart(1)).isEqualTo(1);
        assertThat(n.originalEnd(1)).isEqualTo(3);
        assertThat(n.originalStart(2)).isEqualTo(3);
        assertThat(n.originalEnd(3)).isEqualTo(6);
    }

    @Test
    void textFallsIntoJapaneseRunsAndWordsOfLettersOrDigits() {
        List<SearchText.Run> runs = SearchText.runs(SearchText.normalize("血圧BP140で安定、ワーファリン継続（2mg）").text());
        assertThat(runs).extracting(SearchText.Run::text)
                .containsExactly("血圧", "bp", "140", "で安定", "わーふぁりん継続", "2", "mg");
        assertThat(runs).extracting(SearchText.Run::japanese).containsExactly(true, false, false, true, true, false, false);
    }

    @Test
    void aJapaneseRunIsItsCharactersAndOverlappingPairs() {
        assertThat(SearchText.characters("訪問看護")).containsExactly("訪", "問", "看", "護");
        assertThat(SearchText.pairs("訪問看護")).containsExactly("訪問", "問看", "看護");
        assertThat(SearchText.pairs("薬")).isEmpty();
        // Beyond the basic plane: one character, not two halves.
        assertThat(SearchText.characters("𠮷野家")).containsExactly("𠮷", "野", "家");
    }
}
