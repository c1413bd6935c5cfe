package jp.tsunagu.connectors.sns;

import java.util.List;

/**
 * A person of the external SNS, with no local account needed.
 *
 * @param professions as the SNS names them (e.g. 看護師, ケアマネジャー); mapped by the bridge
 * @param station their facility (事業所), may be null
 */
public record ExternalMember(String id, String displayName, List<String> professions, Station station) {

    public ExternalMember {
        professions = professions == null ? List.of() : List.copyOf(professions);
    }

    public record Station(String id, String name) {
    }
}
