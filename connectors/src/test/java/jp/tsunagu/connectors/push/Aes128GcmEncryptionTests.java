package jp.tsunagu.connectors.push;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import jp.tsunagu.connectors.push.simulator.PushServiceSimulator;
import jp.tsunagu.connectors.push.simulator.SimulatedDevice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * RFC 8291 encryption decrypted by the simulated browser (the JDK's ECDH, written from the RFC separately); the
 * independent check is http_ece's, in ops/src/test/e2e. Two thousand messages meet about eight shared secrets with a
 * leading zero byte, which must still be 32 bytes long.
 */
class Aes128GcmEncryptionTests {

    private final Aes128GcmEncryption encryption = new Aes128GcmEncryption();
    private final PushServiceSimulator service = new PushServiceSimulator().start(0);

    @AfterEach
    void stop() {
        service.close();
    }

    @Test
    void everyMessageDecryptsForItsBrowser() throws Exception {
        for (int i = 0; i < 2_000; i++) {
            SimulatedDevice d = service.subscribe();
            String text = "{\"n\":" + i + ",\"title\":\"メンションがあります\"}";
            byte[] body = encryption.encrypt(decode(d.p256dh()), decode(d.auth()), text.getBytes(StandardCharsets.UTF_8));
            assertThat(d.decrypt(body)).isEqualTo(text);
        }
    }

    @Test
    void theLargestPayloadFitsOneRecordAndALargerOneIsRefused() throws Exception {
        SimulatedDevice d = service.subscribe();
        byte[] largest = "x".repeat(Aes128GcmEncryption.MAX_PAYLOAD).getBytes(StandardCharsets.UTF_8);
        byte[] body = encryption.encrypt(decode(d.p256dh()), decode(d.auth()), largest);
        assertThat(body).hasSize(4096);
        assertThat(d.decrypt(body)).hasSize(Aes128GcmEncryption.MAX_PAYLOAD);
        assertThatThrownBy(() -> encryption.encrypt(decode(d.p256dh()), decode(d.auth()), new byte[largest.length + 1]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aKeyOffTheCurveOrAShortSecretIsRefused() {
        SimulatedDevice d = service.subscribe();
        byte[] off = new byte[65];
        off[0] = 4;
        off[64] = 1;
        assertThatThrownBy(() -> encryption.encrypt(off, decode(d.auth()), new byte[]{1})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> encryption.encrypt(decode(d.p256dh()), new byte[8], new byte[]{1}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] decode(String base64url) {
        return Base64.getUrlDecoder().decode(base64url);
    }
}
