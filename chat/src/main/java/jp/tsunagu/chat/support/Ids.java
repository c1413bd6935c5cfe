package jp.tsunagu.chat.support;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

import org.bson.types.ObjectId;

/**
 * Ids of rooms, messages and attachments: 24 lowercase hex characters (a MongoDB ObjectId, or the first 12
 * bytes of a SHA-256 when the id must follow from the request, which makes a retried create hit the same
 * document and lets the unique {@code _id} index refuse the duplicate).
 */
public final class Ids {

    private static final Pattern ID = Pattern.compile("[0-9a-f]{24}");
    /** Long enough for any IdP subject or UUID, short enough to keep keys and logs sane. */
    private static final int MAX_USER_ID = 128;
    private static final Pattern USER_ID = Pattern.compile("[\\p{Alnum}._@:|+-]{1," + MAX_USER_ID + "}");

    private Ids() {
    }

    public static String newId() {
        return new ObjectId().toHexString();
    }

    /** A stable id for a natural key such as {@code user + idempotency key}. */
    public static String derived(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Checks an id from a path or body; a malformed one is a 400 naming {@code field}. */
    public static String require(String field, String value) {
        if (value == null || !ID.matcher(value).matches()) {
            throw ApiException.invalid(field, "must be 24 lowercase hex characters");
        }
        return value;
    }

    public static String requireUserId(String field, String value) {
        if (value == null || !USER_ID.matcher(value).matches()) {
            throw ApiException.invalid(field, "must be 1-" + MAX_USER_ID + " letters, digits or ._@:|+-");
        }
        return value;
    }
}
