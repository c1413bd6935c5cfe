package jp.tsunagu.connectors.webhook;

import static jp.tsunagu.connectors.webhook.WebhookFixtures.NOW;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.OURS;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.OURS_OLD;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.STRANGER;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.THEIRS;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.signed;
import static jp.tsunagu.connectors.webhook.WebhookFixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import jp.tsunagu.connectors.sns.Capability;
import jp.tsunagu.connectors.sns.ChangePage;
import jp.tsunagu.connectors.sns.ChangeProbe;
import jp.tsunagu.connectors.sns.ConnectorException;
import jp.tsunagu.connectors.sns.ExternalAttachment;
import jp.tsunagu.connectors.sns.ExternalMember;
import jp.tsunagu.connectors.sns.ExternalMessage;
import jp.tsunagu.connectors.sns.ExternalRoom;
import jp.tsunagu.connectors.sns.ExternalStamp;
import jp.tsunagu.connectors.sns.OutboundMessage;
import jp.tsunagu.connectors.webhook.WebhookFixtures.TestClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class WebhookConnectorInboundTests {

    private static final String ROOM = "p-1024";

    private TestClock clock;
    private WebhookConnector connector;
    private final AtomicInteger ids = new AtomicInteger();

    @BeforeEach
    void setUp() {
        clock = new TestClock(NOW);
        connector = new WebhookConnector(config(1_000));
    }

    private WebhookConnectorConfig config(int roomBuffer) {
        return WebhookConnectorConfig.of("care-sns-test", URI.create("http://localhost:9/hooks"),
                        new WebhookKeys(OURS, OURS_OLD), WebhookKeys.of(THEIRS))
                .withClock(clock).withRoomBufferCapacity(roomBuffer);
    }

    /** Signs with our secret, as the SNS would, under a fresh id. */
    private InboundResult deliver(String json) {
        byte[] body = utf8(json);
        return connector.receive(signed(OURS, "msg_" + ids.incrementAndGet(), clock.instant(), body), body).block();
    }

    private static String created(String id, String html) {
        return """
                {"type":"message.created","room_id":"%s","message":{"id":"%s",
                 "author":{"id":"u-3","display_name":"佐藤"},"html":"%s","created_at":"2026-11-24T09:29:58+09:00"}}
                """.formatted(ROOM, id, html);
    }

    // ---- event types ----

    @Test
    void parsesMessageCreatedWithEveryCanonicalField() {
        InboundResult result = deliver("""
                {"type":"message.created","timestamp":"2026-11-24T09:30:00+09:00","room_id":"p-1024",
                 "room":{"type":"patient","name":"山田 花子 様","resident_id":"R-0042"},
                 "message":{"id":"m-77","room_id":"p-1024","parent_id":"m-70",
                   "author":{"id":"u-3","display_name":"佐藤 (訪問看護)","professions":["看護師"],
                             "station":{"id":"st-9","name":"利根訪問看護ステーション"}},
                   "html":"血圧 132/84<br>夕方に再訪します","created_at":"2026-11-24T09:29:58+09:00",
                   "attachments":[{"id":"a-1","name":"傷.jpg","content_type":"image/jpeg","size":48213,
                                   "url":"https://sns.example/files/a-1"}],
                   "reactions":[{"stamp":"viewed","count":2,"self":false},{"stamp":"party","count":1},
                                {"stamp":"accepted","count":1,"self":true}],
                   "mentions":{"user_ids":["u-1"],"station_ids":["st-2"],"all":false},
                   "future_field":{"ignored":true}}}
                """);

        assertThat(result).isInstanceOfSatisfying(InboundResult.Accepted.class, accepted -> {
            assertThat(accepted.roomId()).isEqualTo(ROOM);
            assertThat(accepted.type()).isEqualTo("message.created");
            assertThat(accepted.messageId()).isEqualTo("m-77");
            assertThat(accepted.httpStatus()).isEqualTo(204);
        });
        ExternalMessage m = onlyMessage(page(null));
        Instant created = Instant.parse("2026-11-24T00:29:58Z");
        assertThat(m).isEqualTo(new ExternalMessage("m-77", ROOM, "m-70",
                new ExternalMember("u-3", "佐藤 (訪問看護)", List.of("看護師"),
                        new ExternalMember.Station("st-9", "利根訪問看護ステーション")),
                "血圧 132/84<br>夕方に再訪します", created, created, false,
                List.of(new ExternalAttachment("a-1", "傷.jpg", "image/jpeg", 48213, "https://sns.example/files/a-1")),
                List.of(new ExternalMessage.Reaction(ExternalStamp.VIEWED, 2, false),
                        new ExternalMessage.Reaction(ExternalStamp.ACCEPTED, 1, true)),
                new ExternalMessage.Mentions(List.of("u-1"), List.of("st-2"), false)));
        StepVerifier.create(connector.rooms())
                .expectNext(new ExternalRoom(ROOM, ExternalRoom.Type.PATIENT, "山田 花子 様", "R-0042"))
                .verifyComplete();
    }

    @Test
    void parsesMessageUpdated() {
        deliver("""
                {"type":"message.updated","room_id":"p-1024","message":{"id":"m-77","author":{"id":"u-3"},
                 "html":"訂正: 血圧 128/84","created_at":"2026-11-24T09:29:58+09:00",
                 "updated_at":"2026-11-24T09:41:00+09:00"}}
                """);

        ExternalMessage m = onlyMessage(page(null));
        assertThat(m.html()).isEqualTo("訂正: 血圧 128/84");
        assertThat(m.updatedAt()).isEqualTo(Instant.parse("2026-11-24T00:41:00Z"));
        assertThat(m.author().displayName()).isEqualTo("u-3");
        assertThat(m.deleted()).isFalse();
    }

    @Test
    void parsesMessageDeletedFromItsIdAndTimesAlone() {
        InboundResult result = deliver("""
                {"type":"message.deleted","room_id":"p-1024","message":{"id":"m-77",
                 "created_at":"2026-11-24T09:29:58+09:00","updated_at":"2026-11-24T09:50:00Z"}}
                """);

        assertThat(result).isInstanceOf(InboundResult.Accepted.class);
        ExternalMessage m = onlyMessage(page(null));
        assertThat(m.id()).isEqualTo("m-77");
        assertThat(m.deleted()).isTrue();
        assertThat(m.author()).isNull();
        assertThat(m.html()).isEmpty();
        assertThat(m.updatedAt()).isEqualTo(Instant.parse("2026-11-24T09:50:00Z"));
    }

    @Test
    void parsesReactionAddedAndRemovedAsTheMessagesNewState() {
        String reaction = """
                {"type":"%s","room_id":"p-1024","message":{"id":"m-77","author":{"id":"u-3"},"html":"承知",
                 "created_at":"2026-11-24T09:29:58+09:00","reactions":[%s]}}
                """;
        deliver(reaction.formatted("reaction.added", "{\"stamp\":\"completed\",\"count\":1,\"self\":false}"));
        deliver(reaction.formatted("reaction.removed", ""));

        ChangePage page = page(null);
        assertThat(page.messages()).hasSize(2);
        assertThat(page.messages().get(0).reactions())
                .containsExactly(new ExternalMessage.Reaction(ExternalStamp.COMPLETED, 1, false));
        assertThat(page.messages().get(1).reactions()).isEmpty();
    }

    // ---- changes, cursors, probe ----

    @Test
    void hostileHtmlIsReducedToTheSafeSubset() {
        ChangePage start = connector.changes(ROOM, null).block();
        deliver(created("m-x", "<p onclick=\\\"steal()\\\">熱 <b>38.5</b><script>alert(1)</script></p>"));
        assertThat(connector.changes(ROOM, start.next()).block().messages())
                .singleElement().satisfies(m -> assertThat(m.html()).isEqualTo("<p>熱 <b>38.5</b></p>"));
    }

    @Test
    void changesReturnsArrivalOrderAndACursorThatMovesOnlyWhenSomethingCame() {
        ChangePage start = connector.changes(ROOM, null).block();
        assertThat(start.messages()).isEmpty();

        deliver(created("m-1", "一"));
        deliver(created("m-3", "三"));
        deliver(created("m-2", "二"));

        ChangePage first = connector.changes(ROOM, start.next()).block();
        assertThat(first.messages()).extracting(ExternalMessage::id).containsExactly("m-1", "m-3", "m-2");
        assertThat(first.rejected()).isEmpty();

        ChangePage idle = connector.changes(ROOM, first.next()).block();
        assertThat(idle.messages()).isEmpty();
        assertThat(idle.next()).isEqualTo(first.next());

        deliver(created("m-4", "四"));
        assertThat(connector.changes(ROOM, idle.next()).block().messages())
                .extracting(ExternalMessage::id).containsExactly("m-4");
    }

    @Test
    void aNullCursorMeansFromNow() {
        deliver(created("m-1", "before"));

        ChangePage start = connector.changes(ROOM, null).block();
        assertThat(start.messages()).isEmpty();
        deliver(created("m-2", "after"));
        assertThat(connector.changes(ROOM, start.next()).block().messages())
                .extracting(ExternalMessage::id).containsExactly("m-2");
    }

    @Test
    void roomsAreKeptApart() {
        deliver(created("m-1", "p-1024 の記録"));
        deliver(created("m-2", "other").replace(ROOM, "g-7"));

        assertThat(page(null).messages()).extracting(ExternalMessage::id).containsExactly("m-1");
        StepVerifier.create(connector.rooms().map(ExternalRoom::id).sort()).expectNext("g-7", ROOM).verifyComplete();
    }

    @Test
    void aCursorOfAPreviousProcessReadsTheWholeBufferAndGarbageIsRejected() {
        deliver(created("m-1", "一"));

        assertThat(connector.changes(ROOM, "zzzzzz:5").block().messages())
                .extracting(ExternalMessage::id).containsExactly("m-1");
        StepVerifier.create(connector.changes(ROOM, "not a cursor"))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ConnectorException.Rejected.class,
                        r -> assertThat(r.status()).isEqualTo(400)))
                .verify();
    }

    @Test
    void probeAnswersWhetherAnythingArrivedSinceTheToken() {
        ChangeProbe first = connector.probe(null).block();
        assertThat(first.changed()).isTrue();

        ChangeProbe quiet = connector.probe(first.next()).block();
        assertThat(quiet.changed()).isFalse();

        deliver(created("m-1", "一").replace(ROOM, "g-7"));
        ChangeProbe busy = connector.probe(quiet.next()).block();
        assertThat(busy.changed()).isTrue();
        assertThat(connector.probe(busy.next()).block().changed()).isFalse();
        assertThat(connector.probe("zzzzzz:99").block().changed()).isTrue();
    }

    @Test
    void anOverflowingRoomBufferDropsTheOldestAndMarksTheGap() {
        connector = new WebhookConnector(config(2));
        String cursor = connector.changes(ROOM, null).block().next();

        deliver(created("m-1", "一"));
        deliver(created("m-2", "二"));
        deliver(created("m-3", "三"));

        ChangePage page = connector.changes(ROOM, cursor).block();
        assertThat(page.messages()).extracting(ExternalMessage::id).containsExactly("m-2", "m-3");
        assertThat(page.rejected()).singleElement().satisfies(gap -> {
            assertThat(gap.reason()).startsWith(WebhookConnector.GAP_REASON_PREFIX);
            assertThat(gap.roomId()).isEqualTo(ROOM);
        });
        assertThat(connector.changes(ROOM, page.next()).block().rejected()).isEmpty();
    }

    // ---- quarantine ----

    @Test
    void aMalformedPayloadGoesToRejectedWithoutFailingOthers() {
        String cursor = connector.changes(ROOM, null).block().next();

        InboundResult good1 = deliver(created("m-1", "一"));
        String noHtml = """
                {"type":"message.created","room_id":"p-1024","message":{"id":"m-2","author":{"id":"u-3"},
                 "created_at":"2026-11-24T09:29:58+09:00"}}""";
        InboundResult bad = deliver(noHtml);
        InboundResult good2 = deliver(created("m-3", "三"));

        assertThat(good1.httpStatus()).isEqualTo(204);
        assertThat(good2.httpStatus()).isEqualTo(204);
        assertThat(bad).isInstanceOfSatisfying(InboundResult.Quarantined.class, q -> {
            assertThat(q.roomId()).isEqualTo(ROOM);
            assertThat(q.reason()).isEqualTo("message.html is missing");
            assertThat(q.httpStatus()).isEqualTo(202);
        });
        ChangePage page = connector.changes(ROOM, cursor).block();
        assertThat(page.messages()).extracting(ExternalMessage::id).containsExactly("m-1", "m-3");
        assertThat(page.rejected()).containsExactly(new ChangePage.Rejected(ROOM, noHtml, "message.html is missing"));
    }

    @Test
    void eachWrongShapeIsQuarantinedInItsRoomWithAReasonNamingTheField() {
        Map<String, String> cases = Map.of(
                "{\"type\":\"message.exploded\",\"room_id\":\"p-1024\",\"message\":{}}", "unknown event type",
                "{\"type\":\"message.created\",\"room_id\":\"p-1024\"}", "message is missing",
                created("m-1", "x").replace("\"u-3\"", "3"), "message.author.id must be a string",
                created("m-1", "x").replace("2026-11-24T09:29:58+09:00", "2026-11-24T09:29:58"),
                "message.created_at must be an ISO-8601 time with an offset",
                created("m-1", "x").replace("\"html\"", "\"reactions\":[{\"stamp\":\"good\",\"count\":-1}],\"html\""),
                "message.reactions[0].count",
                created("m-1", "x").replace("\"html\"", "\"attachments\":[{\"name\":\"a\"}],\"html\""),
                "message.attachments[0].id is missing",
                created("m-1", "x").replace("\"html\"", "\"room_id\":\"g-7\",\"html\""), "message.room_id differs",
                "{\"type\":\"message.created\",\"room_id\":\"p-1024\",\"room\":{\"type\":\"ward\"},\"message\":{}}",
                "room.type");

        cases.forEach((json, reason) -> assertThat(deliver(json))
                .as(json)
                .isInstanceOfSatisfying(InboundResult.Quarantined.class, q -> {
                    assertThat(q.roomId()).isEqualTo(ROOM);
                    assertThat(q.reason()).contains(reason);
                }));
        assertThat(connector.changes(ROOM, "zzzzzz:0").block().rejected()).hasSize(cases.size());
        assertThat(connector.unroutable()).isEmpty();
    }

    @Test
    void aPayloadWithNoReadableRoomIsKeptAsUnroutable() {
        for (String json : List.of("not json {", "[1,2]", "{\"type\":\"message.created\"}",
                "{\"room_id\":\"p-1024\",\"room_id\":\"g-7\",\"type\":\"message.created\"}",
                "{\"room_id\":\"p-1024\"} trailing")) {
            assertThat(deliver(json)).as(json).isInstanceOfSatisfying(InboundResult.Quarantined.class, q -> {
                assertThat(q.roomId()).isNull();
                assertThat(q.httpStatus()).isEqualTo(202);
            });
        }

        assertThat(connector.unroutable()).hasSize(5)
                .allSatisfy(r -> assertThat(r.roomId()).isNull())
                .first().satisfies(r -> {
                    assertThat(r.payload()).isEqualTo("not json {");
                    assertThat(r.reason()).startsWith("not valid JSON");
                });
    }

    // ---- refusals ----

    @Test
    void forgedExpiredAndReplayedWebhooksAreRefusedWith401AndQueueNothing() {
        byte[] body = utf8(created("m-1", "一"));
        String cursor = connector.changes(ROOM, null).block().next();

        InboundResult forged = connector.receive(signed(STRANGER, "msg_f", NOW, body), body).block();
        InboundResult expired = connector.receive(signed(OURS, "msg_e", NOW.minusSeconds(360), body), body).block();
        InboundResult ahead = connector.receive(signed(OURS, "msg_a", NOW.plusSeconds(360), body), body).block();
        Map<String, List<String>> headers = signed(OURS, "msg_r", NOW, body);
        InboundResult first = connector.receive(headers, body).block();
        InboundResult replayed = connector.receive(headers, body).block();
        InboundResult unsigned = connector.receive(Map.of(), body).block();

        assertThat(first.httpStatus()).isEqualTo(204);
        assertThat(List.of(forged, expired, ahead, replayed, unsigned))
                .allSatisfy(r -> assertThat(r.httpStatus()).isEqualTo(401))
                .extracting(r -> ((InboundResult.Refused) r).reason())
                .containsExactly(WebhookVerifier.Reason.FORGED, WebhookVerifier.Reason.EXPIRED,
                        WebhookVerifier.Reason.EXPIRED, WebhookVerifier.Reason.REPLAYED,
                        WebhookVerifier.Reason.MISSING_HEADER);
        assertThat(connector.changes(ROOM, cursor).block().messages()).hasSize(1);
    }

    @Test
    void theSnsMaySignWithOurPreviousSecretDuringRotation() {
        byte[] body = utf8(created("m-1", "一"));

        assertThat(connector.receive(signed(OURS_OLD, "msg_1", NOW, body), body).block())
                .isInstanceOf(InboundResult.Accepted.class);
    }

    @Test
    void aFullReplayCacheAnswers503() {
        connector = new WebhookConnector(new WebhookConnectorConfig("c", URI.create("http://localhost:9/"),
                WebhookKeys.of(OURS), WebhookKeys.of(THEIRS), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofMinutes(5), 1, 10, clock));
        deliver(created("m-1", "一"));

        assertThat(deliver(created("m-2", "二")).httpStatus()).isEqualTo(503);
    }

    // ---- what has been seen ----

    @Test
    void historyAndMembersComeFromWhatWasReceived() {
        deliver(created("m-1", "一"));
        deliver("""
                {"type":"message.created","room_id":"p-1024","message":{"id":"m-2",
                 "author":{"id":"u-5","display_name":"田中 ケアマネ","professions":["ケアマネジャー"]},
                 "html":"二","created_at":"2026-11-24T09:35:00+09:00"}}""");
        deliver("""
                {"type":"message.updated","room_id":"p-1024","message":{"id":"m-1","author":{"id":"u-3",
                 "display_name":"佐藤"},"html":"一 (訂正)","created_at":"2026-11-24T09:29:58+09:00",
                 "updated_at":"2026-11-24T09:40:00+09:00"}}""");

        StepVerifier.create(connector.history(ROOM, 10).map(ExternalMessage::html))
                .expectNext("二", "一 (訂正)").verifyComplete();
        StepVerifier.create(connector.history(ROOM, 1).map(ExternalMessage::id)).expectNext("m-2").verifyComplete();
        StepVerifier.create(connector.history("unknown", 10)).verifyComplete();
        StepVerifier.create(connector.members(ROOM).map(ExternalMember::displayName))
                .expectNext("佐藤", "田中 ケアマネ").verifyComplete();
        StepVerifier.create(connector.rooms())
                .expectNext(new ExternalRoom(ROOM, ExternalRoom.Type.GROUP, ROOM, null)).verifyComplete();
    }

    // ---- descriptor and attachments ----

    @Test
    void describesItselfAndRefusesAttachmentsWith501() {
        assertThat(connector.descriptor().kind()).isEqualTo("webhook");
        assertThat(connector.descriptor().instanceId()).isEqualTo("care-sns-test");
        assertThat(connector.descriptor().capabilities()).containsExactlyInAnyOrder(Capability.WEBHOOKS,
                Capability.THREADS, Capability.EDITS, Capability.DELETES, Capability.STAMPS, Capability.MENTIONS);

        StepVerifier.create(connector.upload("a.jpg", "image/jpeg", 3, Flux.empty()))
                .expectErrorSatisfies(WebhookConnectorInboundTests::is501).verify();
        StepVerifier.create(connector.download(new ExternalAttachment("a", "a.jpg", "image/jpeg", 3, "http://x/a")))
                .expectErrorSatisfies(WebhookConnectorInboundTests::is501).verify();
        StepVerifier.create(connector.post(ROOM, new OutboundMessage("写真", null, null, List.of("a-1"), null)))
                .expectErrorSatisfies(WebhookConnectorInboundTests::is501).verify();
    }

    private static void is501(Throwable e) {
        assertThat(e).isInstanceOfSatisfying(ConnectorException.Rejected.class,
                r -> assertThat(r.status()).isEqualTo(501));
    }

    private ChangePage page(String cursor) {
        return connector.changes(ROOM, cursor == null ? "zzzzzz:0" : cursor).block();
    }

    private static ExternalMessage onlyMessage(ChangePage page) {
        assertThat(page.rejected()).isEmpty();
        assertThat(page.messages()).hasSize(1);
        return page.messages().get(0);
    }
}
