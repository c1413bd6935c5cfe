package jp.tsunagu.chat.room;

import java.time.Instant;
import java.util.Set;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.Profession;

/**
 * A person known to this server, so that others can invite them. Filled from each user's token on
 * sign-in (the identity provider stays the source of truth) and by provisioning.
 */
@Document("users")
public record DirectoryUser(@Id String id, String displayName, Profession profession, String facilityId,
                            String facilityName, Set<String> roles, Instant updatedAt) {

    public static DirectoryUser of(CareUser user, Instant now) {
        return new DirectoryUser(user.id(), user.displayName(), user.profession(), user.facilityId(),
                user.facilityName(), user.roles(), now);
    }

    public CareUser toCareUser() {
        return new CareUser(id, displayName, profession, facilityId, facilityName, roles);
    }
}
