package jp.tsunagu.chat.room;

/** Patient rooms centre on one resident; group rooms gather a team; direct rooms hold two people. */
public enum RoomKind {
    PATIENT, GROUP, DIRECT
}
