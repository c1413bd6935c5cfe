package jp.tsunagu.chat.handler;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import jp.tsunagu.chat.message.Message;
import jp.tsunagu.chat.room.Membership;
import jp.tsunagu.chat.room.MembershipStore;
import jp.tsunagu.chat.support.ApiException;
import reactor.core.publisher.Mono;

/**
 * Who a message's mentions reach: named members, the members of named facilities, or the whole room; never the
 * author. The result is stored as {@link Message#mentionedUserIds()}, which the cross-room "mentioned me" list
 * reads. Shared by messages posted here ({@link MessageHandler}) and imported ones ({@link ExternalMessageHandler}).
 */
final class MentionResolver {

    private final MembershipStore memberships;

    MentionResolver(MembershipStore memberships) {
        this.memberships = memberships;
    }

    /**
     * @param strict true for a post here: a user who is not a member, or a facility with no member in the room, is
     *               a 422 naming the field ({@code mentions.users[0]}); false for an import: such mentions reach
     *               nobody and the message is kept
     * @param elsewhere ids that name people or stations of a bridged SNS: allowed even when strict, reaching no one
     */
    Mono<List<String>> resolve(String roomId, String authorId, Message.Mentions mentions, boolean strict,
                               java.util.function.Predicate<String> elsewhere) {
        if (mentions.isEmpty()) {
            return Mono.just(List.of());
        }
        return memberships.activeMembers(roomId).collectList().map(members -> {
            Set<String> reached = new LinkedHashSet<>();
            for (int i = 0; i < mentions.users().size(); i++) {
                String u = mentions.users().get(i);
                if (elsewhere.test(u)) {
                    continue;
                }
                if (members.stream().anyMatch(m -> m.userId().equals(u))) {
                    reached.add(u);
                } else if (strict) {
                    throw ApiException.unprocessable("mentions.users[" + i + "]", "is not a member of this room");
                }
            }
            for (int i = 0; i < mentions.facilities().size(); i++) {
                String f = mentions.facilities().get(i);
                if (elsewhere.test(f)) {
                    continue;
                }
                List<String> staff = members.stream().filter(m -> f.equals(m.facilityId())).map(Membership::userId).toList();
                if (staff.isEmpty() && strict) {
                    throw ApiException.unprocessable("mentions.facilities[" + i + "]", "no member of this room belongs to it");
                }
                reached.addAll(staff);
            }
            if (mentions.room()) {
                members.forEach(m -> reached.add(m.userId()));
            }
            reached.remove(authorId);
            return List.copyOf(reached);
        });
    }
}
