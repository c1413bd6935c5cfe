// Interoperability with a real Keycloak (docs/SECURITY.md, "Pointing at Keycloak"): a second server, the demo's
// data with the demo issuer off, trusts the realm of docs/keycloak/tsunagu-realm.json and nothing else. Keycloak
// decides who signs in and signs the tokens; the server must take its claims and refuse what it should not trust.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openRoomList, withPhones } from '../support/browser.mjs';
import { EXPIRING_CLIENT, OTHER_REALM, PASSWORD, PASSWORD_CLIENT, claimsOf, passwordGrant, realmFile }
  from '../support/keycloak.mjs';
import { tag } from '../support/run.mjs';

/** Spring Security's default clock skew (JwtTimestampValidator): a token is accepted up to 60 s after its exp. */
export const CLOCK_SKEW_MS = 60_000;

/** The realm file's users, by id: what Keycloak knows of them is what the server must report. */
const realm = JSON.parse(readFileSync(realmFile, 'utf8'));
const user = (id) => {
  const u = realm.users.find((x) => x.id === id);
  const a = (name) => u.attributes[name][0];
  return { id, name: `${u.firstName} ${u.lastName}`, profession: a('profession'), facility: a('facility'),
    facilityName: a('facility_name'), roles: u.realmRoles };
};

/** A client of the Keycloak-backed server's API with one bearer token (paths under /api/v1). */
function api(baseUrl, token) {
  return async (method, path, json) => {
    const r = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) },
      body: json ? JSON.stringify(json) : undefined,
    });
    const text = await r.text();
    let body = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: r.status, body };
  };
}

/**
 * Signs in the way a person does: /app/, `oidc-sign-in`, then Keycloak's own login page (its form, its cookies,
 * its redirect back with a code the client exchanges with its PKCE verifier). Returns the page, the
 * authorization request the client made, and the access token the client keeps.
 */
async function signInOnKeycloak(context, run, username) {
  const page = await context.newPage();
  await page.goto(`${run.keycloakServer.baseUrl}/app/`);
  const authorizationEndpoint = `${run.keycloak.issuer('tsunagu')}/protocol/openid-connect/auth`;
  const authorizing = page.waitForRequest((r) => r.url().startsWith(authorizationEndpoint));
  await page.getByTestId('oidc-sign-in').click();
  const authorization = new URL((await authorizing).url());
  // Keycloak's login theme: the form and fields its templates name (login.ftl: kc-form-login, username, password).
  await page.locator('#kc-form-login').waitFor({ state: 'visible' });
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.locator('#kc-login').click();
  await page.getByTestId('inbox').waitFor({ state: 'visible' });
  const token = await page.evaluate(() => sessionStorage.getItem('tsunagu.token'));
  return { page, authorization, token };
}

export default function keycloak(run) {
  test('Keycloak: a nurse signs in on Keycloak\'s own login page (code + PKCE) and sees her rooms',
    { timeout: 90_000 }, async () => {
      const sato = user('ns-sato');
      await withPhones(run.browser, 'keycloak', async (open) => {
        const { page, authorization, token } = await signInOnKeycloak(await open('ns-sato'), run, sato.id);
        assert.equal(authorization.searchParams.get('client_id'), 'tsunagu-web');
        assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
        assert.equal(authorization.searchParams.get('redirect_uri'), `${run.keycloakServer.baseUrl}/app/`);
        assert.equal(new URL(page.url()).search, '', 'the code is gone from the address bar');
        assert.equal(await page.evaluate(() => sessionStorage.getItem('tsunagu.pkce')), null, 'the verifier is not kept');
        const claims = claimsOf(token);
        assert.equal(claims.iss, run.keycloak.issuer('tsunagu'), 'the client keeps the token Keycloak issued');
        assert.equal(claims.azp, 'tsunagu-web');
        assert.equal(claims.sub, sato.id);
        await openRoomList(page);
        // The demo data has ns-sato in four patient rooms; the server lists them for Keycloak's token.
        assert.ok(await page.locator('[data-testid^="room-"]').count() > 1, 'the nurse\'s rooms are listed');
      });
    });

  test('Keycloak: the API takes profession, facility, name and roles from Keycloak\'s token', { timeout: 90_000 },
    async () => {
      const [sato, kato, suzuki] = [user('ns-sato'), user('ns-kato'), user('cm-suzuki')];
      // ns-sato's token from the browser sign-in (the realm's own web client); the others by the password grant
      // of a test-only client carrying the same mappers.
      const satoToken = await withPhones(run.browser, 'keycloak-claims',
        async (open) => (await signInOnKeycloak(await open(sato.id), run, sato.id)).token);
      const issuer = run.keycloak.issuer('tsunagu');
      const asSato = api(run.keycloakServer.baseUrl, satoToken);
      const asKato = api(run.keycloakServer.baseUrl, (await passwordGrant(issuer, PASSWORD_CLIENT, kato.id)).access_token);
      const asSuzuki = api(run.keycloakServer.baseUrl,
        (await passwordGrant(issuer, PASSWORD_CLIENT, suzuki.id)).access_token);
      assert.equal((await asKato('GET', '/rooms')).status, 200, 'ns-kato signs in once, so she can be invited');

      const created = await asSato('POST', '/rooms', { kind: 'group', name: `Keycloak ${tag()}`,
        members: [{ userId: kato.id }] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const members = await asSato('GET', `/rooms/${created.body.room.id}/members`);
      assert.equal(members.status, 200);
      for (const who of [sato, kato]) {
        const m = members.body.find((x) => x.userId === who.id);
        assert.ok(m, `${who.id} is listed`);
        assert.deepEqual({ name: m.displayName, profession: m.profession.code, facility: m.facilityId,
          facilityName: m.facilityName },
        { name: who.name, profession: who.profession, facility: who.facility, facilityName: who.facilityName },
        `${who.id} as the server shows her`);
      }

      // facility_admin (the roles claim) of her own facility (the facility claim): only ns-sato may remove staff
      // of fac-hikari-vns. A departed id no room has, so nothing changes.
      const departed = `departed-${tag()}`;
      const path = `/facilities/${sato.facility}/staff/${departed}/memberships`;
      assert.ok(sato.roles.includes('facility_admin') && !kato.roles.includes('facility_admin'));
      const bySato = await asSato('DELETE', path);
      assert.equal(bySato.status, 200, JSON.stringify(bySato.body));
      assert.deepEqual(bySato.body.removedFromRoomIds, []);
      assert.equal((await asKato('DELETE', path)).status, 403, 'the same facility without facility_admin');
      assert.equal((await asSuzuki('DELETE', path)).status, 403, 'facility_admin of another facility');
    });

  test('Keycloak: an expired token and a token from another realm are refused with 401', { timeout: 120_000 },
    async (t) => {
      // Issued with a 15-second lifespan when the run started and used once then (run.keycloakEarly); by now it
      // is past its exp and Spring Security's 60 s of clock skew, or the test waits only for what is left.
      const early = run.keycloakEarly;
      const { exp, azp } = claimsOf(early.token);
      assert.equal(azp, EXPIRING_CLIENT);
      assert.equal(early.firstUse, 200, 'the short-lived token was accepted while fresh');
      assert.ok(early.usedAt < exp * 1000, 'its first use was before its exp: the server\'s token cache held it');
      const wait = exp * 1000 + CLOCK_SKEW_MS + 1_000 - Date.now();
      t.diagnostic(`waiting ${Math.max(0, Math.round(wait / 1000))} s for the token's exp + clock skew`);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const expired = await api(run.keycloakServer.baseUrl, early.token)('GET', '/rooms');
      assert.equal(expired.status, 401, `an expired token answered ${expired.status}`);

      // The other realm: the same users, clients and mappers, its own issuer and keys.
      const other = await passwordGrant(run.keycloak.issuer(OTHER_REALM), PASSWORD_CLIENT, 'ns-sato');
      const claims = claimsOf(other.access_token);
      assert.equal(claims.iss, run.keycloak.issuer(OTHER_REALM));
      assert.equal(claims.profession, 'nurse', 'the other realm\'s token carries the same claims');
      const foreign = await api(run.keycloakServer.baseUrl, other.access_token)('GET', '/rooms');
      assert.equal(foreign.status, 401, `a token of realm ${OTHER_REALM} answered ${foreign.status}`);
      // The same request with this realm's token passes: the refusals above are about the tokens.
      const own = await passwordGrant(run.keycloak.issuer('tsunagu'), PASSWORD_CLIENT, 'ns-sato');
      assert.equal((await api(run.keycloakServer.baseUrl, own.access_token)('GET', '/rooms')).status, 200);
    });

  test('Keycloak: the FHIR connector\'s client-credentials token is accepted where the network trusts the realm',
    { timeout: 60_000 }, async () => {
      const gateway = run.fhirGateway;
      const suzuki = user('cm-suzuki');
      const asSuzuki = api(run.keycloakServer.baseUrl,
        (await passwordGrant(run.keycloak.issuer('tsunagu'), PASSWORD_CLIENT, suzuki.id)).access_token);
      // 山田 様's room holds the demo's cards under an approved grant (demo-data.json, consent.requests).
      const rooms = (await asSuzuki('GET', '/rooms?limit=100')).body.items;
      const room = rooms.find((r) => r.room.name.startsWith('山田 花子'));
      assert.ok(room, 'the care manager is in 山田 様\'s room');
      const messages = (await asSuzuki('GET', `/rooms/${room.room.id}/messages?limit=200`)).body.items;
      const card = messages.find((m) => m.excerpt?.grantState === 'active');
      assert.ok(card, `a card under an active grant among ${messages.length} messages`);
      const before = gateway.requests.length;
      const excerpt = await asSuzuki('GET', `/rooms/${room.room.id}/messages/${card.id}/excerpt`);
      assert.equal(excerpt.status, 200);
      assert.equal(excerpt.body.state, 'shown', `the card reads ${excerpt.body.state}: ${JSON.stringify(excerpt.body)}`);
      const seen = gateway.requests.slice(before);
      assert.ok(seen.length > 0, 'the card was read from the FHIR network through the gateway');
      assert.deepEqual(seen.filter((r) => !r.accepted), [], 'every FHIR request carried the connector\'s token');
      assert.ok(seen.every((r) => r.azp === 'tsunagu-connector'));
      // The gateway's check is not a formality: a person's token from the same realm is not the connector's.
      const person = await passwordGrant(run.keycloak.issuer('tsunagu'), PASSWORD_CLIENT, suzuki.id);
      const r = await fetch(`${gateway.base}/metadata`, { headers: { authorization: `Bearer ${person.access_token}` } });
      assert.equal(r.status, 401);
      assert.match(gateway.requests.at(-1).why, /issued to tsunagu-test-password/);
    });
}
