// Health-record sharing of a patient room. The resident and recorded proxies decide requests, see and revoke
// grants and see who viewed the record; professionals see the grants and post cards under them.
import { h, clear, when } from './dom.js';
import { t, category, kind, professionLabel, grantState } from './i18n.js';
import { get, post, ApiError } from './api.js';
import { roomDetail, roomError } from './room.js';

const KINDS = { labs: ['lab'], medication: ['medication'], vitals: ['vital.bp', 'vital.weight', 'vital.glucose'], allergy: ['allergy'], memo: ['memo'] };

export async function consentScreen(roomId, header) {
  const detail = await roomDetail(roomId);
  if (!detail) return roomError(header);
  const room = detail.room;
  const { bar, stop } = header(t('consent') + '・' + room.name, `#/rooms/${room.id}`);
  const body = h('main', { class: 'scroll consent' });
  const render = async () => {
    clear(body);
    let overview = null;
    try {
      overview = await get(`/rooms/${room.id}/consent`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 403)) throw e;
    }
    if (overview) {
      body.append(h('h2', {}, t('requests')));
      body.append(overview.pendingRequests.length === 0 ? h('p', { class: 'muted' }, t('noRequests'))
        : h('ul', { class: 'cards' }, overview.pendingRequests.map((r) => h('li', { class: 'card', 'data-testid': 'consent-request' },
          scope(r), h('div', { class: 'row' },
            h('button', { class: 'primary big', 'data-testid': 'approve', onclick: async () => {
              await post(`/rooms/${room.id}/consent/requests/${r.id}/approve`); render(); } }, t('approve')),
            h('button', { class: 'big', 'data-testid': 'decline', onclick: async () => {
              await post(`/rooms/${room.id}/consent/requests/${r.id}/decline`, {}); render(); } }, t('decline')))))));
      body.append(h('h2', {}, t('grants')), grantList(overview.grants, true));
      const views = await get(`/rooms/${room.id}/record/views`);
      body.append(h('h2', {}, t('views')), views.items.length === 0 ? h('p', { class: 'muted' }, t('noViews'))
        : h('ul', { class: 'views' }, views.items.map((v) => h('li', { 'data-testid': 'record-view' },
          h('strong', {}, v.viewer.displayName), ' ', h('span', { class: 'muted' }, [professionLabel(v.viewer.profession), v.viewer.facilityName].filter(Boolean).join('・')),
          h('div', { class: 'small' }, (v.categories || []).map(category).join('、') + ' — ' + v.outcome + ' — ' + when(v.at))))));
    } else {
      body.append(h('p', { class: 'muted' }, t('residentOnly')));
      body.append(h('h2', {}, t('grants')), grantList(await get(`/rooms/${room.id}/consent/grants`), false));
    }
  };

  function scope(x) {
    const a = x.audience || {};
    const who = [...(a.professions || []).map(professionLabel), ...(a.facilities || []), ...(a.users || [])];
    return h('div', {},
      h('div', { class: 'cats' }, (x.categories || []).map((c) => h('span', { class: 'chip' }, category(c)))),
      h('dl', {},
        h('dt', {}, t('purpose')), h('dd', {}, x.purpose),
        h('dt', {}, t('audience')), h('dd', {}, who.length ? who.join('、') : t('allMembers')),
        x.validDays ? [h('dt', {}, t('validDays')), h('dd', {}, x.validDays + ' ' + t('days'))] : null,
        x.validUntil ? [h('dt', {}, t('state')), h('dd', {}, grantState(x.state) + '（' + when(x.validUntil) + ' ' + t('until') + '）')] : null,
        x.requestedBy ? [h('dt', {}, t('requestedBy')), h('dd', {}, x.requestedBy.displayName)] : null));
  }

  function grantList(grants, mayRevoke) {
    if (!grants.length) return h('p', { class: 'muted' }, t('noGrants'));
    return h('ul', { class: 'cards' }, grants.map((g) => h('li', { class: 'card', 'data-testid': 'grant', 'data-state': g.state },
      scope(g),
      mayRevoke && g.state === 'active' ? h('button', { class: 'big danger', 'data-testid': 'revoke', onclick: async () => {
        if (!confirm(t('confirmRevoke'))) return;
        await post(`/rooms/${room.id}/consent/grants/${g.grantId}/revoke`, {}); render(); } }, t('revoke')) : null,
      !mayRevoke && g.state === 'active' ? cardForm(g) : null)));
  }

  function cardForm(g) {
    const kinds = Object.keys(KINDS).filter((k) => KINDS[k].some((c) => g.categories.includes(c)));
    const pick = h('select', { 'data-testid': 'card-kind', 'aria-label': t('cardKind') }, kinds.map((k) => h('option', { value: k }, kind(k))));
    return h('div', { class: 'row' }, pick, h('button', { class: 'primary', 'data-testid': 'post-card', onclick: async () => {
      await post(`/rooms/${room.id}/excerpts`, { grantId: g.grantId, kind: pick.value });
      location.hash = `#/rooms/${room.id}`;
    } }, t('postCard')));
  }

  await render();
  return { nodes: [bar, body], leave: stop };
}
