package jp.tsunagu.chat.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

/**
 * Signs RS256 access tokens with an in-process key. Used by the demo issuer, the load tool and the
 * tests; never by production, which trusts an external OIDC issuer.
 */
public final class LocalJwtIssuer {

    private final RSAKey key;
    private final String issuer;

    public LocalJwtIssuer(String issuer, KeyPair keyPair) {
        this.issuer = issuer;
        this.key = new RSAKey.Builder((RSAPublicKey) keyPair.getPublic())
                .privateKey(keyPair.getPrivate())
                .keyID(UUID.nameUUIDFromBytes(keyPair.getPublic().getEncoded()).toString())
                .algorithm(JWSAlgorithm.RS256)
                .build();
    }

    public static LocalJwtIssuer withNewKey(String issuer) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return new LocalJwtIssuer(issuer, generator.generateKeyPair());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("RSA is required by the JDK", e);
        }
    }

    /**
     * An issuer whose key lives in {@code keyFile} (see {@link #loadOrCreateKeyPair}), so that another
     * process holding the same file (the load tool) mints tokens this one trusts.
     */
    public static LocalJwtIssuer withKeyFile(String issuer, Path keyFile) {
        return new LocalJwtIssuer(issuer, loadOrCreateKeyPair(keyFile));
    }

    /**
     * Reads an RSA private key from a PEM file ({@code -----BEGIN PRIVATE KEY-----}, PKCS#8, as written by
     * {@code openssl genpkey -algorithm RSA}), or, when the file does not exist, generates a 2048-bit key and
     * writes it there (owner-only permissions where the file system has them). Two processes racing to create
     * the file end up with the same key: the loser of the race reads the winner's file.
     */
    public static KeyPair loadOrCreateKeyPair(Path keyFile) {
        try {
            if (Files.exists(keyFile)) {
                return readPem(Files.readString(keyFile, StandardCharsets.US_ASCII), keyFile);
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            Path dir = keyFile.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".key-", ".tmp");
            try {
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: the folder's permissions apply
                }
                Files.writeString(tmp, toPem(pair), StandardCharsets.US_ASCII);
                Files.move(tmp, keyFile); // fails if another process created the file meanwhile
                return pair;
            } catch (FileAlreadyExistsException e) {
                return readPem(Files.readString(keyFile, StandardCharsets.US_ASCII), keyFile);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the issuer key file " + keyFile, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("RSA is required by the JDK", e);
        }
    }

    private static KeyPair readPem(String pem, Path source) {
        String base64 = pem.replace("-----BEGIN PRIVATE KEY-----", "")
                .replace("-----END PRIVATE KEY-----", "")
                .replaceAll("\\s", "");
        try {
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            var key = rsa.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
            if (!(key instanceof RSAPrivateCrtKey crt)) {
                throw new IllegalArgumentException(source + " does not hold an RSA private key with CRT parameters");
            }
            var pub = rsa.generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
            return new KeyPair(pub, crt);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not a PEM PKCS#8 RSA private key", e);
        }
    }

    private static String toPem(KeyPair pair) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    public String issuer() {
        return issuer;
    }

    /** Mints a token for the user with the default claim names, valid for {@code ttl}. */
    public String mint(CareUser user, Duration ttl) {
        return mint(user.id(), Map.of(
                "name", user.displayName(),
                "profession", user.profession().code(),
                "facility", user.facilityId() == null ? "" : user.facilityId(),
                "facility_name", user.facilityName() == null ? "" : user.facilityName(),
                "roles", user.roles().stream().sorted().toList()), ttl);
    }

    public String mint(String subject, Map<String, Object> extraClaims, Duration ttl) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(subject)
                .issueTime(java.util.Date.from(now))
                .expirationTime(java.util.Date.from(now.plus(ttl)))
                .jwtID(UUID.randomUUID().toString());
        extraClaims.forEach(claims::claim);
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                    claims.build());
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("signing failed", e);
        }
    }

    /** The public key set, as served at the demo issuer's JWKS endpoint. */
    public Map<String, Object> jwks() {
        return new JWKSet(key.toPublicJWK()).toJSONObject();
    }

    /** A decoder that trusts exactly this key and checks issuer and expiry. */
    public ReactiveJwtDecoder decoder() {
        try {
            NimbusReactiveJwtDecoder decoder = NimbusReactiveJwtDecoder.withPublicKey(key.toRSAPublicKey()).build();
            decoder.setJwtValidator(org.springframework.security.oauth2.jwt.JwtValidators.createDefaultWithIssuer(issuer));
            return decoder;
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
