package jp.tsunagu.bridge.outbound;

import java.time.Instant;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A local change the bridge gave up delivering to an SNS: refused for good, or still failing after the retry
 * schedule's 24 h. The message itself shows {@code failed}; this record lets operators list and replay them.
 *
 * @param id derived from (link, message, the message's change that failed): the same failure is kept once
 * @param operation what could not be done: {@code post}, {@code edit}, {@code delete} or {@code stamp}
 * @param replayedAt when an operator sent it again, null until then
 */
@Document("bridge_dead_letters")
public record DeadLetter(@Id String id, String linkId, String roomId, String instanceId, String messageId,
                         long changeSeq, String operation, String reason, int attempts, Instant failedAt,
                         Instant replayedAt) {
}
