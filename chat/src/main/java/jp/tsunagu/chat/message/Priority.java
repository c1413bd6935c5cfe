package jp.tsunagu.chat.message;

/** Urgent messages are badged in room lists and meant to reach the doctor at once. */
public enum Priority {
    NORMAL, URGENT
}
