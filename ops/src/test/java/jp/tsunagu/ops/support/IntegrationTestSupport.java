package jp.tsunagu.ops.support;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.identity.LocalJwtIssuer;
import jp.tsunagu.chat.identity.Profession;
import jp.tsunagu.ops.TsunaguApplication;

/**
 * Base of the integration tests: the whole server on a random port, the embedded MongoDB in memory, and real
 * signed JWTs from {@link TestIssuerConfiguration}. The Spring context is shared by every test class that
 * extends this, so tests use fresh ids (see {@link #unique}) instead of cleaning the database.
 */
@SpringBootTest(classes = TsunaguApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        // Escalation rounds run when a test calls them (UrgentEscalator.run), never on their own mid-test.
        // Push services on loopback (the simulator's) are allowed, as in the demo.
        properties = {"tsunagu.embedded-mongo.in-memory=true", "tsunagu.chat.max-upload-size=2MB", "tsunagu.urgent.scan-every=0",
                "tsunagu.notify.allow-http=true", "tsunagu.notify.endpoint-hosts=127.0.0.1"})
@Import({TestIssuerConfiguration.class, TestRecordSource.class})
public abstract class IntegrationTestSupport {

    @LocalServerPort
    protected int port;

    @Autowired
    protected LocalJwtIssuer issuer;

    protected WebTestClient http;

    @BeforeEach
    void client() {
        http = WebTestClient.bindToServer().baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(30)).build();
    }

    /** A fresh id suffix so tests sharing the context never collide. */
    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    protected static CareUser person(String id, Profession profession, String facilityId, String... roles) {
        return new CareUser(id, id + " 氏名", profession, facilityId, facilityId == null ? null : facilityId + " 事業所",
                Set.of(roles));
    }

    protected String token(CareUser user) {
        return issuer.mint(user, Duration.ofMinutes(30));
    }

    protected String expiredToken(CareUser user) {
        return issuer.mint(user.id(), Map.of("profession", user.profession().code()), Duration.ofSeconds(-120));
    }

    /** Signs the user in once so the directory knows them and they can be invited. */
    protected CareUser signIn(CareUser user) {
        as(user).get().uri("/api/v1/rooms").exchange().expectStatus().isOk();
        return user;
    }

    /** A request builder carrying the user's bearer token. */
    protected WebTestClient as(CareUser user) {
        return http.mutate().defaultHeader("Authorization", "Bearer " + token(user)).build();
    }

    /** The people of a small team around one resident, each signed in once. */
    public record Team(CareUser careManager, CareUser nurse, CareUser doctor, CareUser otherFacilityStranger,
                       CareUser resident, CareUser family, String facility, String roomId) {
    }

    /**
     * A patient room owned by a care manager, with a nurse of another facility, a doctor, the resident and a
     * family member; plus a professional of yet another facility who is not a member.
     */
    protected Team team() {
        return team(unique("TONE"));
    }

    /** The same team around the resident the regional network knows as {@code externalResidentId}. */
    protected Team team(String externalResidentId) {
        String f = unique("fac");
        CareUser cm = signIn(person(unique("cm"), Profession.CARE_MANAGER, f + "-cm", "facility_admin"));
        CareUser ns = signIn(person(unique("ns"), Profession.NURSE, f + "-vns", "facility_admin"));
        CareUser dr = signIn(person(unique("dr"), Profession.DOCTOR, f + "-clinic"));
        CareUser stranger = signIn(person(unique("ph"), Profession.PHARMACIST, f + "-pharmacy"));
        CareUser resident = signIn(person(unique("res"), Profession.RESIDENT, null));
        CareUser family = signIn(person(unique("fam"), Profession.FAMILY, null));
        Map<?, ?> room = as(cm).post().uri("/api/v1/rooms").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("kind", "patient",
                        "resident", Map.of("name", "山田 花子", "kana", "やまだ はなこ", "birthDate", "1938-04-12",
                                "externalResidentId", externalResidentId),
                        "members", List.of(Map.of("userId", ns.id()), Map.of("userId", dr.id()),
                                Map.of("userId", resident.id()), Map.of("userId", family.id()))))
                .exchange().expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        String roomId = (String) ((Map<?, ?>) room.get("room")).get("id");
        return new Team(cm, ns, dr, stranger, resident, family, f, roomId);
    }

    /** Posts a text message and returns its JSON. */
    protected Map<?, ?> post(CareUser user, String roomId, String text) {
        return as(user).post().uri("/api/v1/rooms/{r}/messages", roomId).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", text))
                .exchange().expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
    }
}
