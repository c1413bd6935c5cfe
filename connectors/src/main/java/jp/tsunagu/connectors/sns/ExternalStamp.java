package jp.tsunagu.connectors.sns;

/** The five acknowledgements, in the external SNS's terms (the MCS profile's reaction types). */
public enum ExternalStamp {
    VIEWED, ACCEPTED, THANKED, GOOD, COMPLETED
}
