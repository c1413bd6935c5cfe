package jp.tsunagu.ops.demo;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.tsunagu.chat.api.ConsentRequests;
import jp.tsunagu.chat.consent.ConsentHandler;
import jp.tsunagu.chat.consent.ExcerptHandler;
import jp.tsunagu.chat.identity.CareUser;
import jp.tsunagu.chat.support.Ids;

/**
 * The demo's consent story, told through the same handlers the API uses, each step as the person who takes it:
 * proxies recorded, requests asked and approved by the resident or a proxy, cards posted. So the demo's grants,
 * cards and access log are exactly what people doing this by hand would produce (the cards are the newest
 * messages of their rooms, and posting them is in "who viewed my record" as embeds). One request is left
 * waiting for a proxy to decide in the demo.
 */
final class DemoConsentSeeder {

    private static final Logger log = LoggerFactory.getLogger(DemoConsentSeeder.class);
    /** A step is a few database writes on the embedded server; this only stops a broken start from hanging. */
    private static final Duration STEP = Duration.ofSeconds(30);

    private final ConsentHandler consent;
    private final ExcerptHandler excerpts;

    DemoConsentSeeder(ConsentHandler consent, ExcerptHandler excerpts) {
        this.consent = consent;
        this.excerpts = excerpts;
    }

    /**
     * Seeds {@code story} into the rooms just created. {@code roomIds} maps room keys to room ids, {@code users}
     * ids to people. A step the handlers refuse fails the start: the demo data is then wrong, not the server.
     */
    void seed(DemoData.Consent story, Map<String, String> roomIds, Map<String, CareUser> users) {
        if (story == null) {
            return;
        }
        for (DemoData.Proxy p : story.proxies()) {
            consent.recordProxy(users.get(p.recordedBy()), roomIds.get(p.room()),
                    new ConsentRequests.ProxyInput(p.userId(), p.relationship(), p.basis())).block(STEP);
        }
        int grants = 0;
        int cards = 0;
        for (DemoData.Request r : story.requests()) {
            String roomId = roomIds.get(r.room());
            DemoData.Audience a = r.audience();
            var request = consent.request(users.get(r.requestedBy()), roomId, new ConsentRequests.ScopeRequest(
                    r.categories(), a == null ? null : new ConsentRequests.AudienceInput(a.professions(), a.facilities(), a.users()),
                    r.validDays(), null, r.purpose(), null)).block(STEP);
            if (r.decidedBy() == null) {
                continue;
            }
            String grantId = consent.approve(users.get(r.decidedBy()), roomId, request.id()).block(STEP).grantId();
            grants++;
            List<DemoData.Card> toPost = r.cards() == null ? List.of() : r.cards();
            for (int i = 0; i < toPost.size(); i++) {
                DemoData.Card c = toPost.get(i);
                excerpts.post(users.get(c.by()), roomId, new ConsentRequests.ExcerptInput(grantId, c.kind(), c.categories(),
                        c.days(), c.codes(), c.text()), Ids.derived("demo-excerpt", r.ref(), Integer.toString(i))).block(STEP);
                cards++;
            }
        }
        log.info("demo data: {} proxies, {} requests ({} approved), {} excerpt cards", story.proxies().size(),
                story.requests().size(), grants, cards);
    }
}
