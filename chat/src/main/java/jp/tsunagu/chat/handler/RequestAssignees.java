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
        Requests.AssigneesInput a = in.assignees();
        List<String> users = a == null || a.users() == null ? List.of() : a.users();
        List<String> professions = a == null || a.professions() == null ? List.of() : a.professions();
        List<String> facilities = a == null || a.facilities() == null ? List.of() : a.facilities();
        if (users.isEmpty() && professions.isEmpty() && facilities.isEmpty()) {
            throw ApiException.invalid("request.assignees", "must name at least one person, profession or facility");
        }
        Set<String> userIds = new LinkedHashSet<>();
        for (int i = 0; i < users.size(); i++) {
            userIds.add(Ids.requireUserId("request.assignees.users[" + i + "]", users.get(i)));
        }
        Set<String> professionCodes = new LinkedHashSet<>();
        for (int i = 0; i < professions.size(); i++) {
            String field = "request.assignees.professions[" + i + "]";
            professionCodes.add(Profession.parse(professions.get(i))
                    .orElseThrow(() -> ApiException.invalid(field, "is not a profession")).code());
        }
        Set<String> facilityIds = new LinkedHashSet<>();
        for (int i = 0; i < facilities.size(); i++) {
            facilityIds.add(Ids.requireUserId("request.assignees.facilities[" + i + "]", facilities.get(i)));
        }
        Instant due = dueAt(in.dueAt());
        if (!due.isAfter(now)) {
            throw ApiException.invalid("request.dueAt", "must be in the future");
        }
        return new Draft(kind, new CareRequest.Assignees(List.copyOf(userIds), List.copyOf(professionCodes),
                List.copyOf(facilityIds)), due);
    }

    /** ISO-8601 with an offset, or a local date-time read as Japan time (where every user of the service is). */
    static Instant dueAt(String value) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalid("request.dueAt", "is required (ISO-8601, e.g. 2026-12-05T17:00+09:00)");
        }
        try {
            return OffsetDateTime.parse(value.strip()).toInstant();
        } catch (DateTimeException withoutOffset) {
            try {
                return LocalDateTime.parse(value.strip()).atZone(RecordReader.JAPAN).toInstant();
            } catch (DateTimeException e) {
                throw ApiException.invalid("request.dueAt", "must be an ISO-8601 date-time, e.g. 2026-12-05T17:00+09:00");
            }
        }
    }

    /** The request as made by {@code requesterId} now: open, with its assignees resolved to active members. */
    Mono<CareRequest> resolve(String roomId, String requesterId, Draft draft, Instant now) {
        return memberships.activeMembers(roomId).collectList().map(members -> {
            Set<String> reached = new LinkedHashSet<>();
            List<String> names = new java.util.ArrayList<>();
            List<String> users = draft.assignees().users();
            for (int i = 0; i < users.size(); i++) {
                String u = users.get(i);
                if (members.stream().noneMatch(m -> m.userId().equals(u))) {
                    throw ApiException.unprocessable("request.assignees.users[" + i + "]", "is not a member of this room");
                }
                reached.add(u);
                members.stream().filter(m -> m.userId().equals(u)).findFirst().ifPresent(m -> names.add(m.displayName()));
            }
            List<String> professions = draft.assignees().professions();
            for (int i = 0; i < professions.size(); i++) {
                String code = professions.get(i);
                List<String> staff = members.stream()
                        .filter(m -> m.profession() != null && m.profession().code().equals(code)
                                && !m.userId().equals(requesterId))
                        .map(Membership::userId).toList();
                if (staff.isEmpty()) {
                    throw ApiException.unprocessable("request.assignees.professions[" + i + "]",
                            "no other member of this room has it");
                }
                reached.addAll(staff);
                names.add(Profession.parse(code).map(Profession::label).orElse(code));
            }
            List<String> facilities = draft.assignees().facilities();
            for (int i = 0; i < facilities.size(); i++) {
                String f = facilities.get(i);
                List<String> staff = members.stream()
                        .filter(m -> f.equals(m.facilityId()) && !m.userId().equals(requesterId))
                        .map(Membership::userId).toList();
                if (staff.isEmpty()) {
                    throw ApiException.unprocessable("request.assignees.facilities[" + i + "]",
                            "no other member of this room belongs to it");
                }
                reached.addAll(staff);
                names.add(members.stream().filter(m -> f.equals(m.facilityId()) && m.facilityName() != null)
                        .map(Membership::facilityName).findFirst().orElse(f));
            }
            return new CareRequest(draft.kind(), draft.assignees(), List.copyOf(reached), String.join("、", names),
                    requesterId, draft.dueAt(),
                    CareRequest.State.OPEN, List.of(new CareRequest.Transition(CareRequest.State.OPEN, requesterId, now, null)));
        });
    }
}
