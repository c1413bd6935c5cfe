// Offline-safe posting. A post is stored in IndexedDB with its Idempotency-Key before it is sent and removed
// only once the server has answered; whatever is left is sent again, oldest first, when the browser is back
// online, on a timer while anything waits, and when the app opens. The key makes a repeat harmless, so each
// post is stored once by the server. Each post keeps its author's id and goes out only with their token (a
// shared phone may hold another person's posts). A photo is kept as a Blob and uploaded first; its attachment
// id is saved before the message is sent, so a retry does not upload it again.
import { api, ApiError } from './api.js';
import { me } from './auth.js';

const DB = 'tsunagu';
const STORE = 'outbox';
const RETRY_MS = 15000;
const listeners = new Set();
let flushing = null;

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const result = fn(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(result.result ?? result); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

/** The signed-in person's waiting posts (a shared phone may hold another person's; they wait for them). */
export async function entries(roomId) {
  const user = me();
  const all = await tx('readonly', (s) => s.getAll());
  return all.filter((e) => user && e.userId === user.id && (!roomId || e.roomId === roomId))
    .sort((a, b) => a.createdAt - b.createdAt);
}

const put = (entry) => tx('readwrite', (s) => s.put(entry));
const remove = (key) => tx('readwrite', (s) => s.delete(key));

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(detail) {
  listeners.forEach((l) => l(detail));
}

/** Keeps the post and tries to send it; resolves once it is stored on the device. */
export async function enqueue(roomId, body, photo) {
  const entry = { key: crypto.randomUUID(), userId: me().id, roomId, body, photo: photo || null, attachmentId: null,
    createdAt: Date.now(), error: null };
  await put(entry);
  changed({ type: 'queued', entry });
  flush();
  return entry;
}

export async function discard(key) {
  await remove(key);
  changed({ type: 'discarded', key });
}

/** Sends what waits, one at a time in order; stops at the first that cannot go out now. */
export function flush() {
  if (!flushing) flushing = doFlush().finally(() => { flushing = null; });
  return flushing;
}

async function doFlush() {
  for (const entry of await entries()) {
    if (entry.error) continue;
    try {
      if (entry.photo && !entry.attachmentId) {
        const form = new FormData();
        form.append('file', entry.photo, entry.photo.name || 'photo.jpg');
        entry.attachmentId = (await api('POST', `/rooms/${entry.roomId}/attachments`, form)).id;
        await put(entry);
      }
      const body = { ...entry.body, ...(entry.attachmentId ? { attachmentIds: [entry.attachmentId] } : {}) };
      const message = await api('POST', `/rooms/${entry.roomId}/messages`, body, { 'Idempotency-Key': entry.key });
      await remove(entry.key);
      changed({ type: 'sent', key: entry.key, message });
    } catch (e) {
      if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) {
        // Refused for what it is (too long, not a member any more): keep it, show why, let the person decide.
        entry.error = e.message;
        await put(entry);
        changed({ type: 'failed', entry });
        continue;
      }
      return; // offline or the server is busy: try again later, keeping the order
    }
  }
}

addEventListener('online', () => flush());
setInterval(() => { if (navigator.onLine) flush(); }, RETRY_MS);
