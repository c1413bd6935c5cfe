package jp.tsunagu.chat.realtime;

/**
 * Where room changes go once stored. Called on the room's turn (see
 * {@link jp.tsunagu.chat.support.RoomLinearizer}) so events of a room are published in sequence order.
 */
public interface RoomEventPublisher {

    void publish(RoomEvent event);
}
