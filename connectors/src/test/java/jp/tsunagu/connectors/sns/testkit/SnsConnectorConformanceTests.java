package jp.tsunagu.connectors.sns.testkit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import jp.tsunagu.connectors.sns.Capability;
import jp.tsunagu.connectors.sns.ChangePage;
import jp.tsunagu.connectors.sns.ConnectorHealth;
import jp.tsunagu.connectors.sns.ExternalAttachment;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.ExternalStamp;
import jp.tsunagu.connectors.sns.OutboundMessage;
import jp.tsunagu.connectors.sns.SnsConnector;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The conformance kit: what every {@link SnsConnector} must do for the bridge to rely on it. Extend this
 * class in your connector's tests and provide the connector and an {@link ExternalSide}; the inherited
 * tests then run against them (see docs/CONNECTORS.md). Tests of capabilities the connector does not
 * declare are skipped by assumption, so a connector without stamps still passes.
 */
public abstract class SnsConnectorConformanceTests {

    /** Generous for a slow test instance; the kit checks behaviour, not speed. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** The connector under test, configured against {@link #externalSide()}. */
    protected abstract SnsConnector connector();

    protected abstract ExternalSide externalSide();

    /**
     * Waits, bounded, until a push connector has received what the external side sent. Pull connectors
     * need nothing: the default polls {@link SnsConnector#changes} as the bridge would.
     */
    protected ChangePage changesAfter(String roomId, String cursor) {
        return connector().changes(roomId, cursor).block(TIMEOUT);
    }

    private boolean can(Capability capability) {
        return connector().descriptor().can(capability);
    }

    @Test
    void describesItself() {
        var d = connector().descriptor();
        assertThat(d.instanceId()).isNotBlank();
        assertThat(d.kind()).isNotBlank();
        assertThat(d.can(Capability.POLLING) || d.can(Capability.WEBHOOKS)).as("pull or push").isTrue();
    }

    @Test
    void listsTheRoomsItCanSeeWithTheirMembers() {
        String room = externalSide().createRoom("多職種連携 " + System.nanoTime());
        assertThat(connector().rooms().collectList().block(TIMEOUT)).anySatisfy(r -> assertThat(r.id()).isEqualTo(room));
        assertThat(connector().members(room).collectList().block(TIMEOUT))
                .isNotEmpty()
                .allSatisfy(m -> {
                    assertThat(m.id()).isNotBlank();
                    assertThat(m.displayName()).isNotBlank();
                });
    }

    @Test
    void changesStartFromNowAndDeliverANewMessageOnce() {
        String room = externalSide().createRoom("room");
        String before = externalSide().postAsOther(room, "前からあった投稿");
        String start = changesAfter(room, null).next();
        String id = externalSide().postAsOther(room, "本日訪問しました。<br>BP 132/78");

        ChangePage page = changesAfter(room, start);
        assertThat(page.messages()).extracting(ExternalMessage::id).contains(id).doesNotContain(before);
        ExternalMessage m = page.messages().stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
        assertThat(m.roomId()).isEqualTo(room);
        assertThat(m.author().displayName()).isNotBlank();
        assertThat(m.html()).contains("BP 132/78");
        assertThat(m.createdAt()).isNotNull();
        assertThat(m.updatedAt()).isAfterOrEqualTo(m.createdAt());

        assertThat(changesAfter(room, page.next()).messages()).extracting(ExternalMessage::id).doesNotContain(id);
    }

    @Test
    void anEditOrADeletionComesAgain() {
        Assumptions.assumeTrue(can(Capability.EDITS) && can(Capability.DELETES));
        String room = externalSide().createRoom("room");
        String start = changesAfter(room, null).next();
        String id = externalSide().postAsOther(room, "BP 132/78");
        ChangePage first = changesAfter(room, start);

        externalSide().editAsOther(id, "BP 138/78（訂正）");
        ChangePage edited = changesAfter(room, first.next());
        assertThat(edited.messages()).anySatisfy(m -> {
            assertThat(m.id()).isEqualTo(id);
            assertThat(m.html()).contains("138/78");
        });

        externalSide().deleteAsOther(id);
        assertThat(changesAfter(room, edited.next()).messages())
                .anySatisfy(m -> {
                    assertThat(m.id()).isEqualTo(id);
                    assertThat(m.deleted()).isTrue();
                });
    }

    @Test
    void postsRepliesEditsAndDeletesReachTheSns() {
        String room = externalSide().createRoom("room");
        ExternalMessage root = connector().post(room, new OutboundMessage("訪問時間を変更します\n14時→15時", null, null, List.of(), null))
                .block(TIMEOUT);
        assertThat(root.id()).isNotBlank();
        assertThat(externalSide().messages(room)).anySatisfy(m -> assertThat(m.id()).isEqualTo(root.id()));

        if (can(Capability.THREADS)) {
            ExternalMessage reply = connector().post(room, new OutboundMessage("承知しました", null, root.id(), List.of(), null))
                    .block(TIMEOUT);
            assertThat(externalSide().messages(room))
                    .anySatisfy(m -> {
                        assertThat(m.id()).isEqualTo(reply.id());
                        assertThat(m.parentId()).isEqualTo(root.id());
                    });
        }
        if (can(Capability.EDITS)) {
            connector().edit(root.id(), new OutboundMessage("訪問時間を変更します（16時）", null, null, List.of(), null)).block(TIMEOUT);
            assertThat(externalSide().messages(room))
                    .anySatisfy(m -> {
                        assertThat(m.id()).isEqualTo(root.id());
                        assertThat(m.html()).contains("16時");
                    });
        }
        if (can(Capability.DELETES)) {
            connector().delete(root.id()).block(TIMEOUT);
            assertThat(externalSide().messages(room))
                    .noneSatisfy(m -> {
                        assertThat(m.id()).isEqualTo(root.id());
                        assertThat(m.deleted()).isFalse();
                    });
        }
    }

    @Test
    void textIsEscapedNotInterpreted() {
        String room = externalSide().createRoom("room");
        ExternalMessage m = connector().post(room, new OutboundMessage("<script>alert(1)</script> & 1 < 2", null, null,
                List.of(), null)).block(TIMEOUT);
        assertThat(externalSide().messages(room)).anySatisfy(x -> {
            assertThat(x.id()).isEqualTo(m.id());
            assertThat(x.html()).doesNotContain("<script>");
        });
    }

    @Test
    void stampsAreGivenAndTakenBack() {
        Assumptions.assumeTrue(can(Capability.STAMPS));
        String room = externalSide().createRoom("room");
        String id = externalSide().postAsOther(room, "褥瘡の写真です");
        connector().react(id, ExternalStamp.VIEWED, true).block(TIMEOUT);
        assertThat(externalSide().stampCount(id, ExternalStamp.VIEWED)).isEqualTo(1);
        connector().react(id, ExternalStamp.VIEWED, false).block(TIMEOUT);
        assertThat(externalSide().stampCount(id, ExternalStamp.VIEWED)).isZero();
    }

    @Test
    void attachmentsRoundTrip() {
        Assumptions.assumeTrue(can(Capability.ATTACHMENTS));
        byte[] bytes = "訪問記録 2026-11-23".getBytes(StandardCharsets.UTF_8);
        ExternalAttachment uploaded = connector().upload("kiroku.txt", "text/plain", bytes.length,
                Flux.just(ByteBuffer.wrap(bytes))).block(TIMEOUT);
        assertThat(externalSide().attachmentBytes(uploaded.id())).isEqualTo(bytes);
        byte[] back = connector().download(uploaded).reduce(new java.io.ByteArrayOutputStream(), (out, b) -> {
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            out.writeBytes(chunk);
            return out;
        }).block(TIMEOUT).toByteArray();
        assertThat(back).isEqualTo(bytes);
    }

    @Test
    void healthIsConnectedWhenCallsSucceed() {
        connector().rooms().collectList().block(TIMEOUT);
        assertThat(connector().health().block(TIMEOUT).state()).isEqualTo(ConnectorHealth.State.CONNECTED);
    }
}
