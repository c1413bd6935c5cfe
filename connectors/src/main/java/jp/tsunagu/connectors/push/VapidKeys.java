package jp.tsunagu.connectors.push;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Objects;

/**
 * The server's VAPID key pair (P-256), as it is stored and handed to browsers.
 *
 * @param publicKey the public key as an uncompressed point (65 bytes), base64url without padding: what a browser
 *                  passes as {@code applicationServerKey} to {@code pushManager.subscribe}
 * @param privateKey the private key, PKCS#8 DER, base64url without padding
 */
public record VapidKeys(String publicKey, String privateKey) {

    public VapidKeys {
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(privateKey, "privateKey");
    }

    /** A new key pair from the JDK's own EC implementation. */
    public static VapidKeys generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            return new VapidKeys(b64.encodeToString(uncompressed((ECPublicKey) pair.getPublic())),
                    b64.encodeToString(pair.getPrivate().getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no P-256", e);
        }
    }

    byte[] publicKeyBytes() {
        return Base64.getUrlDecoder().decode(publicKey);
    }

    byte[] privateKeyBytes() {
        return Base64.getUrlDecoder().decode(privateKey);
    }

    /** 0x04 ‖ x ‖ y, each coordinate left-padded to 32 bytes (SEC 1, 2.3.3). */
    public static byte[] uncompressed(ECPublicKey key) {
        byte[] out = new byte[65];
        out[0] = 4;
        copy32(key.getW().getAffineX().toByteArray(), out, 1);
        copy32(key.getW().getAffineY().toByteArray(), out, 33);
        return out;
    }

    private static void copy32(byte[] coordinate, byte[] out, int at) {
        int skip = Math.max(0, coordinate.length - 32);
        int len = coordinate.length - skip;
        System.arraycopy(coordinate, skip, out, at + 32 - len, len);
    }
}
