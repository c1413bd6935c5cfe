package jp.tsunagu.connectors.sns;

/**
 * A room of the external SNS.
 *
 * @param externalResidentId for patient rooms, the resident's id if the SNS knows one; matches the person
 *                           across systems
 */
public record ExternalRoom(String id, Type type, String name, String externalResidentId) {

    public enum Type {
        PATIENT, GROUP, DIRECT
    }
}
