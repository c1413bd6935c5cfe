// Notifications on this device (docs/WEB.md "Notifications"): the Web Push subscription, what the service worker
// needs to show a notification (the access token and this device's preview choice, in IndexedDB, which a service
// worker can read and sessionStorage is not), and the "viewing" frames that keep pushes off a room on screen.
import { token, me, b64url, b64urlDecode } from './auth.js';
import { api, get } from './api.js';

const DEVICE = 'tsunagu.push.device';
const DISMISSED = 'tsunagu.push.prompt-dismissed';
const DB = 'tsunagu-sw';

export function supported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** The server's id of this device's subscription, or null when this device receives nothing. */
export function deviceId() {
  return localStorage.getItem(DEVICE);
}

/** 'on' (subscribed here), 'off', 'denied' (the browser refuses) or 'unsupported'. */
export function state() {
  if (!supported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  return deviceId() && Notification.permission === 'granted' ? 'on' : 'off';
}

/**
 * Whether to offer notifications now: not on the first screen of a first visit (nobody knows yet why they would
 * want them), but once the person has opened a room in this session and come back, unless they said "later".
 */
export function shouldPrompt() {
  return supported() && Notification.permission === 'default' && !deviceId()
    && sessionStorage.getItem('tsunagu.opened-room') === '1' && localStorage.getItem(DISMISSED) !== '1';
}

export function dismissPrompt() {
  localStorage.setItem(DISMISSED, '1');
}

/** Asks the browser (must run in a tap's handler), subscribes, and files the device with the server. */
export async function enable() {
  if (!supported()) throw new Error('unsupported');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(permission);
  const reg = await navigator.serviceWorker.ready;
  const { publicKey } = await get('/notifications/vapid-key');
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub, publicKey)) {
    await sub.unsubscribe();
    sub = null;
  }
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlDecode(publicKey) });
  const json = sub.toJSON();
  const device = await api('POST', '/notifications/devices', { endpoint: json.endpoint, keys: json.keys,
    userAgent: deviceLabel() });
  localStorage.setItem(DEVICE, device.id);
  await share();
  return device;
}

/** Stops notifications on this device: forgotten by the server, unsubscribed in the browser, token wiped. */
export async function disable() {
  const id = deviceId();
  if (id) await api('DELETE', '/notifications/devices/' + id).catch(() => {});
  localStorage.removeItem(DEVICE);
  if (supported()) {
    const reg = await navigator.serviceWorker.ready;
    const sub = await reg.pushManager.getSubscription();
    if (sub) await sub.unsubscribe().catch(() => {});
  }
  await kv({ token: null, user: null });
}

/** Whether this device's notifications show the room and the text (off: the kind of news and who wrote it). */
export async function preview() {
  return (await kv()).preview === true;
}

export async function setPreview(on) {
  await kv({ preview: !!on });
}

/**
 * Gives the service worker the current access token while this device receives notifications, so it can fetch
 * the message a push is about with the person's own rights; wiped on sign-out and when turned off.
 */
export async function share() {
  if (state() !== 'on') return;
  const u = me();
  await kv({ token: token(), user: u && u.id, exp: u && u.exp });
}

export async function forget() {
  await kv({ token: null, user: null });
}

/** Closes what this device shows of a room the person is reading now, and recounts the badge. */
export async function closeShown(roomId) {
  if (!supported()) return;
  const reg = await navigator.serviceWorker.getRegistration('/app/');
  if (!reg) return;
  for (const n of await reg.getNotifications({ tag: 'room:' + roomId })) n.close();
  const left = (await reg.getNotifications()).length;
  if ('setAppBadge' in navigator) (left ? navigator.setAppBadge(left) : navigator.clearAppBadge()).catch(() => {});
}

function sameKey(sub, publicKey) {
  const key = sub.options && sub.options.applicationServerKey;
  if (!key) return true;
  return b64url(new Uint8Array(key)) === publicKey;
}

function deviceLabel() {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows'
    : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  return (os ? os + ' ' : '') + browser;
}

/** Reads the service worker's store, after merging {@code changes} into it when given. */
export function kv(changes) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('kv');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('kv', 'readwrite');
      const store = tx.objectStore('kv');
      const read = store.get('state');
      read.onsuccess = () => {
        const value = { ...(read.result || {}), ...(changes || {}) };
        if (changes) store.put(value, 'state');
        tx.oncomplete = () => { db.close(); resolve(value); };
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}
