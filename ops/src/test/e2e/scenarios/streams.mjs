// (#18) Following a room with clients others wrote: npm `ws` on /api/v1/ws and npm `eventsource` on the SSE
// endpoint. Messages are posted over REST the whole time; the connection is dropped midway (the relay cuts the TCP
// connection, or the client closes) and resumed the standard way: `after` on the WebSocket; on SSE the eventsource
// package's own reconnect with Last-Event-ID, then a new EventSource with `?after=`. What the client saw must be
// every message, in order, each once: the same list the REST API gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { startRelay } from '../support/relay.mjs';
import { tag } from '../support/run.mjs';

/** Posts in one run, and the pace: long enough that posts go on while a client is away (eventsource waits 3 s). */
const POSTS = 60;
const POST_EVERY_MS = 100;
/** The clients are dropped after this many messages (then resumed), and again after the second. */
const FIRST_DROP = 15;
const SECOND_DROP = 40;
/** A message seen twice could arrive a little after the last one: wait this long for it before judging. */
const SETTLE_MS = 1_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A message as a failure names it: its number in the run, its seq and id ("07 seq 12 65a…"). */
const label = (m) => `${m.text.split(' ')[1]} seq ${m.seq} ${m.id}`;

/**
 * What a client saw of the room: every frame, the messages by id in order of arrival. A message event seen for an id
 * already seen is a duplicate (the room's messages are only posted here, never changed).
 */
function follower(t) {
  const seen = { events: [], ids: [], labels: [], duplicates: [], controls: [], lastSeq: 0, outOfOrder: [] };
  seen.take = (json, via) => {
    const frame = JSON.parse(json);
    if (!frame.type?.includes('.') && frame.type !== 'read') {
      seen.controls.push({ via, ...frame });
      return;
    }
    if (frame.seq <= seen.lastSeq) {
      seen.outOfOrder.push(`${frame.type} seq ${frame.seq} after ${seen.lastSeq} (${via})`);
    }
    seen.lastSeq = Math.max(seen.lastSeq, frame.seq);
    seen.events.push({ via, type: frame.type, seq: frame.seq });
    const m = frame.message;
    if (m && m.text?.endsWith(`(${t})`)) {
      if (seen.ids.includes(m.id)) {
        seen.duplicates.push(`${label(m)} again at seq ${frame.seq} (${via})`);
      } else {
        seen.ids.push(m.id);
        seen.labels.push(label(m));
      }
    }
  };
  return seen;
}

async function until(what, check, timeoutMs = 30_000) {
  if (!await within(timeoutMs, check)) {
    throw new Error(`timed out waiting for ${what}`);
  }
}

/** Whether `check` came true within the time (false: the caller judges what it has). */
async function within(timeoutMs, check) {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) {
      return false;
    }
    await sleep(20);
  }
  return true;
}

/** A group room, its author, and a poster that posts POSTS numbered messages over REST, one every POST_EVERY_MS. */
async function arrange(run, name) {
  const t = tag();
  const cm = run.api.as('cm-suzuki');
  const roomId = await cm.createGroupRoom(`${name} ${t}`, ['ns-sato']);
  const post = async () => {
    for (let i = 0; i < POSTS; i++) {
      await cm.postMessage(roomId, `${name} ${String(i).padStart(2, '0')} (${t})`);
      await sleep(POST_EVERY_MS);
    }
  };
  return { t, roomId, cm, post };
}

/** The room's messages of this run as REST lists them, oldest first: what every follower must have seen. */
async function posted(cm, roomId, t) {
  return (await cm.messages(roomId)).filter((m) => m.text?.endsWith(`(${t})`)).sort((a, b) => a.seq - b.seq);
}

function judge(seen, expected) {
  assert.equal(expected.length, POSTS, 'every post was stored');
  assert.deepEqual(seen.controls.filter((c) => c.type === 'resync' || c.type === 'error'), [], 'no resync or error');
  assert.deepEqual(seen.outOfOrder, [], 'events in sequence order across reconnects');
  assert.deepEqual(seen.duplicates, [], 'no message twice');
  assert.deepEqual(seen.labels, expected.map(label), 'every message, in order, none missing');
}

export default function streams(run) {
  test('ws: a follower dropped twice while posts go on resumes with `after` and sees every message once, in order',
    { timeout: 90_000 }, async () => {
      const { t, roomId, cm, post } = await arrange(run, 'ws');
      const relay = await startRelay(run.server.port);
      const token = await run.api.token('ns-sato');
      const seen = follower(t);
      let socket = null;
      let connections = 0;
      // Opens a socket through the relay and subscribes after the last number seen (0 at first: the whole room).
      const connect = () => new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/api/v1/ws`, { headers: { authorization: `Bearer ${token}` } });
        const via = `ws#${++connections}`;
        let opened = false;
        ws.on('message', (data) => seen.take(data.toString(), via));
        ws.once('open', () => {
          opened = true;
          ws.send(JSON.stringify({ type: 'subscribe', roomId, after: seen.lastSeq }));
          resolve(ws);
        });
        // Once open, an error is the drop this test makes; 'close' follows it.
        ws.on('error', (e) => !opened && reject(e));
      });
      try {
        socket = await connect();
        await until('the first subscription', () => seen.controls.some((c) => c.type === 'subscribed'));
        const posting = post();

        await until(`${FIRST_DROP} messages`, () => seen.ids.length >= FIRST_DROP);
        // The network drops: the socket dies under the client (no close frame), posts go on meanwhile.
        const closed = new Promise((resolve) => socket.once('close', resolve));
        assert.equal(relay.cut(), 1);
        await closed;
        await sleep(500);
        socket = await connect();

        await until(`${SECOND_DROP} messages`, () => seen.ids.length >= SECOND_DROP);
        // The client drops it itself this time, as an app sent to the background does.
        socket.terminate();
        await sleep(500);
        socket = await connect();

        await posting;
        const expected = await posted(cm, roomId, t);
        // Judged with what came: a missing message shows in the comparison with the REST list.
        await within(15_000, () => seen.ids.length >= POSTS || seen.duplicates.length > 0);
        await sleep(SETTLE_MS);
        judge(seen, expected);
        assert.equal(connections, 3);
        assert.equal(seen.controls.filter((c) => c.type === 'subscribed').length, 3, 'each subscription answered');
      } finally {
        socket?.terminate();
        await relay.close();
      }
    });

  test('SSE: eventsource reconnects by itself with Last-Event-ID, then resumes with ?after=; every message once, '
    + 'in order', { timeout: 90_000 }, async () => {
    const { t, roomId, cm, post } = await arrange(run, 'sse');
    const relay = await startRelay(run.server.port);
    const token = await run.api.token('ns-sato');
    const seen = follower(t);
    // EventSource cannot set headers; its fetch option can (browsers would use ?access_token=).
    const withToken = (input, init) => fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${token}` } });
    const events = (query) => `http://127.0.0.1:${relay.port}/api/v1/rooms/${roomId}/events?${query}`;
    let sources = 0;
    const open = (url) => {
      const es = new EventSource(url, { fetch: withToken });
      const via = `sse#${++sources}`;
      es.onmessage = (e) => seen.take(e.data, via);
      return es;
    };
    let es = null;
    try {
      es = open(events('after=0'));
      await until('the first subscription', () => seen.controls.some((c) => c.type === 'subscribed'));
      const posting = post();

      await until(`${FIRST_DROP} messages`, () => seen.ids.length >= FIRST_DROP);
      const errored = new Promise((resolve) => es.addEventListener('error', resolve, { once: true }));
      assert.equal(relay.cut(), 1);
      await errored;
      // Every event of the cut connection has been handled by now: the last one's id is where it was.
      const lastId = String(seen.lastSeq);
      // eventsource reconnects by itself (after its 3 s retry) with the id of the last event it had.
      await until('eventsource to reconnect', () => relay.heads.length >= 2, 15_000);
      assert.match(relay.heads[1], new RegExp(`^last-event-id: ${lastId}$`, 'im'),
        `the reconnect said where it was:\n${relay.heads[1]}`);

      await until(`${SECOND_DROP} messages`, () => seen.ids.length >= SECOND_DROP);
      es.close();
      await sleep(500);
      es = open(events(`after=${seen.lastSeq}`));

      await posting;
      const expected = await posted(cm, roomId, t);
      // Judged with what came: a missing message shows in the comparison with the REST list.
      await within(15_000, () => seen.ids.length >= POSTS || seen.duplicates.length > 0);
      await sleep(SETTLE_MS);
      judge(seen, expected);
      assert.equal(relay.heads.length, 3, `three requests: ${relay.heads.map((h) => h.split('\r\n')[0]).join(', ')}`);
      assert.match(relay.heads[2].split('\r\n')[0], /[?&]after=\d+ /, 'the explicit resume');
    } finally {
      es?.close();
      await relay.close();
    }
  });
}
