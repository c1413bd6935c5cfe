// (e) Someone outside a room cannot open it by its URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signIn, withPhones } from '../support/browser.mjs';

export default function nonMember(run) {
  test('a helper who is not in 山田 様\'s room gets room-error and no messages from its URL', { timeout: 60_000 },
    async () => {
      const roomId = await run.api.as('cm-suzuki').roomIdNamed('山田 花子');
      const refused = await run.api.as('hp-nakamura').call('GET', `/rooms/${roomId}`, { expect: null });
      assert.equal(refused.status, 404, 'arrangement: hp-nakamura should not be a member of 山田 様\'s room');

      await withPhones(run.browser, 'non-member', async (open) => {
        const page = await signIn(await open('hp-nakamura'), run.server.baseUrl, 'hp-nakamura');
        const url = `${run.server.baseUrl}/app/#/rooms/${roomId}`;
        const expectRefused = async (how) => {
          await page.getByTestId('room-error').waitFor({ state: 'visible' });
          // Anything still loading has had time to land.
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          assert.equal(await page.getByTestId('message').count(), 0, `messages shown ${how}`);
          assert.ok(await page.getByTestId('room-error').isVisible(), `room-error gone ${how}`);
        };
        // Typed into the address bar of the signed-in tab (a hash change) ...
        await page.goto(url);
        await expectRefused('after going to the room\'s URL');
        // ... and opened afresh from that URL (a full load; the tab keeps its session).
        await page.reload();
        await expectRefused('after reloading the room\'s URL');
      });
    });
}
