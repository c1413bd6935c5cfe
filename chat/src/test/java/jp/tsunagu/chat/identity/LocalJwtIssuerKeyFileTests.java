package jp.tsunagu.chat.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalJwtIssuerKeyFileTests {

    @TempDir
    Path dir;

    private static final CareUser NURSE = new CareUser("ns-1", "看護 花子", Profession.NURSE, "vns-1", "訪問看護", Set.of());

    @Test
    void createsTheKeyFileOnceAndReadsItBack() throws Exception {
        Path file = dir.resolve("keys/issuer.pem");
        LocalJwtIssuer first = LocalJwtIssuer.withKeyFile("urn:test", file);
        String pem = Files.readString(file);
        assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        LocalJwtIssuer second = LocalJwtIssuer.withKeyFile("urn:test", file);
        assertThat(Files.readString(file)).isEqualTo(pem);
        assertThat(second.jwks()).isEqualTo(first.jwks());
        // a token of one process is trusted by the other
        var jwt = first.decoder().decode(second.mint(NURSE, Duration.ofMinutes(5))).block();
        assertThat(jwt.getSubject()).isEqualTo("ns-1");
    }

    @Test
    void refusesAFileThatIsNotAPkcs8RsaKey() throws Exception {
        Path file = dir.resolve("bad.pem");
        Files.writeString(file, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> LocalJwtIssuer.loadOrCreateKeyPair(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a PEM PKCS#8 RSA private key");
    }
}
