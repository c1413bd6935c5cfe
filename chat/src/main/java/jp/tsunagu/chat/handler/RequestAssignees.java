package jp.tsunagu.chat.handler;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import jp.tsunagu.chat.api.Requests;
import jp.tsunagu.chat.consent.RecordReader;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.chat.message.CareRequest;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.support.ApiException;
import jp.tsunagu.chat.support.Ids;
import reactor.core.publisher.Mono;

/**
 * Turns a request's input into a {@link CareRequest}: checks the kind and the due time, and resolves the named
 * people, professions and facilities to the room's active members at that moment (a member who joins later is not
 * asked, as with mentions). Errors name the field under {@code request}: 400 for malformed input or a due time
 * that has passed, 422 for a person who is not a member or a profession or facility nobody in the room has.
 */
final class RequestAssignees {

    private final MembershipStore memberships;

    RequestAssignees(MembershipStore memberships) {
        this.memberships = memberships;
    }

    /** What the input says, checked without the database (so a bad request fails before the room's turn). */
    record Draft(CareRequest.Kind kind, CareRequest.Assignees assignees, Instant dueAt) {
    }

    static Draft draft(Requests.RequestInput in, Instant now) {
        CareRequest.Kind kind = in.kind() == null || in.kind().isBlank() ? CareRequest.Kind.OTHER
                : CareRequest.Kind.parse(in.kind()).orElseThrow(() -> ApiException.invalid("request.kind",
                        "must be one of visit_arrangement, prescription_change, report, other"));
        CareRequest.Assignees named = spec(in.assignees(), "request.assignees");
        Instant due = dueAt(in.dueAt());
        if (!due.isAfter(now)) {
            throw ApiException.invalid("request.dueAt", "must be in the future");
        }
        return new Draft(kind, named, due);
    }

    /** People, professions and facilities named under {@code field}; at least one. */
    static CareRequest.Assignees spec(Requests.AssigneesInput a, String field) {
        List<String> users = a == null || a.users() == null ? List.of() : a.users();
        List<String> professions = a == null || a.professions() == null ? List.of() : a.professions();
        List<String> facilities = a == null || a.facilities() == null ? List.of() : a.facilities();
        if (users.isEmpty() && professions.isEmpty() && facilities.isEmpty()) {
            throw ApiException.invalid(field, "must name at least one person, profession or facility");
        }
        Set<String> userIds = new LinkedHashSet<>();
        for (int i = 0; i < users.size(); i++) {
            userIds.add(Ids.requireUserId(field + ".users[" + i + "]", users.get(i)));
        }
        Set<String> professionCodes = new LinkedHashSet<>();
        for (int i = 0; i < professions.size(); i++) {
            String at = field + ".professions[" + i + "]";
            professionCodes.add(Profession.parse(professions.get(i))
                    .orElseThrow(() -> ApiException.invalid(at, "is not a profession")).code());
        }
        Set<String> facilityIds = new LinkedHashSet<>();
        for (int i = 0; i < facilities.size(); i++) {
            facilityIds.add(Ids.requireUserId(field + ".facilities[" + i + "]", facilities.get(i)));
        }
        return new CareRequest.Assignees(List.copyOf(userIds), List.copyOf(professionCodes), List.copyOf(facilityIds));
    }

    static Instant dueAt(String value) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalid("request.dueAt", "is required (ISO-8601, e.g. 2026-12-05T17:00+09:00)");
        }
        return japanTime("request.dueAt", value);
    }

    /**
     * ISO-8601 with an offset, or a local date-time read as Japan time (where every user of the service is); 400
     * naming {@code field} otherwise.
     */
    static Instant japanTime(String field, String value) {
        try {
            return OffsetDateTime.parse(value.strip()).toInstant();
        } catch (DateTimeException withoutOffset) {
            try {
                return LocalDateTime.parse(value.strip()).atZone(RecordReader.JAPAN).toInstant();
            } catch (DateTimeException e) {
                throw ApiException.invalid(field, "must be an ISO-8601 date-time, e.g. 2026-12-05T17:00+09:00");
            }
        }
    }

    /** The request as made by {@code requesterId} now: open, with its assignees resolved to active members. */
    Mono<CareRequest> resolve(String roomId, String requesterId, Draft draft, Instant now) {
        return members(roomId, requesterId, draft.assignees(), "request.assignees").map(reached ->
                new CareRequest(draft.kind(), draft.assignees(), reached.userIds(), reached.label(), requesterId,
                        draft.dueAt(), CareRequest.State.OPEN,
                        List.of(new CareRequest.Transition(CareRequest.State.OPEN, requesterId, now, null))));
    }

    /** The members a naming reached, and the names as people read them (佐藤 美咲、看護師). */
    record Reached(List<String> userIds, String label) {
    }

    /**
     * The active members {@code named} reaches: the people themselves (who must be members), and every member
     * other than {@code actorId} of each profession or facility (some must exist). Errors name {@code field}.
     */
    Mono<Reached> members(String roomId, String actorId, CareRequest.Assignees named, String field) {
        return memberships.activeMembers(roomId).collectList().map(members -> {
            Set<String> reached = new LinkedHashSet<>();
            List<String> names = new java.util.ArrayList<>();
            List<String> users = named.users();
            for (int i = 0; i < users.size(); i++) {
                String u = users.get(i);
                Membership member = members.stream().filter(m -> m.userId().equals(u)).findFirst()
                        .orElseThrow(unprocessable(field + ".users[" + i + "]", "is not a member of this room"));
                reached.add(u);
                names.add(member.displayName());
            }
            List<String> professions = named.professions();
            for (int i = 0; i < professions.size(); i++) {
                String code = professions.get(i);
                List<String> staff = members.stream()
                        .filter(m -> m.profession() != null && m.profession().code().equals(code)
                                && !m.userId().equals(actorId))
                        .map(Membership::userId).toList();
                if (staff.isEmpty()) {
                    throw unprocessable(field + ".professions[" + i + "]", "no other member of this room has it").get();
                }
                reached.addAll(staff);
                names.add(Profession.parse(code).map(Profession::label).orElse(code));
            }
            List<String> facilities = named.facilities();
            for (int i = 0; i < facilities.size(); i++) {
                String f = facilities.get(i);
                List<Membership> staff = members.stream()
                        .filter(m -> f.equals(m.facilityId()) && !m.userId().equals(actorId)).toList();
                if (staff.isEmpty()) {
                    throw unprocessable(field + ".facilities[" + i + "]", "no other member of this room belongs to it").get();
                }
                staff.forEach(m -> reached.add(m.userId()));
                names.add(staff.stream().map(Membership::facilityName).filter(java.util.Objects::nonNull)
                        .findFirst().orElse(f));
            }
            return new Reached(List.copyOf(reached), String.join("、", names));
        });
    }

    /**
     * Who must acknowledge an urgent message when the author names nobody: those it mentions, else the room's
     * doctors and nurses (the people who can act on an urgent change in a resident's condition), never the author.
     */
    Mono<List<String>> defaultAcknowledgers(String roomId, String authorId, List<String> mentioned) {
        if (!mentioned.isEmpty()) {
            return Mono.just(mentioned);
        }
        return memberships.activeMembers(roomId)
                .filter(m -> m.profession() != null && m.profession().isMedicalStaff() && !m.userId().equals(authorId))
                .map(Membership::userId).collectList();
    }

    private static java.util.function.Supplier<ApiException> unprocessable(String field, String message) {
        return () -> ApiException.unprocessable(field, message);
    }
}
