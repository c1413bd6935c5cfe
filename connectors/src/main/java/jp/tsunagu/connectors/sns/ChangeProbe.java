package jp.tsunagu.connectors.sns;

/** Whether anything changed since the last probe, and the token for the next one. */
public record ChangeProbe(boolean changed, String next) {
}
