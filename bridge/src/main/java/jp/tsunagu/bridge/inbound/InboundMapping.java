package jp.tsunagu.bridge.inbound;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jp.tsunagu.chat.handler.ExternalMessageHandler;
import jp.tsunagu.chat.message.Message;
import jp.tsunagu.connectors.sns.ExternalMessage;

/**
 * How an external message's people, stations and stamps read in local terms, per connector instance.
 *
 * <p>Mentions: a user mapped by the instance's {@code users} setting becomes that local user, a station mapped
 * by its {@code stations} setting that local facility; anyone else keeps the id external people and stations
 * have here ({@link ExternalMessageHandler#externalUserId}, as on imported authors), which reaches no member
 * unless the room has members with that facility id. A mention of everyone becomes a mention of the room.
 *
 * <p>Stamps: the SNS gives counts, not persons, so they stay counts ({@link Message#externalStamps()}). The
 * integration account's own stamp is left out: it is the bridge mirroring the stamps people gave here, who are
 * already counted by name.
 */
public final class InboundMapping {

    /**
     * One instance's settings.
     *
     * @param users external user id to local user id
     * @param stations external station id to local facility id
     */
    public record Instance(Map<String, String> users, Map<String, String> stations) {

        public static final Instance NONE = new Instance(Map.of(), Map.of());

        public Instance {
            users = users == null ? Map.of() : Map.copyOf(users);
            stations = stations == null ? Map.of() : Map.copyOf(stations);
        }
    }

    private final Map<String, Instance> byInstance;

    public InboundMapping(Map<String, Instance> byInstance) {
        this.byInstance = Map.copyOf(byInstance);
    }

    /** No user or station mapped for any instance. */
    public static InboundMapping none() {
        return new InboundMapping(Map.of());
    }

    public Message.Mentions mentions(String instanceId, ExternalMessage.Mentions m) {
        Instance map = byInstance.getOrDefault(instanceId, Instance.NONE);
        List<String> users = m.userIds().stream().distinct()
                .map(u -> map.users().getOrDefault(u, ExternalMessageHandler.externalUserId(instanceId, u))).toList();
        List<String> facilities = m.stationIds().stream().distinct()
                .map(s -> map.stations().getOrDefault(s, ExternalMessageHandler.externalUserId(instanceId, s))).toList();
        return new Message.Mentions(users, facilities, m.all());
    }

    /** Stamp code to how many external people gave it, without the integration account; no zero counts. */
    public static Map<String, Integer> stamps(List<ExternalMessage.Reaction> reactions) {
        Map<String, Integer> out = new TreeMap<>();
        for (ExternalMessage.Reaction r : reactions) {
            int others = r.count() - (r.self() ? 1 : 0);
            if (others > 0) {
                out.merge(r.stamp().name().toLowerCase(java.util.Locale.ROOT), others, Integer::sum);
            }
        }
        return out;
    }
}
