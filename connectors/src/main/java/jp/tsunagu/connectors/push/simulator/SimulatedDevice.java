package jp.tsunagu.connectors.push.simulator;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import jp.tsunagu.connectors.push.VapidKeys;

/**
 * A browser's side of a push subscription: its P-256 key pair and authentication secret, and the decryption of
 * what the push service hands it (RFC 8291 with the aes128gcm content coding of RFC 8188), written from the RFCs
 * with the JDK's crypto alone. It shares no code with the server's {@code Aes128GcmEncryption}, its small helpers
 * included, on purpose: it is the check of that code.
 */
public final class SimulatedDevice {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final String id;
    private final String endpoint;
    private final KeyPair keys;
    private final byte[] publicKey;
    private final byte[] auth = new byte[16];

    SimulatedDevice(String id, String endpoint) {
        this.id = id;
        this.endpoint = endpoint;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            this.keys = generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no P-256", e);
        }
        this.publicKey = VapidKeys.uncompressed((ECPublicKey) keys.getPublic());
        new SecureRandom().nextBytes(auth);
    }

    public String id() {
        return id;
    }

    public String endpoint() {
        return endpoint;
    }

    /** {@code keys.p256dh} of the subscription. */
    public String p256dh() {
        return B64.encodeToString(publicKey);
    }

    /** {@code keys.auth} of the subscription. */
    public String auth() {
        return B64.encodeToString(auth);
    }

    /** The subscription as {@code PushSubscription.toJSON()} gives it. */
    public String subscriptionJson() {
        return "{\"endpoint\":\"" + endpoint + "\",\"keys\":{\"p256dh\":\"" + p256dh() + "\",\"auth\":\"" + auth() + "\"}}";
    }

    /** Decrypts an aes128gcm body sent to this device; fails on anything that is not one. */
    public String decrypt(byte[] body) throws GeneralSecurityException {
        ByteBuffer in = ByteBuffer.wrap(body);
        byte[] salt = new byte[16];
        in.get(salt);
        int recordSize = in.getInt();
        int idLength = in.get() & 0xff;
        if (idLength != 65 || recordSize < 18) {
            throw new GeneralSecurityException("not an RFC 8291 header (keyid " + idLength + " bytes, rs " + recordSize + ")");
        }
        byte[] serverKey = new byte[65];
        in.get(serverKey);
        byte[] ciphertext = new byte[in.remaining()];
        in.get(ciphertext);

        KeyAgreement ecdh = KeyAgreement.getInstance("ECDH");
        ecdh.init(keys.getPrivate());
        ecdh.doPhase(publicKeyOf(serverKey), true);
        byte[] secret = ecdh.generateSecret();
        // RFC 8291, section 3.4.
        byte[] prkKey = hmac(auth, secret);
        byte[] keyInfo = concat("WebPush: info\0".getBytes(StandardCharsets.US_ASCII), publicKey, serverKey, new byte[]{1});
        byte[] ikm = hmac(prkKey, keyInfo);
        byte[] prk = hmac(salt, ikm);
        byte[] cek = Arrays.copyOf(hmac(prk, "Content-Encoding: aes128gcm\0\1".getBytes(StandardCharsets.US_ASCII)), 16);
        byte[] nonce = Arrays.copyOf(hmac(prk, "Content-Encoding: nonce\0\1".getBytes(StandardCharsets.US_ASCII)), 12);
        Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
        aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(cek, "AES"), new GCMParameterSpec(128, nonce));
        byte[] padded = aes.doFinal(ciphertext);
        // RFC 8188, section 2: the last record ends with the delimiter 2, then zero padding.
        int end = padded.length - 1;
        while (end >= 0 && padded[end] == 0) {
            end--;
        }
        if (end < 0 || padded[end] != 2) {
            throw new GeneralSecurityException("no last-record delimiter");
        }
        return new String(padded, 0, end, StandardCharsets.UTF_8);
    }

    private ECPublicKey publicKeyOf(byte[] point) throws GeneralSecurityException {
        ECPublicKey ours = (ECPublicKey) keys.getPublic();
        ECPoint w = new ECPoint(new BigInteger(1, Arrays.copyOfRange(point, 1, 33)),
                new BigInteger(1, Arrays.copyOfRange(point, 33, 65)));
        return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, ours.getParams()));
    }

    static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
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
