// (#16) A nurse looks for what the pharmacist said about a drug: the search box on the room list, a word typed in
// half-width katakana finds it written in full width, the results are grouped by room with the word marked, and a
// tap opens the room at the message. From inside a room the search keeps to that room.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, keepScreenshot, messageById, openRoom, openRoomList, signIn, withPhones } from '../support/browser.mjs';
import { tag } from '../support/run.mjs';

export default function search(run) {
  test('a word in half-width kana finds the message in full width, grouped by room, and opens the room at it',
    { timeout: 120_000 }, async () => {
      const t = tag();
      const cm = run.api.as('cm-suzuki');
      const roomA = await cm.createGroupRoom(`検索A ${t}`, ['ns-sato']);
      const roomB = await cm.createGroupRoom(`検索B ${t}`, ['ns-sato']);
      const hitA = await cm.postMessage(roomA, `薬局より：ワーファリン 2mg を 1.5mg に減量 (${t})`);
      const hitB = await cm.postMessage(roomB, `ワーファリン服用中のため抜歯は要相談 (${t})`);
      await cm.postMessage(roomA, `訪問看護の記録 (${t})`);

      await withPhones(run.browser, 'search', async (open) => {
        const page = await signIn(await open('ns-sato'), run.server.baseUrl, 'ns-sato');
        await openRoomList(page);
        const hits = page.getByTestId('search-hit');
        // The index follows a post within a fraction of a second; search again until it has them.
        await eventually(async () => {
          await page.getByTestId('search-input').fill(`ﾜｰﾌｧﾘﾝ ${t}`);
          await page.getByTestId('search-submit').click();
          await page.getByTestId('search').waitFor({ state: 'visible' });
          assert.equal(await hits.count(), 2);
        });
        assert.deepEqual(await page.getByTestId('search-room').evaluateAll((els) => els.map((e) => e.dataset.roomId)).then((ids) => ids.sort()),
          [roomA, roomB].sort(), 'one group per room');
        const marked = page.locator(`[data-testid="search-hit"][data-message-id="${hitA.id}"] mark`);
        assert.equal(await marked.first().textContent(), 'ワーファリン');
        await keepScreenshot(page, 'search-results');

        await page.locator(`[data-testid="search-hit"][data-message-id="${hitB.id}"]`).click();
        await page.waitForURL((url) => url.hash === `#/rooms/${roomB}/messages/${hitB.id}`);
        await messageById(page, hitB.id).and(page.locator('.message.focused')).waitFor({ state: 'visible' });

        // From inside room A: only room A.
        await page.evaluate(() => { location.hash = '#/rooms'; });
        await openRoom(page, roomA);
        await page.getByTestId('room-search').click();
        await page.getByTestId('search-input').fill('ワーファリン');
        await page.getByTestId('search-submit').click();
        await eventually(async () => assert.deepEqual(
          await page.getByTestId('search-hit').evaluateAll((els) => els.map((e) => e.dataset.messageId)), [hitA.id]));
      });
    });
}
