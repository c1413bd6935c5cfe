// Sign-in with the facility's OpenID provider: authorization code with PKCE (RFC 7636, S256).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openRoomList, withPhones } from '../support/browser.mjs';

export default function oidcSignIn(run) {
  test('a nurse signs in through the OpenID provider (code + PKCE) and sees her rooms', { timeout: 60_000 }, async () => {
    const oidc = run.oidc;
    oidc.nextUser = 'ns-sato';
    const before = oidc.exchanges.length;
    await withPhones(run.browser, 'oidc', async (open) => {
      const page = await (await open('ns-sato')).newPage();
      await page.goto(`${run.server.baseUrl}/app/`);
      await page.getByTestId('oidc-sign-in').click();
      await page.getByTestId('inbox').waitFor({ state: 'visible' });
      const authorization = oidc.authorizations.at(-1);
      assert.equal(authorization.code_challenge_method, 'S256');
      assert.equal(authorization.redirect_uri, `${run.server.baseUrl}/app/`);
      assert.deepEqual(oidc.exchanges.slice(before), [{ verified: true, user: 'ns-sato' }],
        'one code exchanged, with the verifier matching the challenge');
      assert.equal(new URL(page.url()).search, '', 'the code is gone from the address bar');
      await openRoomList(page);
      assert.ok(await page.locator('[data-testid^="room-"]').count() > 1, 'the nurse\'s rooms are listed');
      assert.equal(await page.evaluate(() => sessionStorage.getItem('tsunagu.pkce')), null, 'the verifier is not kept');
    });
  });
}
