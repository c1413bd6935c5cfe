package jp.tsunagu.ops.bench;

import java.util.List;
import java.util.Random;

/**
 * Care notes as home-care teams write them, for benchmarks: vitals, medication, meals, skin, falls, bathing,
 * schedules, in the mix of kanji, kana, half-width katakana, Latin abbreviations and numbers real notes have. Made
 * from a seed, so every run has the same million notes.
 */
final class CareNotes {

    private static final List<String> DRUGS = List.of("ワーファリン", "アムロジピン", "マグミット", "ロキソニン", "ランソプラゾール",
            "ドネペジル", "アズノール軟膏", "ゲーベンクリーム", "ラシックス", "メトホルミン", "ﾜｰﾌｧﾘﾝ", "インスリン");
    private static final List<String> TEMPLATES = List.of(
            "訪問看護の記録：血圧 %d/%d、脈拍 %d、SpO2 %d%%。体温 %d.%d℃。特変なし。",
            "薬局より：%s %dmg を処方どおり継続。飲み忘れが%d回ありました。",
            "%sの服薬確認。残薬 %d 錠。次回の処方で調整をお願いします。",
            "入浴介助を実施。仙骨部の褥瘡は %dmm × %dmm、浸出液少量。%s を塗布しました。",
            "食事は朝食%d割、昼食%d割。水分 %d ml。むせ込みあり、とろみ剤を使用。",
            "夜間に転倒あり。右大腿部に打撲、痛みの訴えは NRS %d。主治医に報告済み。",
            "デイサービスより：本日は機嫌よく過ごされました。レクリエーションに参加。排便 %d 回。",
            "ケアマネジャーより：担当者会議を %d 月 %d 日に予定しています。ご都合をお知らせください。",
            "発熱 %d.%d℃、咳あり。訪問診療で抗菌薬が処方されました（%s 併用に注意）。",
            "ショートステイの利用を %d 日から %d 日まで調整中です。家族の了承済み。",
            "BP %d/%d, HR %d. Warfarin INR %d.%d; dose unchanged.",
            "看護師より：点滴 %d ml 施行。刺入部の発赤なし。次回訪問は %d 日。",
            "理学療法士より：歩行訓練 %d m、歩行器使用で安定。階段昇降は見守りが必要です。",
            "ヘルパーより：買い物と調理を支援。冷蔵庫の食品を整理しました。ｺﾞﾐ出し済み。",
            "歯科より：義歯の調整を実施。咀嚼は良好です。口腔ケアの継続をお願いします。");

    private final Random random;

    CareNotes(long seed) {
        this.random = new Random(seed);
    }

    String next() {
        String template = TEMPLATES.get(random.nextInt(TEMPLATES.size()));
        int slots = template.split("%[ds]", -1).length - 1;
        Object[] args = new Object[slots];
        int argIndex = 0;
        for (int i = 0; i + 1 < template.length() && argIndex < slots; i++) {
            if (template.charAt(i) == '%' && template.charAt(i + 1) == 's') {
                args[argIndex++] = DRUGS.get(random.nextInt(DRUGS.size()));
            } else if (template.charAt(i) == '%' && template.charAt(i + 1) == 'd') {
                args[argIndex++] = 1 + random.nextInt(180);
            }
        }
        return String.format(template, args);
    }
}
