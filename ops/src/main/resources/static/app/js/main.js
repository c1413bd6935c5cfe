// Tsunagu web client: hash routes #/ (rooms), #/mentions, #/rooms/<id>, #/rooms/<id>/consent.
import { h, clear, when, debounce } from './dom.js';
import { t, toggleLang, lang, professionLabel } from './i18n.js';
import { token, me, signOut, demoSignIn, oidcStart, oidcFinish } from './auth.js';
import { get } from './api.js';
import { live } from './live.js';
import { flush } from './outbox.js';
import { roomScreen } from './room.js';
import { consentScreen } from './consent.js';

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
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => {});
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
    u && !back ? h('button', { class: 'link', onclick: () => { signOut(); location.hash = '#/'; location.reload(); } }, t('signOut')) : null);
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
  const path = location.hash.replace(/^#/, '') || '/';
  const m = path.match(/^\/rooms\/([^/]+)(\/consent)?$/);
  if (m && m[2]) return mount(await consentScreen(m[1], header));
  if (m) return mount(await roomScreen(m[1], header));
  if (path === '/mentions') return mount(await mentionsScreen());
  return mount(await roomListScreen());
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

function tabs(active) {
  return h('nav', { class: 'tabs' },
    h('a', { href: '#/', class: active === 'rooms' ? 'on' : '', 'data-testid': 'nav-rooms' }, t('rooms')),
    h('a', { href: '#/mentions', class: active === 'mentions' ? 'on' : '', 'data-testid': 'nav-mentions' }, t('mentions')));
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
  return { nodes: [bar, tabs('rooms'), h('main', { class: 'scroll' }, list)],
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
