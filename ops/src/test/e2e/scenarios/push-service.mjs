// (#15) What the server pushes, checked by implementations others wrote: web-push-testing takes it (VAPID
// signature, aes128gcm) and answers 410 once the subscription expired; a capture endpoint checks the VAPID claims
// with Node's crypto and decrypts with http_ece. The plaintext carries ids and a fixed label, never the message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../support/browser.mjs';
import { startCapture, startWebPushTesting, vapidProblem } from '../support/push-service.mjs';
import { tag } from '../support/run.mjs';

const PAYLOAD_KEYS = ['id', 'messageId', 'reason', 'roomId', 'round', 'seq', 'title', 'type', 'urgent', 'v'];
const LABELS = ['至急: 確認をお願いします', '依頼が届きました', 'メンションがあります', '新しいメッセージ', '依頼の期限が近づいています'];

export default function pushService(run) {
  test('web-push-testing receives and decrypts the push of a mention; ids only; a 410 forgets the device',
    { timeout: 60_000 }, async () => {
      const t = tag();
      const nurse = run.api.as('ns-sato');
      const cm = run.api.as('cm-suzuki');
      const roomId = await cm.createGroupRoom(`通知 ${t}`, ['ns-sato']);
      const service = await startWebPushTesting();
      try {
        const { publicKey } = await nurse.get('/notifications/vapid-key');
        const sub = await service.subscribe(publicKey);
        const device = await nurse.post('/notifications/devices', { endpoint: sub.endpoint, keys: sub.keys, userAgent: 'web-push-testing' });

        const text = `山田様のワーファリンを 2mg に (${t})`;
        const m = await cm.post(`/rooms/${roomId}/messages`, { text, mentions: { users: ['ns-sato'] } });
        const [plain] = await eventually(async () => {
          const got = await service.messages(sub.clientHash);
          assert.equal(got.length, 1);
          return got;
        });
        const payload = JSON.parse(plain);
        assert.deepEqual(Object.keys(payload).sort(), PAYLOAD_KEYS);
        assert.equal(payload.messageId, m.id);
        assert.equal(payload.roomId, roomId);
        assert.equal(payload.reason, 'mention');
        assert.ok(LABELS.includes(payload.title), payload.title);
        assert.ok(!plain.includes('ワーファリン') && !plain.includes('山田') && !plain.includes('cm-suzuki'), plain);

        await service.expire(sub.clientHash);
        await cm.post(`/rooms/${roomId}/messages`, { text: `もう一度 (${t})`, mentions: { users: ['ns-sato'] } });
        await eventually(async () => assert.deepEqual(
          (await nurse.get('/notifications/devices')).map((d) => d.id).filter((id) => id === device.id), [],
          'the device the push service said is gone was forgotten'));
      } finally {
        await service.stop();
      }
    });

  test('the VAPID token holds up to Node\'s crypto and http_ece decrypts the body', { timeout: 60_000 }, async () => {
    const t = tag();
    const nurse = run.api.as('ns-sato');
    const dr = run.api.as('dr-tanaka');
    const roomId = await run.api.as('cm-suzuki').createGroupRoom(`通知 VAPID ${t}`, ['ns-sato', 'dr-tanaka']);
    const capture = await startCapture();
    try {
      const { publicKey } = await nurse.get('/notifications/vapid-key');
      const device = await nurse.post('/notifications/devices', capture.subscription);
      const m = await dr.post(`/rooms/${roomId}/messages`, { text: `至急: 点滴を中止してください (${t})`, priority: 'urgent',
        acknowledgers: { users: ['ns-sato'] } });

      // The urgent push (an escalation notice a few seconds later, in this run's short intervals, may follow it).
      const got = await eventually(async () => {
        const urgent = capture.received.find((r) => JSON.parse(capture.decrypt(r.body)).reason === 'urgent');
        assert.ok(urgent, `${capture.received.length} pushes, none urgent`);
        return urgent;
      });
      assert.equal(vapidProblem(got.headers.authorization, capture.origin, publicKey), null);
      assert.equal(got.headers['content-encoding'], 'aes128gcm');
      assert.equal(got.headers.urgency, 'high');
      assert.match(got.headers.ttl, /^\d+$/);
      assert.match(got.headers.topic, /^[A-Za-z0-9_-]{1,32}$/);
      const payload = JSON.parse(capture.decrypt(got.body));
      assert.deepEqual(Object.keys(payload).sort(), PAYLOAD_KEYS);
      assert.equal(payload.messageId, m.id);
      assert.equal(payload.reason, 'urgent');
      assert.equal(payload.urgent, true);
      await nurse.call('DELETE', `/notifications/devices/${device.id}`);
    } finally {
      await capture.stop();
    }
  });
}
