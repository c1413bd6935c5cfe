// (#15) The web client's side of notifications. Headless Chromium cannot subscribe to a real push service, so the
// service worker's push handler is driven through the DevTools protocol (ServiceWorker.deliverPushMessage) with
// the payload the server sends; the click goes through the worker's notificationclick handler.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, keepScreenshot, messageById, openRoom, signIn, withPhones } from '../support/browser.mjs';
import { tag } from '../support/run.mjs';

/** The service worker registration id of the app, as the DevTools protocol names it. */
async function registrationId(cdp, baseUrl) {
  const found = new Promise((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const app = registrations.find((r) => r.scopeURL === `${baseUrl}/app/` && !r.isDeleted);
      if (app) resolve(app.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  return found;
}

const shownNotifications = (page) => page.evaluate(async () => (await navigator.serviceWorker.ready.then((r) => r.getNotifications()))
  .map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })));

export default function notifications(run) {
  test('a pushed mention shows who wrote it but not what, opens the room at the message, and a read elsewhere closes it',
    { timeout: 120_000 }, async () => {
      const t = tag();
      const cm = run.api.as('cm-suzuki');
      const roomId = await cm.createGroupRoom(`通知 ${t}`, ['ns-sato']);
      const base = run.server.baseUrl;

      await withPhones(run.browser, 'notifications', async (open) => {
        const context = await open('ns-sato');
        await context.grantPermissions(['notifications'], { origin: base });
        const page = await signIn(context, base, 'ns-sato');
        await eventually(async () => assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the worker controls the page'));
        // What turning notifications on gives the worker (the subscription itself needs a real push service).
        await page.evaluate(() => import('/app/js/notify.js').then((n) => n.kv({ token: sessionStorage.getItem('tsunagu.token'), preview: false })));

        const text = `山田様 ワーファリン 2mg に変更 ${t}`;
        const m = await cm.post(`/rooms/${roomId}/messages`, { text, mentions: { users: ['ns-sato'] } });
        const payload = { v: 1, type: 'message', id: `n-${t}`, round: 0, roomId, messageId: m.id, seq: m.seq,
          reason: 'mention', urgent: false, title: 'メンションがあります' };
        const cdp = await context.newCDPSession(page);
        const registration = await registrationId(cdp, base);
        await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId: registration, data: JSON.stringify(payload) });

        const [shown] = await eventually(async () => {
          const list = await shownNotifications(page);
          assert.equal(list.length, 1);
          return list;
        });
        assert.equal(shown.title, 'メンションがあります');
        assert.equal(shown.body, `${m.author.displayName} さんから`, 'who wrote it, fetched with her token');
        assert.ok(!shown.body.includes('ワーファリン') && !shown.title.includes(`通知 ${t}`), 'no text, no room name with preview off');
        assert.equal(shown.tag, `room:${roomId}`);
        assert.equal(shown.data.url, `/app/#/rooms/${roomId}/messages/${m.id}`);

        // The same push again (a server that crashed between sending and recording it) shows once.
        await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId: registration, data: JSON.stringify(payload) });
        await eventually(async () => assert.equal((await shownNotifications(page)).length, 1));

        // A tap: the worker's notificationclick opens the room at the message.
        const [worker] = context.serviceWorkers();
        await worker.evaluate(async () => {
          const [n] = await self.registration.getNotifications();
          self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n }));
        });
        await page.waitForURL((url) => url.hash === `#/rooms/${roomId}/messages/${m.id}`);
        await messageById(page, m.id).and(page.locator('.message.focused')).waitFor({ state: 'visible' });
        await eventually(async () => assert.equal((await shownNotifications(page)).length, 0, 'a tapped notification closes'));
        await keepScreenshot(page, 'notification-opened');

        // Shown again, then read on another device: the clear push closes it here.
        await page.evaluate(() => { location.hash = '#/'; });
        await page.getByTestId('inbox').waitFor({ state: 'visible' });
        await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId: registration,
          data: JSON.stringify({ ...payload, id: `n2-${t}` }) });
        await eventually(async () => assert.equal((await shownNotifications(page)).length, 1));
        await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId: registration,
          data: JSON.stringify({ v: 1, type: 'clear', roomId, seq: m.seq }) });
        await eventually(async () => assert.equal((await shownNotifications(page)).length, 0, 'read elsewhere: closed here'));
      });
    });

  test('notifications are offered once she has opened a room, not on the first screen; the settings screen keeps her choices',
    { timeout: 120_000 }, async () => {
      const t = tag();
      const cm = run.api.as('cm-suzuki');
      const roomId = await cm.createGroupRoom(`通知設定 ${t}`, ['ns-sato']);
      const nurse = run.api.as('ns-sato');

      await withPhones(run.browser, 'notification-settings', async (open) => {
        const page = await signIn(await open('ns-sato'), run.server.baseUrl, 'ns-sato');
        assert.equal(await page.evaluate(() => Notification.permission), 'default');
        assert.equal(await page.getByTestId('push-prompt').count(), 0, 'not on the first screen of a visit');
        await openRoom(page, roomId);
        await page.locator('.bar .back').click();
        await page.getByTestId('nav-inbox').click();
        await page.getByTestId('inbox').waitFor({ state: 'visible' });
        await page.getByTestId('push-prompt').waitFor({ state: 'visible' });
        await keepScreenshot(page, 'notification-prompt');
        await page.getByTestId('push-prompt-later').click();
        await eventually(async () => assert.equal(await page.getByTestId('push-prompt').count(), 0));

        await page.getByTestId('nav-settings').click();
        await page.getByTestId('settings').waitFor({ state: 'visible' });
        assert.equal(await page.getByTestId('push-state').getAttribute('data-state'), 'off');
        await page.getByTestId('quiet-sat').uncheck();
        await page.getByTestId('quiet-sun').uncheck();
        await page.getByTestId('quiet-from').fill('21:30');
        await page.getByTestId('quiet-to').fill('06:30');
        await page.getByTestId('quiet-save').click();
        await eventually(async () => assert.match(await page.getByTestId('quiet-state').textContent(), /21:30/));
        await page.getByTestId(`level-${roomId}`).selectOption('all');
        await page.getByTestId('dnd-1h').click();
        await eventually(async () => assert.doesNotMatch(await page.getByTestId('dnd-state').textContent(), /オフ/));
        await keepScreenshot(page, 'notification-settings');

        const settings = await nurse.get('/notifications/settings');
        assert.deepEqual(settings.quietHours, { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '21:30', to: '06:30' });
        assert.ok(new Date(settings.dndUntil) > new Date());
        await eventually(async () => assert.equal((await nurse.get(`/rooms/${roomId}/notifications`)).level, 'all'));
        await nurse.put('/notifications/settings', { dndUntil: null, quietHours: null });
      });
    });
}
