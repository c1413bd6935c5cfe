// Makes the client installable and lets it open without signal: the app's own files are served from the
// network when it answers and from this cache when it does not. API calls and the WebSocket are never cached.
// It also shows the pushes of docs/WEB.md "Notifications": a push carries ids and a fixed label only; what the
// notification shows beyond that is fetched here with the person's own token, and never leaves the device.
const CACHE = 'tsunagu-app-v3';
const SHELL = ['/app/', '/app/app.css', '/app/js/main.js', '/app/js/room.js', '/app/js/consent.js', '/app/js/api.js',
  '/app/js/auth.js', '/app/js/dom.js', '/app/js/i18n.js', '/app/js/live.js', '/app/js/outbox.js', '/app/js/actions.js',
  '/app/js/notify.js', '/app/js/settings.js', '/app/js/search.js', '/app/icon.svg', '/app/icon-192.png', '/app/manifest.webmanifest'];

self.addEventListener('install', (e) => e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting())));
self.addEventListener('activate', (e) => e.waitUntil(caches.keys()
  .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim())));
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || !url.pathname.startsWith('/app/')) return;
  e.respondWith(fetch(e.request).then((r) => {
    const copy = r.clone();
    caches.open(CACHE).then((c) => c.put(e.request, copy));
    return r;
  }).catch(() => caches.match(e.request, { ignoreSearch: true })));
});

self.addEventListener('push', (e) => e.waitUntil(onPush(e.data)));
self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  e.waitUntil(open(e.notification.data && e.notification.data.url).then(badge));
});

/** Where a notification opens: the room, at the message. */
function target(roomId, messageId) {
  return '/app/#/rooms/' + encodeURIComponent(roomId) + (messageId ? '/messages/' + encodeURIComponent(messageId) : '');
}

async function onPush(data) {
  let push;
  try { push = data.json(); } catch { return; }
  if (!push || push.v !== 1 || !push.roomId) return;
  if (push.type === 'clear') {
    // Read on another device: close what this one shows of the room up to there.
    for (const n of await self.registration.getNotifications({ tag: 'room:' + push.roomId })) {
      if (!n.data || n.data.seq <= push.seq) n.close();
    }
    return badge();
  }
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (windows.some((w) => w.focused && new URL(w.url).hash.startsWith('#/rooms/' + push.roomId))) return;
  const tag = 'room:' + push.roomId;
  // The same push twice (a server that crashed between sending and recording it) shows once and does not ring again.
  const shown = await self.registration.getNotifications({ tag });
  if (shown.some((n) => n.data && n.data.id === push.id && n.data.round === push.round)) return;
  const { title, body } = await describe(push);
  await self.registration.showNotification(title, {
    body,
    tag,
    renotify: true,
    requireInteraction: push.reason === 'urgent',
    icon: '/app/icon-192.png',
    badge: '/app/icon-192.png',
    lang: 'ja',
    vibrate: push.reason === 'urgent' ? [300, 100, 300, 100, 300] : [200],
    data: { id: push.id, round: push.round, roomId: push.roomId, messageId: push.messageId, seq: push.seq,
      reason: push.reason, url: target(push.roomId, push.messageId) },
  });
  return badge();
}

/**
 * The label alone unless the message can be read with the stored token: then who wrote it, and with this device's
 * preview on, the room and the text too. The lock screen shows no resident's name unless its owner chose so.
 */
async function describe(push) {
  const plain = { title: push.title || 'つなぐ', body: 'タップして開きます' };
  const state = await kv();
  if (!state.token || (state.exp && state.exp * 1000 < Date.now())) return plain;
  try {
    const headers = { authorization: 'Bearer ' + state.token };
    const r = await fetch('/api/v1/rooms/' + encodeURIComponent(push.roomId) + '/messages/' + encodeURIComponent(push.messageId), { headers });
    if (!r.ok) return plain;
    const m = await r.json();
    const who = m.author && m.author.displayName ? m.author.displayName : '';
    if (!state.preview) return { title: plain.title, body: who ? who + ' さんから' : plain.body };
    const room = await fetch('/api/v1/rooms/' + encodeURIComponent(push.roomId), { headers }).then((x) => (x.ok ? x.json() : null));
    const name = room && room.room && room.room.name;
    return { title: (name ? name + ' — ' : '') + plain.title, body: (who ? who + ': ' : '') + (m.text || '').slice(0, 120) };
  } catch {
    return plain;
  }
}

async function open(url) {
  const to = new URL(url || '/app/', self.location.origin).href;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const app = windows.find((w) => new URL(w.url).pathname.startsWith('/app/'));
  if (app) {
    // The page moves itself (a navigate() of a page this worker does not control is refused); focusing may be
    // refused too outside a real tap, which changes nothing else.
    app.postMessage({ type: 'open', url: to });
    await app.focus().catch(() => {});
    return;
  }
  await self.clients.openWindow(to);
}

async function badge() {
  if (!('setAppBadge' in self.navigator)) return;
  const left = (await self.registration.getNotifications()).length;
  await (left ? self.navigator.setAppBadge(left) : self.navigator.clearAppBadge()).catch(() => {});
}

function kv() {
  return new Promise((resolve) => {
    const req = indexedDB.open('tsunagu-sw', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('kv');
    req.onerror = () => resolve({});
    req.onsuccess = () => {
      const db = req.result;
      const get = db.transaction('kv').objectStore('kv').get('state');
      get.onsuccess = () => { db.close(); resolve(get.result || {}); };
      get.onerror = () => { db.close(); resolve({}); };
    };
  });
}
