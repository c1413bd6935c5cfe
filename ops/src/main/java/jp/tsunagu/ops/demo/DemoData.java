package jp.tsunagu.ops.demo;

import java.time.LocalDate;
import java.util.List;

/**
 * The shape of {@code demo/demo-data.json}: facilities, people, rooms and a week of conversation, and what the
 * residents agreed to share (proxies, consent requests and their decisions, excerpt cards).
 */
public record DemoData(List<Facility> facilities, List<User> users, List<Room> rooms, Consent consent) {

    public record Facility(String id, String name, String kind) {
    }

    public record User(String id, String displayName, String kana, String profession, String facilityId,
                       List<String> roles, String relationship, String residentUserOf) {
    }

    public record Room(String key, String kind, String name, Resident resident, List<Member> members,
                       List<Message> messages) {
    }

    public record Resident(String name, String kana, LocalDate birthDate, String externalResidentId) {
    }

    public record Member(String userId, String role) {
    }

    /** {@code day} is relative to today (0 today, -6 six days ago); {@code parent} is another message's ref. */
    public record Message(String ref, String author, int day, String time, String text, String html, String priority,
                          String parent, Mentions mentions, List<Stamp> stamps, Ask request) {
    }

    /**
     * A request (依頼) the message carries: {@code dueInHours} from now (negative: overdue), {@code state} open,
     * accepted or done, moved by the assignee {@code movedBy} an hour after the post (with {@code note} when done).
     */
    public record Ask(String kind, List<String> assignees, int dueInHours, String state, String movedBy, String note) {
    }

    public record Mentions(List<String> users, List<String> facilities, boolean room) {
    }

    public record Stamp(String user, String stamp) {
    }

    /** Room keys refer to {@link Room#key()}; people to {@link User#id()}. */
    public record Consent(List<Proxy> proxies, List<Request> requests) {
    }

    /** {@code basis} is needed when the room's owner, not the resident, records the proxy. */
    public record Proxy(String room, String userId, String relationship, String recordedBy, String basis) {
    }

    /** A consent request; with {@code decidedBy} it was approved (and its cards posted), without it it waits. */
    public record Request(String ref, String room, String requestedBy, List<String> categories, Audience audience,
                          String purpose, Integer validDays, String decidedBy, List<Card> cards) {
    }

    public record Audience(List<String> professions, List<String> facilities, List<String> users) {
    }

    public record Card(String by, String kind, Integer days, List<String> categories, List<String> codes, String text) {
    }
}
