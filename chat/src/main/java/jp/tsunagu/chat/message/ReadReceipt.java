package jp.tsunagu.chat.message;

import java.time.Instant;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

import jp.tsunagu.chat.identity.Profession;

/**
 * How far one member has read in one room. A message is read by a member when its {@code seq} is at most
 * {@code upToSeq}.
 *
 * @param id {@code roomId:userId}
 * @param seq the room sequence number of the last advance, for stream resumption
 */
@Document("reads")
public record ReadReceipt(@Id String id, String roomId, String userId, String displayName, Profession profession,
                          String facilityId, long upToSeq, long seq, Instant at) {
}
