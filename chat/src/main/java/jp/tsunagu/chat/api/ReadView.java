package jp.tsunagu.chat.api;

import java.time.Instant;

import jp.tsunagu.chat.message.ReadReceipt;

/** One member's read position. */
public record ReadView(String roomId, String userId, String displayName, ProfessionView profession, long upToSeq,
                       long seq, Instant at) {

    public static ReadView of(ReadReceipt r) {
        return new ReadView(r.roomId(), r.userId(), r.displayName(), ProfessionView.of(r.profession()), r.upToSeq(),
                r.seq(), r.at());
    }
}
