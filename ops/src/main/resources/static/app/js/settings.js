// Notification settings (#/settings): this device on or off, do-not-disturb, weekly quiet hours, the level of each
// room, and whether this device's notifications show the room and the text.
import { h, clear } from './dom.js';
import { t } from './i18n.js';
import { api, get } from './api.js';
import * as notify from './notify.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export async function settingsScreen(header) {
  const { bar, stop } = header(t('notifySettings'), '#/');
  const body = h('main', { class: 'scroll settings', 'data-testid': 'settings' });
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'settings-status' });
  const say = (text) => { status.textContent = text; };

  const render = async () => {
    const s = await get('/notifications/settings');
    clear(body);
    body.append(deviceSection(render, say), await previewSection(), dndSection(s, render, say), quietSection(s, render, say),
      roomsSection(s, say), status);
  };
  await render();
  return { nodes: [bar, body], leave: stop };
}

function deviceSection(render, say) {
  const state = notify.state();
  const button = state === 'on'
    ? h('button', { 'data-testid': 'push-off', onclick: async () => { await notify.disable(); say(t('pushOffDone')); render(); } }, t('pushOff'))
    : h('button', { class: 'primary', 'data-testid': 'push-on', disabled: state !== 'off', onclick: async () => {
      try { await notify.enable(); say(t('pushOnDone')); } catch (e) { say(t('pushRefused')); }
      render();
    } }, t('pushOn'));
  return h('section', { class: 'card' }, h('h2', { class: 'section-title' }, t('thisDevice')),
    h('p', { 'data-testid': 'push-state', 'data-state': state }, t('push_' + state)), button);
}

async function previewSection() {
  const box = h('input', { type: 'checkbox', 'data-testid': 'push-preview', checked: await notify.preview(),
    onchange: (e) => notify.setPreview(e.target.checked) });
  return h('section', { class: 'card' }, h('label', { class: 'row' }, box, t('pushPreview')),
    h('p', { class: 'muted small' }, t('pushPreviewHelp')));
}

function dndSection(s, render, say) {
  const put = async (until) => {
    await api('PUT', '/notifications/settings', { dndUntil: until, quietHours: s.quietHours });
    say(until ? t('dndOnDone') : t('dndOffDone'));
    render();
  };
  const tomorrow8 = () => {
    // 08:00 tomorrow in Japan.
    const jst = new Date(Date.now() + 9 * 3600e3);
    jst.setUTCDate(jst.getUTCDate() + 1);
    return jst.toISOString().slice(0, 10) + 'T08:00:00+09:00';
  };
  const on = s.dndUntil && new Date(s.dndUntil) > new Date();
  return h('section', { class: 'card' }, h('h2', { class: 'section-title' }, t('dnd')),
    h('p', { 'data-testid': 'dnd-state' }, on ? t('dndUntil') + ' ' + new Date(s.dndUntil).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo' }) : t('dndOff')),
    h('div', { class: 'row wrap' },
      h('button', { 'data-testid': 'dnd-1h', onclick: () => put(new Date(Date.now() + 3600e3).toISOString()) }, t('dnd1h')),
      h('button', { 'data-testid': 'dnd-tomorrow', onclick: () => put(tomorrow8()) }, t('dndTomorrow')),
      on ? h('button', { 'data-testid': 'dnd-off', onclick: () => put(null) }, t('dndStop')) : null),
    h('p', { class: 'muted small' }, t('urgentBreaksThrough')));
}

function quietSection(s, render, say) {
  const q = s.quietHours || { days: DAYS, from: '22:00', to: '07:00' };
  const days = DAYS.map((d) => h('label', { class: 'chip' }, h('input', { type: 'checkbox', value: d, checked: q.days.includes(d),
    'data-testid': 'quiet-' + d }), t('day_' + d)));
  const from = h('input', { type: 'time', value: q.from, 'data-testid': 'quiet-from' });
  const to = h('input', { type: 'time', value: q.to, 'data-testid': 'quiet-to' });
  const save = async (quietHours) => {
    try {
      await api('PUT', '/notifications/settings', { dndUntil: s.dndUntil && new Date(s.dndUntil) > new Date() ? s.dndUntil : null, quietHours });
      say(t('saved'));
      render();
    } catch (e) {
      say(e.message);
    }
  };
  return h('section', { class: 'card' }, h('h2', { class: 'section-title' }, t('quietHours')),
    h('p', { 'data-testid': 'quiet-state' }, s.quietHours ? s.quietHours.from + '〜' + s.quietHours.to : t('quietOff')),
    h('div', { class: 'row wrap' }, days),
    h('div', { class: 'row' }, from, '〜', to),
    h('div', { class: 'row wrap' },
      h('button', { class: 'primary', 'data-testid': 'quiet-save', onclick: () => save({
        days: days.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value), from: from.value, to: to.value }) }, t('save')),
      s.quietHours ? h('button', { 'data-testid': 'quiet-off', onclick: () => save(null) }, t('quietStop')) : null));
}

function roomsSection(s, say) {
  return h('section', { class: 'card' }, h('h2', { class: 'section-title' }, t('roomLevels')),
    h('ul', { class: 'rooms', 'data-testid': 'room-levels' }, s.rooms.map((r) => {
      const select = h('select', { 'data-testid': 'level-' + r.roomId, 'aria-label': r.roomName, onchange: async (e) => {
        await api('PUT', '/rooms/' + r.roomId + '/notifications', { level: e.target.value });
        say(t('saved'));
      } }, ['all', 'mentions', 'none'].map((l) => h('option', { value: l, selected: l === r.level ? true : null },
        t('level_' + l) + (l === r.defaultLevel ? '（' + t('default') + '）' : ''))));
      return h('li', { class: 'row level' }, h('span', { class: 'name' }, r.roomName || t('directRoom')), select);
    })));
}
