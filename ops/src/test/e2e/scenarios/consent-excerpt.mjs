// (d) A resident's proxy approves a share request in the consent view; a professional then posts an excerpt
// card and another professional's phone shows it with the record shown.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { eventually, keepScreenshot, messageById, openRoom, signIn, withPhones } from '../support/browser.mjs';
import { tag } from '../support/run.mjs';

export default function consentExcerpt(run) {
  test('a proxy approves a request in the consent view, and a card under it is shown to the team',
    { timeout: 120_000 }, async (t) => {
      const id = tag();
      const proxyApi = run.api.as('fam-mori-yoko');
      const nurseApi = run.api.as('ns-sato');
      const roomId = await proxyApi.roomIdNamed('木村 トメ');
      // The demo leaves one request waiting for 森 様 (by ns-sato); on a server where it was decided, ask again.
      let pending = await proxyApi.get(`/rooms/${roomId}/consent/requests?status=pending`);
      if (pending.length === 0) {
        await nurseApi.post(`/rooms/${roomId}/consent/requests`, {
          categories: ['medication', 'allergy', 'memo'],
          validDays: 180,
          purpose: `訪問看護での服薬確認のため (${id})`,
        });
        pending = await proxyApi.get(`/rooms/${roomId}/consent/requests?status=pending`);
      }
      assert.equal(pending.length, 1, `木村 様's room has ${pending.length} pending requests`);
      const request = pending[0];
      assert.ok(request.categories.includes('medication'));

      await withPhones(run.browser, 'consent', async (open) => {
        const proxy = await signIn(await open('fam-mori-yoko'), run.server.baseUrl, 'fam-mori-yoko');
        const nav = proxy.getByTestId('nav-consent');
        // docs/WEB.md does not say on which screen nav-consent sits: the room list, else the resident's room.
        const onList = await nav.isVisible();
        if (!onList) {
          await openRoom(proxy, roomId);
        }
        t.diagnostic(`nav-consent found on the ${onList ? 'room list' : 'room'}`);
        await nav.click();
        const waiting = proxy.getByTestId('consent-request').filter({ has: proxy.getByTestId('approve') });
        await waiting.first().waitFor({ state: 'visible' });
        assert.equal(await waiting.count(), 1, 'the consent view shows a different number of pending requests');
        await keepScreenshot(proxy, 'consent');
        await waiting.getByTestId('approve').click();

        const decided = await eventually(async () => {
          const all = await proxyApi.get(`/rooms/${roomId}/consent/requests`);
          const r = all.find((x) => x.id === request.id);
          assert.equal(r.status, 'approved', `the request is ${r.status} after approve was tapped`);
          return r;
        });
        assert.equal(decided.decidedBy?.userId, 'fam-mori-yoko');
        await proxy.getByTestId('grant').first().waitFor({ state: 'visible' });
        await eventually(async () => assert.equal(await waiting.count(), 0, 'the approved request is still offered'));

        // A nurse in the room posts a medication card under the new grant; the care manager has the room open.
        const cm = await signIn(await open('cm-suzuki'), run.server.baseUrl, 'cm-suzuki');
        await openRoom(cm, roomId);
        const card = await nurseApi.call('POST', `/rooms/${roomId}/excerpts`, {
          json: { grantId: decided.grantId, kind: 'medication', text: `服薬確認のため現在のお薬を共有します (${id})` },
          headers: { 'idempotency-key': randomUUID() },
        });
        const messageId = card.body.id;
        const forCm = await run.api.as('cm-suzuki').get(`/rooms/${roomId}/messages/${messageId}/excerpt`);
        assert.equal(forCm.state, 'shown', 'the server does not show this card to the care manager');

        const shown = messageById(cm, messageId).locator('[data-testid="excerpt-card"][data-state="shown"]');
        await shown.waitFor({ state: 'visible', timeout: 20_000 });
        await shown.scrollIntoViewIfNeeded();
        await keepScreenshot(cm, 'excerpt');
      });
    });
}
