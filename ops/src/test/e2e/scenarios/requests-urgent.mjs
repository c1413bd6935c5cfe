// (#14) A care manager asks a nurse for a visit report due tomorrow from the composer; the nurse accepts and
// completes it from her inbox (the first screen); the care manager sees it done live. An urgent message nobody
// acknowledges escalates (the server runs with short escalation intervals for this).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, keepScreenshot, messageById, messagesWithText, openRoom, signIn, withPhones } from '../support/browser.mjs';
import { tag } from '../support/run.mjs';

export default function requestsAndUrgent(run) {
  test('a request made in the composer is accepted and completed from the nurse\'s inbox and seen done live',
    { timeout: 120_000 }, async () => {
      const t = tag();
      const cmApi = run.api.as('cm-suzuki');
      const roomId = await cmApi.createGroupRoom(`訪問調整 ${t}`, ['ns-sato']);

      await withPhones(run.browser, 'requests', async (open) => {
        const nurse = await signIn(await open('ns-sato'), run.server.baseUrl, 'ns-sato');
        const cm = await signIn(await open('cm-suzuki'), run.server.baseUrl, 'cm-suzuki');
        await openRoom(cm, roomId);

        const text = `明日の訪問のご報告をお願いします (${t})`;
        await cm.getByTestId('composer-text').fill(text);
        await cm.getByTestId('composer-request').check();
        await cm.getByTestId('request-kind').selectOption('report');
        await cm.getByTestId('request-assignee').selectOption('user:ns-sato');
        await cm.getByTestId('composer-send').click();
        const onCm = messagesWithText(cm, text).filter({ has: cm.getByTestId('request') });
        await eventually(async () => assert.equal(await onCm.getByTestId('request').getAttribute('data-state'), 'open'));
        const stored = (await cmApi.get(`/rooms/${roomId}/messages?limit=5`)).items.find((m) => m.text === text);
        assert.ok(stored && stored.request, 'the request was stored with the message');
        assert.deepEqual(stored.request.assigneeIds, ['ns-sato']);
        const dueInHours = (new Date(stored.request.dueAt) - Date.now()) / 3_600_000;
        assert.ok(dueInHours > 20 && dueInHours < 25, `due in ${dueInHours} h, not tomorrow`);

        // The nurse's inbox, open all along, shows it live; she accepts, then completes it there.
        const item = nurse.locator(`[data-testid="inbox-item"][data-message-id="${stored.id}"]`);
        await item.waitFor({ state: 'visible' });
        await item.getByTestId('request-accept').click();
        await eventually(async () => assert.equal(await item.getByTestId('request').getAttribute('data-state'), 'accepted'));
        nurse.once('dialog', (d) => d.accept('訪問済み。報告書を送りました'));
        await item.getByTestId('request-complete').click();
        await eventually(async () => assert.equal(await nurse.locator(`[data-testid="inbox-item"][data-message-id="${stored.id}"]`).count(), 0,
          'a done request leaves the inbox'));
        await keepScreenshot(nurse, 'inbox-after-done');

        await eventually(async () => assert.equal(await onCm.getByTestId('request').getAttribute('data-state'), 'done',
          'the care manager sees the request done live'));
        await eventually(async () => assert.match(await onCm.getByTestId('stamp-completed').textContent(), /1/));
        // She pins it for the room: the message is marked and listed above the timeline.
        await onCm.getByTestId('pin').click();
        await eventually(async () => assert.equal(await onCm.getByTestId('pinned').count(), 1));
        await eventually(async () => assert.match(await cm.getByTestId('pins').textContent(), new RegExp(t)));
        const done = await cmApi.get(`/rooms/${roomId}/messages/${stored.id}`);
        assert.equal(done.pin.by, 'cm-suzuki');
        assert.deepEqual(done.request.history.map((h) => h.state), ['open', 'accepted', 'done']);
        assert.equal(done.request.history[2].note, '訪問済み。報告書を送りました');
      });
    });

  test('an urgent message nobody acknowledges escalates with a notice naming who has not, then is acknowledged',
    { timeout: 120_000 }, async () => {
      const t = tag();
      const nurseApi = run.api.as('ns-sato');
      const roomId = await nurseApi.createGroupRoom(`至急 ${t}`, ['dr-tanaka', 'cm-suzuki']);

      await withPhones(run.browser, 'urgent', async (open) => {
        const nurse = await signIn(await open('ns-sato'), run.server.baseUrl, 'ns-sato');
        await openRoom(nurse, roomId);
        const text = `SpO2 88%、呼吸苦あり。至急ご指示ください (${t})`;
        await nurse.getByTestId('composer-text').fill(text);
        await nurse.getByTestId('composer-urgent').check();
        await nurse.getByTestId('composer-mention').selectOption('user:dr-tanaka');
        await nurse.getByTestId('composer-send').click();
        const urgent = messagesWithText(nurse, text).filter({ has: nurse.getByTestId('acknowledgement') });
        await eventually(async () => assert.equal(await urgent.getByTestId('acknowledgement').getAttribute('data-pending'), '1'));

        // Nobody answers: the escalation notice arrives live, naming the doctor, and the message says so.
        const notice = messagesWithText(nurse, '至急・未確認');
        await eventually(async () => assert.ok((await notice.count()) >= 1, 'no escalation notice yet'), { timeout: 30_000 });
        assert.match(await notice.first().getByTestId('message-text').textContent(), /田中/);
        await eventually(async () => assert.equal(await urgent.getByTestId('escalated').count(), 1));
        await keepScreenshot(nurse, 'urgent-escalated');

        // The doctor acknowledges from his inbox.
        const doctor = await signIn(await open('dr-tanaka'), run.server.baseUrl, 'dr-tanaka');
        const stored = (await nurseApi.get(`/rooms/${roomId}/messages?limit=10`)).items.find((m) => m.text === text);
        const item = doctor.getByTestId('inbox-acknowledgements').locator(`[data-message-id="${stored.id}"]`);
        await item.getByTestId('acknowledge').click();
        await eventually(async () => assert.equal(await urgent.getByTestId('acknowledgement').getAttribute('data-pending'), '0',
          'the nurse sees the acknowledgement live'));
        const acknowledged = await nurseApi.get(`/rooms/${roomId}/messages/${stored.id}`);
        assert.deepEqual(acknowledged.acknowledgement.acknowledged.map((a) => a.userId), ['dr-tanaka']);
        assert.equal(acknowledged.acknowledgement.escalations.length >= 1, true);
      });
    });
}
