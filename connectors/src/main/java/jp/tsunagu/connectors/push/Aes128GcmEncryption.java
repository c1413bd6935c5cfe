package jp.tsunagu.connectors.push;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.agreement.ECDHBasicAgreement;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;

/**
 * Message encryption for Web Push (RFC 8291): a new P-256 key pair per message, ECDH with the browser's key, the
 * two HKDF steps with its authentication secret, one aes128gcm record (RFC 8188). The elliptic-curve arithmetic is
 * Bouncy Castle's (a curve-specific field, a precomputed comb for the generator): it costs about 0.23 ms a push
 * where the JDK 17's took 1.5 ms, most of the server's work for a push. HMAC and AES-GCM are the JDK's.
 * Thread-safe and stateless but for its random source.
 */
public final class Aes128GcmEncryption {

    /** RFC 8291, section 4: one record of 4096 bytes at most, 16 of them the tag and 1 the delimiter. */
    public static final int MAX_PAYLOAD = 4096 - 16 - 1 - 86;
    private static final int RECORD_SIZE = 4096;
    private static final X9ECParameters P256 = CustomNamedCurves.getByName("secp256r1");
    private static final ECDomainParameters DOMAIN = new ECDomainParameters(P256.getCurve(), P256.getG(), P256.getN(),
            P256.getH());
    private static final byte[] KEY_INFO = "WebPush: info\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CEK_INFO = "Content-Encoding: aes128gcm\0\1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NONCE_INFO = "Content-Encoding: nonce\0\1".getBytes(StandardCharsets.US_ASCII);

    private final SecureRandom random = new SecureRandom();

    /**
     * The aes128gcm body for one browser.
     *
     * @param uaPublic   the browser's key ({@code p256dh}), an uncompressed P-256 point
     * @param authSecret the browser's 16-byte authentication secret ({@code auth})
     * @throws IllegalArgumentException when the key is not a point of P-256, the secret not 16 bytes or the payload
     *                                  longer than one record takes
     */
    public byte[] encrypt(byte[] uaPublic, byte[] authSecret, byte[] payload) {
        if (authSecret.length != 16) {
            throw new IllegalArgumentException("auth must be 16 bytes");
        }
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload over " + MAX_PAYLOAD + " bytes");
        }
        ECPoint ua;
        try {
            ua = DOMAIN.getCurve().decodePoint(uaPublic);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("p256dh is not a P-256 point", e);
        }
        if (uaPublic.length != 65 || uaPublic[0] != 4 || !ua.isValid() || ua.isInfinity()) {
            throw new IllegalArgumentException("p256dh is not an uncompressed P-256 point");
        }
        ECKeyPairGenerator generator = new ECKeyPairGenerator();
        generator.init(new ECKeyGenerationParameters(DOMAIN, random));
        AsymmetricCipherKeyPair as = generator.generateKeyPair();
        byte[] asPublic = ((ECPublicKeyParameters) as.getPublic()).getQ().getEncoded(false);
        ECDHBasicAgreement ecdh = new ECDHBasicAgreement();
        ecdh.init(as.getPrivate());
        // The x coordinate, left-padded: a secret with leading zero bytes is still 32 bytes long (SEC 1, 3.3.1).
        byte[] secret = BigIntegers.asUnsignedByteArray(32, ecdh.calculateAgreement(new ECPublicKeyParameters(ua, DOMAIN)));
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        try {
            // RFC 8291, section 3.4: the key and the nonce of the content encoding.
            byte[] prkKey = hmac(authSecret, secret);
            byte[] ikm = hmac(prkKey, concat(KEY_INFO, uaPublic, asPublic, new byte[]{1}));
            byte[] prk = hmac(salt, ikm);
            byte[] cek = Arrays.copyOf(hmac(prk, CEK_INFO), 16);
            byte[] nonce = Arrays.copyOf(hmac(prk, NONCE_INFO), 12);
            Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(cek, "AES"), new GCMParameterSpec(128, nonce));
            // RFC 8188, section 2: the last (here the only) record ends with the delimiter 2.
            byte[] ciphertext = aes.doFinal(concat(payload, new byte[]{2}));
            return ByteBuffer.allocate(16 + 4 + 1 + asPublic.length + ciphertext.length)
                    .put(salt).putInt(RECORD_SIZE).put((byte) asPublic.length).put(asPublic).put(ciphertext).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HMAC-SHA-256 or AES-GCM", e);
        }
    }

    private static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data);
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        ByteBuffer out = ByteBuffer.allocate(length);
        for (byte[] p : parts) {
            out.put(p);
        }
        return out.array();
    }
}
