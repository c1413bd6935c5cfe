package jp.tsunagu.chat.api;

/**
 * Descriptions of the error answers particular to some operations, for their {@code @ApiResponse}s; the content
 * (problem+json) and the answers every operation shares are added by {@code ProblemResponses}. Each says which
 * refusal of the handlers it stands for (the problem's {@code type} slug in brackets).
 */
public final class ErrorDocs {

    /** RoomAccess.requireWritable / nextSeqForWrite. */
    public static final String ARCHIVED = "The room is archived and read-only (`room-archived`), or the change does "
            + "not fit the item's state (e.g. `message-deleted`).";
    /** MessageHandler, RequestHandler, PinHandler: the room's queue of changes (tsunagu.chat.room-queue-limit). */
    public static final String ROOM_BUSY = "Too many changes of the room are waiting (`room-busy`); nothing was "
            + "stored: retry after `Retry-After` seconds, with the same Idempotency-Key.";
    /** MentionResolver, RequestAssignees, MessageHandler.replay. */
    public static final String POST_UNPROCESSABLE = "A mention or assignee who is not a member, someone else's "
            + "attachment, or an Idempotency-Key already used for another message (`unprocessable`, the field named).";
    /** PatientRoom.of. */
    public static final String NOT_PATIENT_ROOM = "Not a patient room whose resident has an external resident id "
            + "(`unprocessable`, field `roomId`), or input that does not fit the grant or request.";
    /** The consent handler's state checks. */
    public static final String CONSENT_STATE = "The request or grant is no longer in a state that allows this "
            + "(already decided, withdrawn, revoked or expired).";
    /** RoomHandler.resolveInvitees / role. */
    public static final String MEMBER_UNPROCESSABLE = "An unknown user, or a role that does not fit the user "
            + "(`unprocessable`, the field named).";
    /** SearchHandler: the index is being built. */
    public static final String SEARCH_UNAVAILABLE = "The search index is still being built; retry after `Retry-After` "
            + "seconds.";
    /** Not found by id (never told apart from not visible to the caller). */
    public static final String NOT_FOUND = "Unknown, or not visible to the caller (the two are never told apart).";

    private ErrorDocs() {
    }
}
