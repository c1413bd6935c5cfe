// One WebSocket for every followed room. Each room is subscribed with `after` = the highest seq seen, so a
// reconnect resumes without gaps or repeats (docs/API.md "Resuming"). Reconnects back off up to 10 s and
// happen at once when the browser says it is online again.
import { token } from './auth.js';
import { deviceId } from './notify.js';

const BACKOFF_MS = [500, 1000, 2000, 5000, 10000];
/** The server sends a heartbeat every 25 s; silence for longer than two means the connection is dead. */
const SILENCE_MS = 60000;
/** The server forgets which room a device shows 2 minutes after it last heard it (NotificationHandler.VIEWING_HOLDS). */
const VIEWING_EVERY_MS = 60000;

class Live {
  constructor() {
    this.rooms = new Map(); // roomId -> { after, listeners: Set }
    this.inboxListeners = new Set(); // the user-level "my actions" hints (inbox.changed)
    this.stateListeners = new Set();
    this.state = 'connecting';
    this.attempt = 0;
    this.ws = null;
    this.lastFrame = 0;
    this.shownRoom = null; // the room on screen, for the server's "no push to a device showing it"
    addEventListener('online', () => this.reconnectNow());
    document.addEventListener('visibilitychange', () => this.sendViewing());
    setInterval(() => this.sendViewing(), VIEWING_EVERY_MS);
    addEventListener('offline', () => this.ws && this.ws.close());
    setInterval(() => {
      if (this.ws && this.ws.readyState === WebSocket.OPEN && Date.now() - this.lastFrame > SILENCE_MS) this.ws.close();
    }, 10000);
  }

  start() {
    if (!this.ws && token()) this.open();
  }

  setState(s) {
    this.state = s;
    this.stateListeners.forEach((l) => l(s));
  }

  open() {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/ws?access_token='
      + encodeURIComponent(token());
    const ws = new WebSocket(url);
    this.ws = ws;
    this.setState('connecting');
    ws.onopen = () => {
      this.attempt = 0;
      this.lastFrame = Date.now();
      this.setState('online');
      for (const [roomId, r] of this.rooms) this.subscribe(roomId, r.after);
      if (this.inboxListeners.size) ws.send(JSON.stringify({ type: 'subscribe_inbox' }));
      this.sendViewing();
      // Whatever changed while the socket was down is in a fresh read of the inbox.
      this.inboxListeners.forEach((l) => l({ type: 'inbox.changed', reason: 'reconnected' }));
    };
    ws.onmessage = (e) => {
      this.lastFrame = Date.now();
      let ev;
      try { ev = JSON.parse(e.data); } catch { return; }
      if (ev.type === 'inbox.changed') {
        this.inboxListeners.forEach((l) => l(ev));
        return;
      }
      const room = ev.roomId && this.rooms.get(ev.roomId);
      if (!room) return;
      if (typeof ev.seq === 'number' && ev.type !== 'subscribed') room.after = Math.max(room.after, ev.seq);
      if (ev.type === 'subscribed' && typeof ev.seq === 'number' && room.after < 0) room.after = ev.seq;
      room.listeners.forEach((l) => l(ev));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.setState(navigator.onLine ? 'connecting' : 'offline');
      const wait = BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)];
      this.timer = setTimeout(() => this.open(), wait);
    };
  }

  reconnectNow() {
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
    else this.open();
  }

  subscribe(roomId, after) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(after >= 0 ? { type: 'subscribe', roomId, after } : { type: 'subscribe', roomId }));
    }
  }

  /** Follows a room from {@code after} (-1: from now); returns the function that stops following. */
  follow(roomId, after, listener) {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { after, listeners: new Set() };
      this.rooms.set(roomId, room);
      this.subscribe(roomId, after);
    } else if (after > room.after) {
      room.after = after;
    }
    room.listeners.add(listener);
    return () => {
      room.listeners.delete(listener);
      if (room.listeners.size === 0) {
        this.rooms.delete(roomId);
        if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'unsubscribe', roomId }));
      }
    };
  }

  /** Calls {@code listener} whenever the inbox may have changed; returns the function that stops. */
  followInbox(listener) {
    const first = this.inboxListeners.size === 0;
    this.inboxListeners.add(listener);
    if (first && this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'subscribe_inbox' }));
    return () => this.inboxListeners.delete(listener);
  }

  /** The room on screen now (null: none); a hidden page shows none. */
  viewing(roomId) {
    this.shownRoom = roomId;
    this.sendViewing();
  }

  sendViewing() {
    const device = deviceId();
    if (!device || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    const roomId = document.visibilityState === 'visible' ? this.shownRoom : null;
    this.ws.send(JSON.stringify({ type: 'viewing', device, roomId }));
  }

  onState(listener) {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }
}

export const live = new Live();
