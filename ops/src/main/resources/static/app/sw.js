// Makes the client installable and lets it open without signal: the app's own files are served from the
// network when it answers and from this cache when it does not. API calls and the WebSocket are never cached.
const CACHE = 'tsunagu-app-v1';
const SHELL = ['/app/', '/app/app.css', '/app/js/main.js', '/app/js/room.js', '/app/js/consent.js', '/app/js/api.js',
  '/app/js/auth.js', '/app/js/dom.js', '/app/js/i18n.js', '/app/js/live.js', '/app/js/outbox.js', '/app/icon.svg',
  '/app/manifest.webmanifest'];

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
