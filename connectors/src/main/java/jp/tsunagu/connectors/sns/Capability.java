package jp.tsunagu.connectors.sns;

/** What an external SNS supports. */
public enum Capability {
    /** Changes are fetched with {@link SnsConnector#probe} and {@link SnsConnector#changes}. */
    POLLING,
    /** Changes arrive as signed webhooks. */
    WEBHOOKS,
    THREADS,
    EDITS,
    DELETES,
    STAMPS,
    ATTACHMENTS,
    MENTIONS
}
