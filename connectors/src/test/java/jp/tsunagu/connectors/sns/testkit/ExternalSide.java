package jp.tsunagu.connectors.sns.testkit;

import java.util.List;

import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.ExternalStamp;

/**
 * The external SNS seen from the other side: what a person using that SNS does, and what it holds. An
 * integrator implements this over their SNS's test instance or a simulator, so the conformance kit can
 * check the connector in both directions.
 */
public interface ExternalSide {

    /** A room the connector's account can see, with at least one other person in it; returns its id. */
    String createRoom(String name);

    /** Another member posts (HTML body as the SNS takes it); returns the message id. */
    String postAsOther(String roomId, String html);

    void editAsOther(String messageId, String html);

    void deleteAsOther(String messageId);

    /** The current state of the room's messages as the SNS holds them, in the canonical shape. */
    List<ExternalMessage> messages(String roomId);

    /** How many people gave {@code stamp} to the message, as the SNS holds it. */
    int stampCount(String messageId, ExternalStamp stamp);

    /** The stored bytes of an attachment, to check uploads. */
    byte[] attachmentBytes(String attachmentId);
}
