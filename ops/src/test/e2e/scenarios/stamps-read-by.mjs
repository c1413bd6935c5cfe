// (b) A stamp given in one phone changes the count in the other; read-by names the reader's profession.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, messageById, openRoom, signIn, withPhones } from '../support/browser.mjs';
import { tag } from '../support/run.mjs';

/** The count a stamp button shows (the last number in its text; none is 0). */
async function stampCount(button) {
  const numbers = (await button.textContent()).match(/\d+/g);
  return numbers ? Number(numbers[numbers.length - 1]) : 0;
}

export default function stampsAndReadBy(run) {
  test('a stamp is counted live in the other phone, and read-by lists the reader by profession',
    { timeout: 90_000 }, async () => {
      const t = tag();
      const nurseApi = run.api.as('ns-sato');
      const roomId = await nurseApi.createGroupRoom(`申し送り ${t}`, ['cm-suzuki']);
      const message = await nurseApi.postMessage(roomId, `本日の訪問で血圧 148/86、下肢のむくみ軽度です (${t})`);

      await withPhones(run.browser, 'stamps', async (open) => {
        const nurse = await signIn(await open('ns-sato'), run.server.baseUrl, 'ns-sato');
        const cm = await signIn(await open('cm-suzuki'), run.server.baseUrl, 'cm-suzuki');
        await openRoom(nurse, roomId);
        await openRoom(cm, roomId);
        const onNurse = messageById(nurse, message.id);
        const onCm = messageById(cm, message.id);
        await onNurse.waitFor({ state: 'visible' });
        await onCm.waitFor({ state: 'visible' });
        await nurse.evaluate(() => { window.__e2eSamePage = true; });

        const nurseStamp = onNurse.getByTestId('stamp-accepted');
        const cmStamp = onCm.getByTestId('stamp-accepted');
        assert.equal(await stampCount(nurseStamp), 0, 'a new message already counts an accepted stamp');
        assert.equal(await cmStamp.getAttribute('aria-pressed'), 'false');

        await cmStamp.click();
        await eventually(async () => assert.equal(await cmStamp.getAttribute('aria-pressed'), 'true',
          'stamp-accepted is not pressed after the care manager gave it'));
        await eventually(async () => assert.equal(await stampCount(nurseStamp), 1,
          `the nurse's stamp-accepted shows "${await nurseStamp.textContent()}"`));
        assert.equal(await nurseStamp.getAttribute('aria-pressed'), 'false', 'the nurse did not give the stamp');
        assert.equal(await stampCount(cmStamp), 1);
        assert.equal(await nurse.evaluate(() => window.__e2eSamePage), true, 'the nurse\'s page was reloaded');
        const stored = await nurseApi.get(`/rooms/${roomId}/messages/${message.id}`);
        assert.deepEqual(stored.stamps.filter((s) => s.stamp === 'accepted').map((s) => s.userIds), [['cm-suzuki']]);

        // The care manager's open room has told the server she read it.
        const readers = await eventually(async () => {
          const r = await nurseApi.get(`/rooms/${roomId}/messages/${message.id}/readers`);
          assert.ok(r.read.some((g) => g.members.some((m) => m.userId === 'cm-suzuki')),
            'the care manager\'s client has not marked the room read (POST /rooms/{id}/read)');
          return r;
        });
        const profession = readers.read.find((g) => g.members.some((m) => m.userId === 'cm-suzuki')).profession;
        await onNurse.getByTestId('read-by').click();
        const list = nurse.getByTestId('read-by-list');
        await list.waitFor({ state: 'visible' });
        await eventually(async () => assert.ok((await list.textContent()).includes(profession.label),
          `read-by-list does not name the profession ${profession.label}: "${await list.textContent()}"`));
      });
    });
}
