// The client is served, the demo sign-in works, and the room list shows the user's rooms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepScreenshot, openRoomList, signIn, withPhones } from '../support/browser.mjs';

export default function smoke(run) {
  test('GET /app/ answers 200 with an HTML page', async () => {
    const r = await fetch(`${run.server.baseUrl}/app/`);
    assert.equal(r.status, 200, `GET /app/ answered ${r.status}`);
    assert.match(r.headers.get('content-type') ?? '', /text\/html/);
  });

  test('a care manager signs in and sees her rooms with their unread counts', { timeout: 60_000 }, async () => {
    const api = run.api.as('cm-suzuki');
    await withPhones(run.browser, 'room-list', async (open) => {
      const page = await signIn(await open('cm-suzuki'), run.server.baseUrl, 'cm-suzuki');
      await openRoomList(page);
      const list = page.getByTestId('room-list');
      const rooms = await api.rooms();
      assert.ok(rooms.length >= 5, `cm-suzuki has ${rooms.length} rooms over REST`);
      for (const r of rooms) {
        await list.getByTestId(`room-${r.room.id}`).waitFor({ state: 'attached' });
        if (r.unreadCount > 0) {
          const unread = list.getByTestId(`room-${r.room.id}`).getByTestId(`unread-${r.room.id}`);
          assert.match(await unread.textContent(), new RegExp(`(^|\\D)${r.unreadCount}(\\D|$)`),
            `unread-${r.room.id} (${r.room.name}) should show ${r.unreadCount}`);
        }
      }
      await keepScreenshot(page, 'room-list');
    });
  });
}
