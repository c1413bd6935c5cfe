package jp.tsunagu.chat.room;

/**
 * What a member may do in a room. Owners manage membership and archive; members post; the resident and
 * family read and post in their own room only.
 */
public enum MemberRole {
    OWNER, MEMBER, RESIDENT, FAMILY;

    public boolean canManage() {
        return this == OWNER;
    }

    public boolean canInvite() {
        return this == OWNER || this == MEMBER;
    }
}
