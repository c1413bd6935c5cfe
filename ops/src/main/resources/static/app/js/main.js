// Tsunagu web client: hash routes #/ (my actions, the first screen), #/inbox/<part>, #/rooms, #/mentions,
// #/rooms/<id>, #/rooms/<id>/messages/<id> (the room at a message, where a notification opens), #/rooms/<id>/consent,
// #/settings (notifications), #/search?q=…&room=… (search).
import { h, clear, when, debounce } from './dom.js';
import { t, toggleLang, lang, professionLabel } from './i18n.js';
import { token, me, signOut, demoSignIn, oidcStart, oidcFinish } from './auth.js';
import { get } from './api.js';
import { live } from './live.js';
import { flush } from './outbox.js';
import { roomScreen } from './room.js';
import { consentScreen } from './consent.js';
import { requestBlock, acknowledgementBlock } from './actions.js';
import * as notify from './notify.js';
import { settingsScreen } from './settings.js';
import { searchBox, searchScreen } from './search.js';

const main = document.getElementById('main');
let config = { demo: false };
let leave = () => {};

async function start() {
  document.documentElement.lang = lang;
  config = await fetch('/api/v1/client-config').then((r) => r.json()).catch(() => config);
  try {
    await oidcFinish(config);
  } catch (e) {
    alert(e.message);
  }
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => {});
    // A tapped notification: the worker asks the open page to go to the room.
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'open' && typeof e.data.url === 'string') {
        const url = new URL(e.data.url, location.origin);
        if (url.origin === location.origin) location.hash = url.hash;
      }
    });
  }
  addEventListener('hashchange', route);
  route();
}

function header(title, back) {
  const conn = h('span', { class: 'conn', 'data-testid': 'connection', 'data-state': live.state, role: 'status' });
  const stop = live.onState((s) => { conn.dataset.state = s; conn.textContent = t(s); });
  const u = me();
  const bar = h('header', { class: 'bar' },
    back ? h('a', { class: 'back', href: back, 'aria-label': t('back') }, '‹') : h('span', { class: 'logo' }, t('appName')),
    h('h1', { 'data-testid': 'room-title' }, title),
    conn,
    // Language and sign-out live on the top screens; a room's bar keeps its width for the room's name.
    back ? null : h('button', { class: 'link', onclick: () => { toggleLang(); route(); } }, t('lang')),
    u && !back ? h('a', { class: 'link', href: '#/settings', 'data-testid': 'nav-settings', 'aria-label': t('notifySettings'),
      title: t('notifySettings') }, '🔔') : null,
    u && !back ? h('button', { class: 'link', onclick: async () => { await notify.forget(); signOut(); location.hash = '#/';
      location.reload(); } }, t('signOut')) : null);
  return { bar, stop };
}

function mount(screen) {
  leave();
  clear(main);
  main.append(...screen.nodes);
  leave = screen.leave || (() => {});
}

async function route() {
  if (!token()) return mount(await signInScreen());
  live.start();
  flush();
  notify.share().catch(() => {});
  const path = location.hash.replace(/^#/, '') || '/';
  const m = path.match(/^\/rooms\/([^/]+)(?:\/messages\/([^/]+))?(\/consent)?$/);
  if (m && m[3]) return mount(await consentScreen(m[1], header));
  if (m) return mount(await roomScreen(m[1], header, m[2]));
  if (path === '/settings') return mount(await settingsScreen(header));
  if (path === '/search' || path.startsWith('/search?')) return mount(await searchScreen(header, path.slice('/search'.length).replace(/^\?/, '')));
  const part = path.match(/^\/inbox\/(requests|acknowledgements|mentions|myRequests)$/);
  if (part) return mount(await inboxScreen(part[1]));
  if (path === '/mentions') return mount(await mentionsScreen());
  if (path === '/bookmarks') return mount(await bookmarksScreen());
  if (path === '/rooms') return mount(await roomListScreen());
  return mount(await inboxScreen());
}

async function signInScreen() {
  const nodes = [h('header', { class: 'bar' }, h('span', { class: 'logo' }, t('appName')), h('h1', {}, t('signIn')),
    h('button', { class: 'link', onclick: () => { toggleLang(); route(); } }, t('lang')))];
  const body = h('section', { class: 'signin' });
  if (config.issuer) {
    body.append(h('button', { class: 'primary big', 'data-testid': 'oidc-sign-in', onclick: () => oidcStart(config) }, t('signInWith')));
  }
  if (config.demo) {
    const users = await fetch('/demo/users').then((r) => r.json());
    body.append(h('p', {}, t('demoUsers')), h('ul', { class: 'users' }, users.map((u) => h('li', {},
      h('button', { class: 'user', 'data-testid': 'demo-user-' + u.id, onclick: async () => { await demoSignIn(u.id); route(); } },
        h('strong', {}, u.displayName), h('span', { class: 'muted' }, ' ' + professionLabel(u.profession)
          + (u.relationship ? '（' + u.relationship + '）' : '')))))));
  }
  nodes.push(body);
  return { nodes };
}

function tabs(active, inboxTotal) {
  const badge = h('span', { class: 'badge', 'data-testid': 'inbox-badge', hidden: true });
  const show = (n) => { badge.hidden = !n; badge.textContent = n >= 50 ? '50+' : String(n); };
  if (inboxTotal === undefined) get('/inbox').then((i) => show(i.counts.total)).catch(() => {});
  else show(inboxTotal);
  return h('nav', { class: 'tabs' },
    h('a', { href: '#/', class: active === 'inbox' ? 'on' : '', 'data-testid': 'nav-inbox' }, t('inbox'), ' ', badge),
    h('a', { href: '#/rooms', class: active === 'rooms' ? 'on' : '', 'data-testid': 'nav-rooms' }, t('rooms')),
    h('a', { href: '#/mentions', class: active === 'mentions' ? 'on' : '', 'data-testid': 'nav-mentions' }, t('mentions')),
    h('a', { href: '#/bookmarks', class: active === 'bookmarks' ? 'on' : '', 'data-testid': 'nav-bookmarks' }, t('bookmarks')));
}

async function bookmarksScreen() {
  const { bar, stop } = header(t('bookmarks'));
  const items = await get('/bookmarks');
  const list = h('ul', { class: 'rooms', 'data-testid': 'bookmark-list' }, items.length === 0 ? h('li', { class: 'empty' }, t('noBookmarks'))
    : items.map((m) => h('li', {}, h('a', { href: '#/rooms/' + m.roomId, class: 'room', 'data-testid': 'bookmark-item' },
      h('div', { class: 'row' }, h('strong', {}, m.author.displayName), h('time', {}, when(m.createdAt))),
      h('div', { class: 'muted' }, m.text)))));
  return { nodes: [bar, tabs('bookmarks'), h('main', { class: 'scroll' }, list)], leave: stop };
}

const INBOX_PARTS = [['requests', 'inboxRequests'], ['acknowledgements', 'inboxAcks'], ['mentions', 'inboxMentions'],
  ['myRequests', 'inboxMine']];

/**
 * My actions: what waits for me across my rooms, live (the WebSocket's inbox hints), overdue first. The overview
 * shows each part's first items and its count, with a link to the whole part (`only`) when there are more.
 */
async function inboxScreen(only) {
  const titleKey = only && INBOX_PARTS.find(([k]) => k === only)[1];
  const { bar, stop } = header(only ? t(titleKey) : t('inbox'), only ? '#/' : null);
  const self = me();
  const body = h('main', { class: 'scroll', 'data-testid': 'inbox' });
  const nav = h('div', {});
  const names = (u) => (self && u === self.id ? t('you') : u);
  const section = (key, title, items, count) => {
    if (!items.length) return;
    body.append(h('h2', { class: 'section-title' }, title + ' ',
      h('span', { class: 'badge', 'data-testid': 'count-' + key }, count >= 50 ? '50+' : count)),
    h('ul', { class: 'rooms', 'data-testid': 'inbox-' + key }, items.map((i) => {
      const m = i.message;
      return h('li', { 'data-testid': 'inbox-item', 'data-message-id': m.id, 'data-kind': i.kind },
        h('a', { href: '#/rooms/' + i.roomId, class: 'room' },
          h('div', { class: 'row' }, h('strong', {}, i.roomName), h('time', {}, when(m.createdAt))),
          h('div', { class: 'muted' }, m.author.displayName + ': ' + m.text.slice(0, 80))),
        requestBlock(m, self, refresh), acknowledgementBlock(m, self, names, refresh));
    })));
    if (count > items.length) {
      body.append(h('a', { class: 'more', href: '#/inbox/' + key, 'data-testid': 'more-' + key }, t('seeAll') + '（' + (count >= 50 ? '50+' : count) + '）'));
    }
  };
  const render = async () => {
    if (only) {
      const part = await get('/inbox/' + only);
      clear(body);
      if (part.count === 0) body.append(h('p', { class: 'empty', 'data-testid': 'inbox-empty' }, t('inboxEmpty')));
      section(only, t(titleKey), part.items, part.items.length);
      return;
    }
    const inbox = await get('/inbox');
    clear(nav).append(tabs('inbox', inbox.counts.total));
    clear(body);
    if (notify.shouldPrompt()) body.append(pushPrompt(render));
    if (inbox.counts.total === 0) body.append(h('p', { class: 'empty', 'data-testid': 'inbox-empty' }, t('inboxEmpty')));
    for (const [key, label] of INBOX_PARTS) section(key, t(label), inbox[key], inbox.counts[key]);
  };
  const refresh = debounce(() => render().catch(() => {}), 300);
  await render();
  const unfollow = live.followInbox(refresh);
  return { nodes: only ? [bar, body] : [bar, nav, body], leave: () => { stop(); unfollow(); } };
}

/** The offer to turn notifications on, at a moment the person knows why (notify.shouldPrompt). */
function pushPrompt(render) {
  return h('section', { class: 'card prompt', 'data-testid': 'push-prompt' },
    h('strong', {}, t('promptTitle')), h('p', {}, t('promptBody')),
    h('div', { class: 'row' },
      h('button', { class: 'primary', 'data-testid': 'push-prompt-yes', onclick: async () => {
        await notify.enable().catch(() => {});
        render();
      } }, t('promptYes')),
      h('button', { 'data-testid': 'push-prompt-later', onclick: () => { notify.dismissPrompt(); render(); } }, t('promptLater'))));
}

async function roomListScreen() {
  const { bar, stop } = header(t('rooms'));
  const list = h('ul', { class: 'rooms', 'data-testid': 'room-list' });
  const unfollow = [];
  const render = async () => {
    const page = await get('/rooms?limit=100');
    clear(list);
    if (page.items.length === 0) list.append(h('li', { class: 'empty' }, t('noRooms')));
    for (const s of page.items) {
      const r = s.room;
      const last = s.lastMessage;
      list.append(h('li', {}, h('a', { href: '#/rooms/' + r.id, class: 'room', 'data-testid': 'room-' + r.id },
        h('div', { class: 'row' }, h('strong', { class: 'name' }, r.name),
          s.urgentUnreadCount > 0 ? h('span', { class: 'badge urgent', 'data-testid': 'urgent-' + r.id }, t('urgent') + ' ' + s.urgentUnreadCount) : null,
          s.unreadCount > 0 ? h('span', { class: 'badge', 'data-testid': 'unread-' + r.id }, s.unreadCount) : null),
        last ? h('div', { class: 'row muted' }, h('span', { class: 'excerpt' }, (last.authorName ? last.authorName + ': ' : '') + (last.excerpt || '')),
          h("time", {}, when(last.createdAt))) : null)));
      if (!unfollow.some((u) => u.id === r.id)) {
        unfollow.push({ id: r.id, stop: live.follow(r.id, r.seq, refresh) });
      }
    }
  };
  const refresh = debounce(() => render().catch(() => {}), 300);
  await render();
  return { nodes: [bar, tabs('rooms'), searchBox(null), h('main', { class: 'scroll' }, list)],
    leave: () => { stop(); unfollow.forEach((u) => u.stop()); } };
}

async function mentionsScreen() {
  const { bar, stop } = header(t('mentions'));
  const page = await get('/mentions?limit=50');
  const list = h('ul', { class: 'rooms' }, page.items.length === 0 ? h('li', { class: 'empty' }, t('noMentions')) : page.items.map((m) =>
    h('li', {}, h('a', { href: '#/rooms/' + m.roomId, class: 'room', 'data-testid': 'mention' },
      h('div', { class: 'row' }, h('strong', {}, m.author.displayName), h('time', {}, when(m.createdAt))),
      h('div', { class: 'muted' }, m.text)))));
  return { nodes: [bar, tabs('mentions'), h('main', { class: 'scroll' }, list)], leave: stop };
}

start();
