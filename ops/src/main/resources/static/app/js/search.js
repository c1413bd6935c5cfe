// Search (#/search?q=…&room=…): messages of my rooms, newest first, grouped by room; a tap opens the room at the
// message. The server marks where the words are (highlights: offsets into the snippet); the text is set as text,
// never as HTML.
import { h, clear, when } from './dom.js';
import { t } from './i18n.js';
import { get, ApiError } from './api.js';

/** The search box: on the room list (all my rooms) and from a room (that room only). */
export function searchBox(roomId, value = '') {
  const input = h('input', { type: 'search', class: 'search-input', 'data-testid': 'search-input', value,
    placeholder: roomId ? t('searchRoom') : t('searchAll'), 'aria-label': t('search'), enterkeyhint: 'search' });
  const form = h('form', { class: 'search-box', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    const params = new URLSearchParams({ q });
    if (roomId) params.set('room', roomId);
    location.hash = '#/search?' + params;
  } }, input, h('button', { class: 'primary', type: 'submit', 'data-testid': 'search-submit' }, t('search')));
  return form;
}

export async function searchScreen(header, query) {
  const params = new URLSearchParams(query);
  const q = params.get('q') || '';
  const roomId = params.get('room');
  const { bar, stop } = header(t('search'), roomId ? '#/rooms/' + roomId : '#/rooms');
  const results = h('div', { 'data-testid': 'search-results' });
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'search-status' });
  const more = h('button', { class: 'link older', hidden: true, 'data-testid': 'search-more' }, t('searchMore'));
  const groups = new Map(); // roomId -> list element
  let cursor = null;

  const load = async () => {
    const p = new URLSearchParams({ q, limit: '20' });
    if (roomId) p.set('room', roomId);
    if (cursor) p.set('cursor', cursor);
    let page;
    try {
      page = await get('/search?' + p);
    } catch (e) {
      status.textContent = e instanceof ApiError && e.status === 400 ? e.message : t('searchFailed');
      return;
    }
    for (const hit of page.items) {
      let list = groups.get(hit.roomId);
      if (!list) {
        list = h('ul', { class: 'rooms' });
        groups.set(hit.roomId, list);
        results.append(h('section', { class: 'search-room', 'data-testid': 'search-room', 'data-room-id': hit.roomId },
          h('h2', { class: 'section-title' }, hit.roomName || t('directRoom')), list));
      }
      list.append(h('li', {}, h('a', { class: 'room', href: '#/rooms/' + hit.roomId + '/messages/' + hit.message.id,
        'data-testid': 'search-hit', 'data-message-id': hit.message.id },
        h('div', { class: 'row' }, h('strong', {}, hit.message.author.displayName), h('time', {}, when(hit.message.createdAt))),
        snippet(hit.snippet, hit.highlights))));
    }
    cursor = page.nextCursor;
    more.hidden = !cursor;
    const shown = results.querySelectorAll('[data-testid="search-hit"]').length;
    status.textContent = shown === 0 ? t('searchNone') : '';
  };
  more.onclick = () => load();
  if (q) await load();
  return { nodes: [bar, searchBox(roomId, q), h('main', { class: 'scroll', 'data-testid': 'search' }, status, results, more)],
    leave: stop };
}

/** The snippet as text, each highlight in a mark element. */
function snippet(text, highlights) {
  const out = h('div', { class: 'muted snippet' });
  let at = 0;
  for (const { start, end } of highlights || []) {
    if (start < at || end > text.length) continue;
    out.append(text.slice(at, start), h('mark', {}, text.slice(start, end)));
    at = end;
  }
  out.append(text.slice(at));
  return out;
}
