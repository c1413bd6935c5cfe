package jp.tsunagu.chat.handler;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.ApiException;

/** The one check for endpoints of the regional IT office (the {@code system_admin} role). */
public final class AdminAccess {

    private AdminAccess() {
    }

    /** 403 with {@code detail} unless the caller is a system administrator. */
    public static void require(CareUser user, String detail) {
        if (user == null || !user.hasRole(CareUser.SYSTEM_ADMIN)) {
            throw ApiException.forbidden(detail);
        }
    }
}
