// A room: the live timeline, the composer (offline-safe), stamps, read-by, threads, edits, excerpt cards.
import { h, clear, when, debounce } from './dom.js';
import { t, category, kind } from './i18n.js';
import { me } from './auth.js';
import { api, get, post, imageUrl, ApiError } from './api.js';
import { live } from './live.js';
import * as outbox from './outbox.js';
import { requestBlock, acknowledgementBlock } from './actions.js';
import { closeShown } from './notify.js';

const STAMPS = [['viewed', '見ました'], ['accepted', '承知'], ['thanked', '感謝'], ['good', 'いいね'], ['completed', '完了']];
const images = new Map(); // attachment id -> object URL (kept for the page's life: a few thumbnails)

export function roomError(header) {
  const { bar, stop } = header('', '#/rooms');
  return { nodes: [bar, h('main', { class: 'scroll' }, h('p', { class: 'error', 'data-testid': 'room-error' }, t('roomError')))], leave: stop };
}

/** The room as the API gives it to this member, or null when it cannot be shown (not a member, unknown). */
export async function roomDetail(roomId) {
  try {
    return await get(`/rooms/${encodeURIComponent(roomId)}`);
  } catch (e) {
    if (e instanceof ApiError) return null;
    throw e;
  }
}

/** The room; with {@code focusId}, scrolled to that message and marked (where a tapped notification leads). */
export async function roomScreen(roomId, header, focusId) {
  const detail = await roomDetail(roomId);
  if (!detail) return roomError(header);
  sessionStorage.setItem('tsunagu.opened-room', '1');
  const room = detail.room;
  const self = me();
  const { bar, stop } = header(room.name, '#/rooms');
  bar.insertBefore(h('a', { class: 'link', href: '#/search?room=' + encodeURIComponent(room.id), 'data-testid': 'room-search',
    'aria-label': t('searchRoom'), title: t('searchRoom') }, '🔍'), bar.querySelector('.conn'));
  if (room.kind === 'patient' && room.resident && room.resident.externalResidentId) {
    bar.insertBefore(h('a', { class: 'chip', href: `#/rooms/${room.id}/consent`, 'data-testid': 'nav-consent' }, t('consent')),
      bar.querySelector('.conn'));
  }
  const messages = new Map();
  const nodes = new Map();
  const timeline = h('ol', { class: 'timeline', 'data-testid': 'timeline' });
  const pendingList = h('ol', { class: 'timeline pending' });
  const scroller = h('main', { class: 'scroll', id: 'scroller' });
  let replyTo = null;
  let readUpTo = detail.readUpToSeq || 0;
  let olderCursor = null;

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  const toBottom = () => { scroller.scrollTop = scroller.scrollHeight; };

  const markRead = debounce(() => {
    let max = 0;
    messages.forEach((m) => { max = Math.max(max, m.seq); });
    if (max > readUpTo && document.visibilityState === 'visible') {
      readUpTo = max;
      post(`/rooms/${room.id}/read`, { upToSeq: max }).catch(() => {});
    }
  }, 800);

  function upsert(m) {
    const stick = nearBottom();
    messages.set(m.id, m);
    const el = renderMessage(m);
    const old = nodes.get(m.id);
    nodes.set(m.id, el);
    if (old) old.replaceWith(el);
    else {
      const after = [...timeline.children].find((c) => Number(c.dataset.seq) > m.seq);
      timeline.insertBefore(el, after || null);
    }
    if (stick && !old) toBottom();
    markRead();
  }

  function renderMessage(m) {
    const mine = self && m.author && m.author.userId === self.id;
    const li = h('li', { class: 'message' + (m.priority === 'urgent' ? ' urgent' : '') + (mine ? ' mine' : ''),
      'data-testid': 'message', 'data-message-id': m.id, 'data-seq': m.seq });
    const parent = m.parentId && messages.get(m.parentId);
    li.append(h('div', { class: 'meta' },
      h('strong', { 'data-testid': 'message-author' }, m.author.displayName),
      h('span', { class: 'muted' }, ' ' + [m.author.profession && m.author.profession.label, m.author.facilityName].filter(Boolean).join('・')),
      m.origin ? h('span', { class: 'chip', 'data-testid': 'origin' }, connectorName(m.origin.connector) + ' ' + t('viaBridge')) : null,
      h('time', {}, when(m.createdAt))));
    if (m.parentId) {
      li.append(h('div', { class: 'quote' }, '↳ ' + t('replyTo') + ': ' + (parent ? parent.author.displayName + '「' + parent.text.slice(0, 40) + '」' : '…')));
    }
    if (m.priority === 'urgent') li.append(h('span', { class: 'badge urgent' }, t('urgent')));
    if (m.pin) li.append(h('span', { class: 'chip', 'data-testid': 'pinned' }, '📌 ' + t('pinned')));
    if (m.deleted) {
      li.append(h('p', { class: 'muted', 'data-testid': 'message-text' }, t('deleted')));
      return li;
    }
    const text = h('p', { class: 'text', 'data-testid': 'message-text' }, m.text);
    li.append(text);
    if (m.editCount > 0) li.append(h('span', { class: 'muted small' }, '（' + t('edited') + '）'));
    for (const a of m.attachments || []) {
      if ((a.contentType || '').startsWith('image/')) {
        const img = h('img', { 'data-testid': 'attachment', alt: a.name || t('photo'), class: 'photo', loading: 'lazy' });
        const cached = images.get(a.id);
        if (cached) img.src = cached;
        else imageUrl(a.thumbnailUrl || a.url).then((u) => { images.set(a.id, u); img.src = u; }).catch(() => {});
        li.append(img);
      } else {
        li.append(h('a', { 'data-testid': 'attachment', class: 'file', href: '#', onclick: async (e) => {
          e.preventDefault(); window.open(await imageUrl(a.url)); } }, t('attachment') + ': ' + (a.name || 'file')));
      }
    }
    if (m.excerpt) li.append(excerptCard(m));
    const memberName = (u) => detail.members.find((x) => x.userId === u)?.displayName || u;
    const req = requestBlock(m, self, upsert);
    if (req) li.append(req);
    const ack = acknowledgementBlock(m, self, memberName, upsert);
    if (ack) li.append(ack);
    if (m.delivery && m.delivery.length) {
      li.append(h('div', { class: 'small muted', 'data-testid': 'delivery' }, m.delivery.map((d) =>
        connectorName(d.connector) + ': ' + t('delivery' + d.state[0].toUpperCase() + d.state.slice(1))).join(' / ')));
    }
    li.append(stampRow(m), actions(m, mine));
    return li;
  }

  function stampRow(m) {
    const row = h('div', { class: 'stamps' });
    for (const [code, label] of STAMPS) {
      const s = (m.stamps || []).find((x) => x.stamp === code);
      const count = s ? s.count : 0;
      const mineStamp = !!(s && self && s.userIds.includes(self.id));
      row.append(h('button', { class: 'stamp' + (mineStamp ? ' on' : ''), 'data-testid': 'stamp-' + code,
        'aria-pressed': String(mineStamp), onclick: async () => {
          const updated = await api(mineStamp ? 'DELETE' : 'PUT', `/rooms/${room.id}/messages/${m.id}/stamps/${code}`);
          if (updated && updated.id) upsert(updated);
        } }, label + (count ? ' ' + count : '')));
    }
    return row;
  }

  function actions(m, mine) {
    const box = h('div', { class: 'actions' });
    const readers = h('div', { class: 'readers' });
    box.append(h('button', { class: 'link', 'data-testid': 'read-by', onclick: async () => {
      if (readers.firstChild) return clear(readers);
      const r = await get(`/rooms/${room.id}/messages/${m.id}/readers`);
      readers.append(h('div', { 'data-testid': 'read-by-list', class: 'small' },
        h('div', {}, t('readBy') + ' ' + r.readCount + '/' + r.memberCount),
        r.read.map((g) => h('div', {}, h('strong', {}, g.profession.label + ': '), g.members.map((x) => x.displayName).join('、'))),
        r.notRead.length ? h('div', { class: 'muted' }, t('notRead') + ': ' + r.notRead.map((x) => x.displayName).join('、')) : null));
    } }, t('readBy')),
    h('button', { class: 'link', 'data-testid': 'reply', onclick: () => setReply(m) }, t('reply')),
    // Pins are the room's (owners and members); bookmarks are mine.
    ['owner', 'member'].includes(detail.myRole) ? h('button', { class: 'link', 'data-testid': 'pin', onclick: async () => {
      upsert(await api(m.pin ? 'DELETE' : 'PUT', `/rooms/${room.id}/messages/${m.id}/pin`));
    } }, m.pin ? t('unpin') : t('pin')) : null,
    h('button', { class: 'link', 'data-testid': 'bookmark', onclick: async (e) => {
      await api('PUT', `/rooms/${room.id}/messages/${m.id}/bookmark`);
      e.target.textContent = t('bookmarked');
    } }, t('bookmark')));
    if (mine && !m.origin) {
      box.append(h('button', { class: 'link', 'data-testid': 'edit', onclick: () => editInline(m) }, t('edit')),
        h('button', { class: 'link', 'data-testid': 'delete', onclick: async () => {
          if (!confirm(t('confirmDelete'))) return;
          upsert(await api('DELETE', `/rooms/${room.id}/messages/${m.id}`) || { ...m, deleted: { at: new Date().toISOString() } });
        } }, t('delete')));
    }
    return h('div', {}, box, readers);
  }

  function editInline(m) {
    const el = nodes.get(m.id);
    const area = h('textarea', { class: 'edit', rows: 3, value: m.text });
    const form = h('div', { class: 'editbox' }, area,
      h('button', { class: 'primary', onclick: async () => {
        upsert(await api('PATCH', `/rooms/${room.id}/messages/${m.id}`, { text: area.value }));
      } }, t('save')),
      h('button', { class: 'link', onclick: () => upsert(m) }, t('cancel')));
    el.querySelector('[data-testid="message-text"]').replaceWith(form);
    area.focus();
  }

  // ---- excerpt cards: decided per reader by the server, read again when the card changes
  // A change elsewhere in the message (a stamp, its delivery to the SNS) re-renders the message but keeps its card:
  // reading the card again would log a view nobody made, and replace what the reader is looking at.
  const cards = new Map(); // message id → { grantState, el }
  function excerptCard(m) {
    const kept = cards.get(m.id);
    if (kept && kept.grantState === m.excerpt.grantState) return kept.el;
    const card = h('div', { class: 'card', 'data-testid': 'excerpt-card', 'data-state': 'loading' },
      h('div', { class: 'card-title' }, kind(m.excerpt.kind)), h('p', { class: 'muted' }, t('loading')));
    get(`/rooms/${room.id}/messages/${m.id}/excerpt`).then((v) => {
      card.dataset.state = v.state;
      card.lastChild.remove();
      if (v.state !== 'shown') {
        const key = { 'not-shared': 'notShared', revoked: 'revoked', expired: 'expired', 'not-yet-valid': 'notYetValid',
          'source-unavailable': 'sourceUnavailable' }[v.state] || v.state;
        card.append(h('p', { class: 'placeholder' }, t(key)));
        return;
      }
      for (const s of v.sections || []) {
        card.append(h('div', { class: 'section' }, h('strong', {}, category(s.category)),
          s.state !== 'shown' ? h('p', { class: 'placeholder' }, t('sourceUnavailable'))
            : h('table', {}, (s.items || []).slice(0, 30).map((i) => h('tr', {},
              h('td', {}, i.display), h('td', {}, (i.values || []).map((x) => (x.label && x.label !== i.display ? x.label + ' ' : '')
                + x.value + (x.unit ? ' ' + x.unit : '')).join(' / ')),
              h('td', { class: 'muted' }, i.effective ? when(i.effective) : ''))))));
      }
    }).catch((e) => { card.dataset.state = 'source-unavailable'; card.lastChild.textContent = e.message; });
    cards.set(m.id, { grantState: m.excerpt.grantState, el: card });
    return card;
  }

  // ---- pending posts from the outbox
  async function renderPending() {
    const entries = await outbox.entries(room.id);
    clear(pendingList);
    for (const e of entries) {
      pendingList.append(h('li', { class: 'message mine pending', 'data-testid': 'message', 'data-pending': 'true', 'data-outbox-key': e.key },
        h('p', { class: 'text', 'data-testid': 'message-text' }, e.body.text),
        e.photo ? h('span', { class: 'small muted' }, t('photo') + ': ' + (e.photo.name || '')) : null,
        e.error ? h('div', { class: 'error small' }, t('failed') + ': ' + e.error,
          h('button', { class: 'link', onclick: () => outbox.discard(e.key) }, t('discard')))
          : h('div', { class: 'small muted' }, t('pending'))));
    }
  }
  const stopOutbox = outbox.onChange((c) => {
    if (c.type === 'sent' && c.message && c.message.roomId === room.id) upsert(c.message);
    renderPending();
  });

  // ---- composer
  const text = h('textarea', { 'data-testid': 'composer-text', rows: 2, placeholder: t('placeholder'), 'aria-label': t('placeholder') });
  const photo = h('input', { type: 'file', accept: 'image/*', capture: 'environment', 'data-testid': 'composer-photo', class: 'hidden-file' });
  const photoName = h('span', { class: 'small muted' });
  photo.addEventListener('change', () => { photoName.textContent = photo.files[0] ? t('photo') + ': ' + photo.files[0].name : ''; });
  const urgent = h('input', { type: 'checkbox', 'data-testid': 'composer-urgent' });
  // A request (依頼): kind, who (a person, a profession or a facility of the room) and the due time (Japan time).
  const asking = h('input', { type: 'checkbox', 'data-testid': 'composer-request' });
  const askKind = h('select', { 'data-testid': 'request-kind', 'aria-label': t('requestKind') },
    ['report', 'visit_arrangement', 'prescription_change', 'other'].map((k) => h('option', { value: k }, t('kind_' + k))));
  const professions = [...new Map(detail.members.filter((x) => x.profession && (!self || x.userId !== self.id))
    .map((x) => [x.profession.code, x.profession.label])).entries()];
  const askTo = h('select', { 'data-testid': 'request-assignee', 'aria-label': t('requestTo') },
    detail.members.filter((x) => !self || x.userId !== self.id).map((x) => h('option', { value: 'user:' + x.userId }, x.displayName)),
    professions.map(([code, label]) => h('option', { value: 'prof:' + code }, label)),
    [...new Map(detail.members.filter((x) => x.facilityId && (!self || x.userId !== self.id)).map((x) => [x.facilityId, x.facilityName])).entries()]
      .map(([id, name]) => h('option', { value: 'fac:' + id }, name)));
  const tomorrow = new Date(Date.now() + 86_400_000);
  const askDue = h('input', { type: 'datetime-local', 'data-testid': 'request-due', 'aria-label': t('requestDue'),
    value: localDateTime(tomorrow) });
  const askBox = h('div', { class: 'row small', hidden: true }, askKind, askTo, askDue);
  asking.addEventListener('change', () => { askBox.hidden = !asking.checked; });
  const replyBox = h('div', { class: 'small' });
  const chips = h('span', { class: 'chips' });
  const chosen = { users: new Set(), facilities: new Set(), room: false };
  const mentionPick = h('select', { 'data-testid': 'composer-mention', 'aria-label': t('mentionPick') },
    h('option', { value: '' }, '@ ' + t('mentionPick')), h('option', { value: 'room' }, t('everyone')),
    detail.members.filter((x) => !self || x.userId !== self.id).map((x) => h('option', { value: 'user:' + x.userId }, x.displayName)),
    [...new Map(detail.members.filter((x) => x.facilityId).map((x) => [x.facilityId, x.facilityName])).entries()]
      .map(([id, name]) => h('option', { value: 'fac:' + id }, name)));
  const renderChips = () => {
    clear(chips);
    const chip = (label, drop) => h('button', { class: 'chip', onclick: () => { drop(); renderChips(); } }, '@' + label + ' ×');
    if (chosen.room) chips.append(chip(t('everyone'), () => { chosen.room = false; }));
    chosen.users.forEach((id) => chips.append(chip(detail.members.find((x) => x.userId === id)?.displayName || id, () => chosen.users.delete(id))));
    chosen.facilities.forEach((id) => chips.append(chip(detail.members.find((x) => x.facilityId === id)?.facilityName || id, () => chosen.facilities.delete(id))));
  };
  mentionPick.addEventListener('change', () => {
    const v = mentionPick.value;
    if (v === 'room') chosen.room = true;
    else if (v.startsWith('user:')) chosen.users.add(v.slice(5));
    else if (v.startsWith('fac:')) chosen.facilities.add(v.slice(4));
    mentionPick.value = '';
    renderChips();
  });
  function setReply(m) {
    replyTo = m;
    clear(replyBox).append(t('replyTo') + ': ' + m.author.displayName + '「' + m.text.slice(0, 30) + '」 ',
      h('button', { class: 'link', onclick: () => { replyTo = null; clear(replyBox); } }, '×'));
    text.focus();
  }
  const send = async () => {
    const file = photo.files[0] || null;
    const body = { text: text.value.trim() || (file ? t('photo') : ''), priority: urgent.checked ? 'urgent' : 'normal' };
    if (!body.text) return;
    if (replyTo) body.parentId = replyTo.threadRootId || replyTo.id;
    if (chosen.room || chosen.users.size || chosen.facilities.size) {
      body.mentions = { users: [...chosen.users], facilities: [...chosen.facilities], room: chosen.room };
    }
    if (asking.checked) {
      const [type, id] = [askTo.value.slice(0, askTo.value.indexOf(':')), askTo.value.slice(askTo.value.indexOf(':') + 1)];
      body.request = { kind: askKind.value, dueAt: new Date(askDue.value).toISOString(),
        assignees: { users: type === 'user' ? [id] : [], professions: type === 'prof' ? [id] : [], facilities: type === 'fac' ? [id] : [] } };
    }
    text.value = ''; photo.value = ''; photoName.textContent = ''; urgent.checked = false;
    asking.checked = false; askBox.hidden = true;
    replyTo = null; clear(replyBox); chosen.users.clear(); chosen.facilities.clear(); chosen.room = false; renderChips();
    await outbox.enqueue(room.id, body, file);
    toBottom();
  };
  const composer = room.archived ? h('footer', { class: 'composer muted' }, '—') : h('footer', { class: 'composer' },
    replyBox, chips,
    h('div', { class: 'row' }, text, h('button', { class: 'primary', 'data-testid': 'composer-send', onclick: send }, t('send'))),
    h('div', { class: 'row small' },
      h('label', { class: 'button' }, t('photo'), photo), photoName,
      h('label', {}, urgent, ' ' + t('urgent')), mentionPick,
      h('label', {}, asking, ' ' + t('makeRequest'))), askBox);

  // ---- history and the live stream
  const older = h('button', { class: 'link older', onclick: () => loadOlder() }, t('loadOlder'));
  async function loadOlder() {
    const page = await get(`/rooms/${room.id}/messages?limit=50` + (olderCursor ? '&before=' + olderCursor : ''));
    olderCursor = page.nextCursor;
    older.hidden = !olderCursor;
    page.items.forEach(upsert);
  }
  await loadOlder();
  await renderPending();
  // The room's pins above the timeline (the care plan, the emergency contacts), re-read when one changes.
  const pinsBox = h('div', { class: 'pins small', 'data-testid': 'pins' });
  const renderPins = async () => {
    const pins = await get(`/rooms/${room.id}/pins`);
    clear(pinsBox);
    pinsBox.hidden = pins.length === 0;
    pins.forEach((p) => pinsBox.append(h('div', { 'data-testid': 'pin-item' }, '📌 ' + p.author.displayName + ': ' + p.text.slice(0, 60))));
  };
  await renderPins().catch(() => {});
  const unfollow = live.follow(room.id, room.seq, async (ev) => {
    if (ev.message && ev.message.roomId === room.id) upsert(ev.message);
    if (ev.type === 'message.pinned') renderPins().catch(() => {});
    else if (ev.type === 'resync') { olderCursor = null; await loadOlder(); }
  });
  scroller.append(pinsBox, older, timeline, pendingList);
  setTimeout(() => {
    const focused = focusId && nodes.get(focusId);
    if (focused) {
      focused.classList.add('focused');
      focused.scrollIntoView({ block: 'center' });
    } else {
      toBottom();
    }
  }, 0);
  // This device shows the room: no pushes of it here, and what it showed of it is closed.
  live.viewing(room.id);
  closeShown(room.id).catch(() => {});
  return { nodes: [bar, scroller, composer], leave: () => { stop(); unfollow(); stopOutbox(); live.viewing(null); } };
}

/** A date as a datetime-local input shows it: the device's local time (Japan time for our users). */
function localDateTime(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function connectorName(id) {
  return (id || '').split(/[-:]/)[0].toUpperCase();
}
