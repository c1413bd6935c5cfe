// Push services written by others, for checking what the server sends (docs/WEB.md "Notifications"):
// - web-push-testing (npm, by Marc Alexander): an RFC 8030 stand-in that checks the VAPID token's signature and
//   decrypts with http_ece, answers 410 for an expired subscription;
// - a capture endpoint of our own that keeps the raw request, so the VAPID claims can be checked with Node's crypto
//   and the body decrypted with http_ece (the reference implementation of RFC 8188) independently.
import { createRequire } from 'node:module';
import { createECDH, createPublicKey, randomBytes, verify } from 'node:crypto';
import { createServer } from 'node:http';

const require = createRequire(import.meta.url);

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** web-push-testing on a free port; endpoints are http://localhost:<port>/notify/<clientHash>. */
export async function startWebPushTesting() {
  const Server = require('web-push-testing/src/server.js');
  const { PushApiModel } = require('web-push-testing/src/PushApiModel.js');
  const port = await freePort();
  const server = new Server(new PushApiModel(), port);
  server.startServer();
  const base = `http://localhost:${port}`;
  const call = async (path, body) => {
    const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}) });
    const text = await r.text();
    if (!r.ok) throw new Error(`web-push-testing ${path} answered ${r.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  for (let i = 0; i < 50; i++) {
    try { await call('/status'); break; } catch { await new Promise((res) => setTimeout(res, 100)); }
  }
  return {
    /** A browser's subscription made with the server's VAPID key: {endpoint, keys, clientHash}. */
    subscribe: async (applicationServerKey) => (await call('/subscribe', { applicationServerKey, userVisibleOnly: 'true' })).data,
    /** The decrypted payloads the subscription received. */
    messages: async (clientHash) => (await call('/get-notifications', { clientHash })).data.messages,
    expire: (clientHash) => fetch(`${base}/expire-subscription/${clientHash}`, { method: 'POST' }),
    stop: () => new Promise((resolve) => server._server.close(() => resolve())),
  };
}

/** An endpoint that keeps every request whole and answers 201: the browser's keys are ours, to decrypt with. */
export async function startCapture() {
  const received = [];
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks), path: req.url });
      res.writeHead(201).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    received,
    subscription: {
      endpoint: `${origin}/push/capture`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    },
    /** The plaintext of a captured body, decrypted by http_ece with this "browser's" private key. */
    decrypt: (body) => {
      const ece = require('http_ece');
      return ece.decrypt(body, { version: 'aes128gcm', privateKey: ecdh, authSecret: auth }).toString('utf8');
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * What is wrong with a request's VAPID authorization (RFC 8292) for `origin`, checked with Node's crypto: the
 * `vapid t=<JWT>, k=<key>` form, an ES256 signature by `k` (which must be the server's key), audience the push
 * service's origin, expiry within 24 hours, a mailto: or https: contact. Null when nothing.
 */
export function vapidProblem(authorization, origin, serverKey) {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization || '');
  if (!m) return `not "vapid t=…, k=…": ${authorization}`;
  const [, jwt, k] = m;
  if (k !== serverKey) return 'k is not the server\'s VAPID public key';
  const [head, claims, sig] = jwt.split('.');
  const header = JSON.parse(Buffer.from(head, 'base64url'));
  if (header.alg !== 'ES256') return `alg ${header.alg}`;
  const point = Buffer.from(k, 'base64url');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url') }, format: 'jwk' });
  if (!verify('sha256', Buffer.from(`${head}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'))) {
    return 'the signature does not verify';
  }
  const c = JSON.parse(Buffer.from(claims, 'base64url'));
  const now = Date.now() / 1000;
  if (c.aud !== origin) return `aud ${c.aud}, not ${origin}`;
  if (!(c.exp > now && c.exp <= now + 24 * 3600)) return `exp ${c.exp} not within 24 h`;
  if (!/^(mailto:|https:)/.test(c.sub || '')) return `sub ${c.sub}`;
  return null;
}
