package jp.tsunagu.chat.realtime;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import jp.tsunagu.chat.support.ApiException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A connection may write while the token it was opened with is valid, and not from the moment it expires. */
class RoomWebSocketHandlerTests {

    private static final Instant EXPIRES = Instant.parse("2026-12-07T05:00:00Z");

    @Test
    void aPostIsAllowedUntilTheConnectionsTokenExpires() {
        assertThatCode(() -> RoomWebSocketHandler.requireUnexpired(EXPIRES, EXPIRES.minusMillis(1))).doesNotThrowAnyException();
        assertThatCode(() -> RoomWebSocketHandler.requireUnexpired(null, EXPIRES.plusSeconds(86_400)))
                .as("not opened with a token").doesNotThrowAnyException();
    }

    @Test
    void fromTheMomentItExpiresAPostIsA401() {
        for (Instant now : new Instant[]{EXPIRES, EXPIRES.plusSeconds(3_600)}) {
            assertThatThrownBy(() -> RoomWebSocketHandler.requireUnexpired(EXPIRES, now))
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status().value()).isEqualTo(401));
        }
    }
}
