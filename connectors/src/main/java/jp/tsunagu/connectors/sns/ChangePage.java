package jp.tsunagu.connectors.sns;

import java.util.List;

/**
 * One poll of a room.
 *
 * @param next the cursor to pass next time; unchanged when nothing came
 * @param rejected items that did not parse, to quarantine with the reason; never fail the whole page
 */
public record ChangePage(List<ExternalMessage> messages, String next, List<Rejected> rejected) {

    public ChangePage {
        messages = List.copyOf(messages);
        rejected = rejected == null ? List.of() : List.copyOf(rejected);
    }

    /** A payload the connector could not read: kept for people to look at, with why. */
    public record Rejected(String roomId, String payload, String reason) {
    }
}
