package jp.tsunagu.chat.identity;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
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
