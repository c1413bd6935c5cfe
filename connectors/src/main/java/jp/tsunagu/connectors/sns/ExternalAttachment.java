package jp.tsunagu.connectors.sns;

/** A file attached to an external message; {@code url} is for the connector's own download. */
public record ExternalAttachment(String id, String name, String contentType, long size, String url) {
}
