// REST helpers for arranging and checking data: demo tokens and the public API (docs/API.md).
import { randomUUID } from 'node:crypto';

/** An API failure with the status and the problem body, so a failing arrangement says why. */
export class ApiError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path} answered ${status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * The demo API of one running server.
 * @param {string} baseUrl e.g. http://127.0.0.1:12345
 */
export function demoApi(baseUrl) {
  const tokens = new Map();

  /** POST /demo/token {"user"} → access_token (cached per user for the run; they last 8 h). */
  async function token(userId) {
    if (!tokens.has(userId)) {
      const r = await fetch(`${baseUrl}/demo/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: userId }),
      });
      const body = await r.json().catch(() => null);
      if (r.status !== 200 || !body?.access_token) {
        throw new ApiError('POST', '/demo/token', r.status, body);
      }
      tokens.set(userId, body.access_token);
    }
    return tokens.get(userId);
  }

  /** A client acting as one demo user; paths are under /api/v1. */
  function as(userId) {
    async function call(method, path, { json, headers = {}, expect = [200, 201, 204] } = {}) {
      const h = { authorization: `Bearer ${await token(userId)}`, ...headers };
      let body;
      if (json !== undefined) {
        h['content-type'] = 'application/json';
        body = JSON.stringify(json);
      }
      const r = await fetch(`${baseUrl}/api/v1${path}`, { method, headers: h, body });
      const text = await r.text();
      let parsed = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON
      }
      if (expect && !expect.includes(r.status)) {
        throw new ApiError(method, `/api/v1${path}`, r.status, parsed);
      }
      return { status: r.status, body: parsed, headers: r.headers };
    }
    const client = {
      userId,
      call,
      get: async (path, opts) => (await call('GET', path, opts)).body,
      post: async (path, json, opts) => (await call('POST', path, { json, ...opts })).body,
      put: async (path, json, opts) => (await call('PUT', path, { json, ...opts })).body,

      /** My rooms (every page). */
      async rooms() {
        const items = [];
        let cursor = '';
        do {
          const page = await client.get(`/rooms?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          items.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        return items;
      },
      /** The id of my room whose name starts with `prefix` (e.g. '山田 花子'). */
      async roomIdNamed(prefix) {
        const found = (await client.rooms()).filter((r) => r.room.name.startsWith(prefix));
        if (found.length !== 1) {
          throw new Error(`${userId} has ${found.length} rooms named ${prefix}…`);
        }
        return found[0].room.id;
      },
      /** A new group room owned by me with the others as members; returns its id. */
      async createGroupRoom(name, memberIds) {
        const body = await client.post('/rooms', {
          kind: 'group',
          name,
          members: memberIds.map((id) => ({ userId: id, role: 'member' })),
        });
        return body.room.id;
      },
      /** Posts a message (with an Idempotency-Key); returns the message. */
      async postMessage(roomId, text, extra = {}) {
        return client.post(`/rooms/${roomId}/messages`, { text, ...extra },
          { headers: { 'idempotency-key': randomUUID() } });
      },
      /** Every message of a room, newest first (all pages). */
      async messages(roomId) {
        const items = [];
        let before = '';
        do {
          const page = await client.get(`/rooms/${roomId}/messages?limit=100${before ? `&before=${encodeURIComponent(before)}` : ''}`);
          items.push(...page.items);
          before = page.nextCursor;
        } while (before);
        return items;
      },
    };
    return client;
  }

  return { baseUrl, token, as };
}
