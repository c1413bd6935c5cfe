// (c) A post written offline waits in the outbox (pending) and is delivered exactly once when back online.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, messagesWithText, openRoom, signIn, withPhones } from '../support/browser.mjs';
import { tag } from '../support/run.mjs';

export default function offlinePost(run) {
  test('a post sent offline is pending, then delivered exactly once when back online', { timeout: 90_000 },
    async (t) => {
      const id = tag();
      const nurseApi = run.api.as('ns-sato');
      const roomId = await nurseApi.createGroupRoom(`電波の弱いお宅 ${id}`, ['cm-suzuki']);
      const text = `地下の居室で電波なし。訪問終了、特変なし (${id})`;
      const storedWithText = async () => (await nurseApi.messages(roomId)).filter((m) => m.text.includes(text));

      await withPhones(run.browser, 'offline', async (open) => {
        const nurseContext = await open('ns-sato');
        const nurse = await signIn(nurseContext, run.server.baseUrl, 'ns-sato');
        const cm = await signIn(await open('cm-suzuki'), run.server.baseUrl, 'cm-suzuki');
        await openRoom(nurse, roomId);
        await openRoom(cm, roomId);

        await nurseContext.setOffline(true);
        await nurse.getByTestId('composer-text').fill(text);
        await nurse.getByTestId('composer-send').click();
        const pending = nurse.locator('[data-testid="message"][data-pending="true"]')
          .filter({ has: nurse.getByTestId('message-text').filter({ hasText: text }) });
        await pending.waitFor({ state: 'visible' });
        t.diagnostic(`connection while offline: ${await nurse.getByTestId('connection').getAttribute('data-state').catch(() => 'none')}`);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        assert.equal(await pending.count(), 1, 'the pending post is no longer shown as pending while offline');
        assert.equal((await storedWithText()).length, 0, 'the server got the post while the phone was offline');

        await nurseContext.setOffline(false);
        const mine = messagesWithText(nurse, text);
        await eventually(async () => {
          assert.equal(await mine.count(), 1, `the nurse's phone shows the post ${await mine.count()} times`);
          assert.notEqual(await mine.getAttribute('data-pending'), 'true', 'the post is still pending');
        }, { timeout: 30_000 });
        const theirs = messagesWithText(cm, text);
        await theirs.first().waitFor({ state: 'visible' });

        await eventually(async () => assert.equal((await storedWithText()).length, 1));
        // Give a repeat every chance to show up, then count again everywhere.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        const stored = await storedWithText();
        assert.equal(stored.length, 1, `the room holds ${stored.length} messages with the text`);
        assert.equal(stored[0].author.userId, 'ns-sato');
        assert.equal(await mine.count(), 1, 'the nurse\'s phone shows the post more than once');
        assert.equal(await theirs.count(), 1, 'the care manager\'s phone shows the post more than once');
        assert.equal(await mine.getAttribute('data-message-id'), stored[0].id);
      });
    });
}
