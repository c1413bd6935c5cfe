package jp.tsunagu.chat.identity;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.springframework.security.oauth2.jwt.Jwt;

import jp.tsunagu.chat.support.ApiException;

/**
 * Maps a validated JWT to a {@link CareUser} using the configured {@link ClaimNames}.
 *
 * <p>A token without a subject or a known profession is refused with 403: the issuer is trusted for who
 * the person is, but the server cannot decide what they may see without a profession.
 */
public final class CareUserResolver {

    private final ClaimNames claims;

    public CareUserResolver(ClaimNames claims) {
        this.claims = claims;
    }

    public CareUser resolve(Jwt jwt) {
        String id = jwt.getClaimAsString(claims.userId());
        if (id == null || id.isBlank()) {
            throw ApiException.forbidden("token has no '" + claims.userId() + "' claim");
        }
        Profession profession = Profession.parse(jwt.getClaimAsString(claims.profession()))
                .orElseThrow(() -> ApiException.forbidden(
                        "token has no known '" + claims.profession() + "' claim"));
        String name = jwt.getClaimAsString(claims.displayName());
        return new CareUser(id, name == null || name.isBlank() ? id : name, profession,
                blankToNull(jwt.getClaimAsString(claims.facility())),
                blankToNull(jwt.getClaimAsString(claims.facilityName())),
                roles(jwt.getClaim(claims.roles())));
    }

    private static Set<String> roles(Object claim) {
        Set<String> roles = new HashSet<>();
        if (claim instanceof Collection<?> list) {
            list.forEach(r -> roles.add(String.valueOf(r)));
        } else if (claim instanceof String s && !s.isBlank()) {
            roles.addAll(List.of(s.trim().split("[\\s,]+")));
        }
        return roles;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
