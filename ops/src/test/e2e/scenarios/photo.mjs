// (a) A nurse posts a photo; a care manager with the same room open sees it arrive live, image and all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, keepScreenshot, messagesWithText, openRoom, signIn, withPhones } from '../support/browser.mjs';
import { tag } from '../support/run.mjs';

export default function photo(run) {
  test('a photo posted by a nurse appears live for the care manager', { timeout: 90_000 }, async () => {
    const t = tag();
    const nurseApi = run.api.as('ns-sato');
    const roomName = `褥瘡ケア 写真共有 ${t}`;
    const roomId = await nurseApi.createGroupRoom(roomName, ['cm-suzuki']);
    const caption = `右踵の発赤、2cm大です。写真を共有します (${t})`;

    await withPhones(run.browser, 'photo', async (open) => {
      const nurse = await signIn(await open('ns-sato'), run.server.baseUrl, 'ns-sato');
      const cm = await signIn(await open('cm-suzuki'), run.server.baseUrl, 'cm-suzuki');
      await openRoom(nurse, roomId);
      await openRoom(cm, roomId);
      await eventually(async () => assert.match(await cm.getByTestId('room-title').textContent(), new RegExp(t)));
      assert.equal(await cm.getByTestId('attachment').count(), 0, 'the new room shows an attachment already');
      await cm.evaluate(() => { window.__e2eSamePage = true; });

      await nurse.getByTestId('composer-photo').setInputFiles(run.photo);
      await nurse.getByTestId('composer-text').fill(caption);
      await nurse.getByTestId('composer-send').click();

      const arrived = messagesWithText(cm, caption);
      const image = arrived.getByTestId('attachment').first();
      await image.waitFor({ state: 'visible' });
      await eventually(async () => {
        const loaded = await image.evaluate((el) => {
          const img = el.tagName === 'IMG' ? el : el.querySelector('img');
          return Boolean(img && img.complete && img.naturalWidth > 0);
        });
        assert.ok(loaded, 'the attachment is shown but its image has not loaded');
      });
      assert.equal(await cm.evaluate(() => window.__e2eSamePage), true, 'the care manager\'s page was reloaded');
      assert.equal(await arrived.count(), 1, 'the photo message is shown more than once');

      const stored = (await nurseApi.messages(roomId)).filter((m) => m.text.includes(caption));
      assert.equal(stored.length, 1, `the room holds ${stored.length} messages with the caption`);
      assert.equal(stored[0].author.userId, 'ns-sato');
      assert.equal(stored[0].attachments.length, 1, 'the message carries no attachment');
      await keepScreenshot(cm, 'room');
    });
  });
}
