// Requests (依頼) and urgent acknowledgements as a message shows them, with the moves the viewer may make.
// Shared by the room timeline and the "my actions" inbox; each move answers the updated message.
import { h, when } from './dom.js';
import { t } from './i18n.js';
import { api, post } from './api.js';

const MOVES = { accept: 'requestAccept', complete: 'requestComplete', decline: 'requestDecline', cancel: 'requestCancel' };

/** The request block of a message, or null. {@code changed} receives the updated message after a move. */
export function requestBlock(m, self, changed) {
  const r = m.request;
  if (!r) return null;
  const overdue = (r.state === 'open' || r.state === 'accepted') && new Date(r.dueAt) < new Date();
  const box = h('div', { class: 'request' + (overdue ? ' overdue' : ''), 'data-testid': 'request', 'data-state': r.state },
    h('div', { class: 'row' }, h('strong', {}, '依頼: ' + r.kind.label),
      h('span', { class: 'badge state-' + r.state, 'data-testid': 'request-state' }, t('state_' + r.state)),
      overdue ? h('span', { class: 'badge urgent', 'data-testid': 'request-overdue' }, t('overdue')) : null),
    h('div', { class: 'small' }, t('due') + ' ' + when(r.dueAt) + '・' + t('assignee') + ' ' + r.assigneeLabel));
  const last = r.history[r.history.length - 1];
  if (last && last.note) box.append(h('div', { class: 'small muted' }, last.note));
  const mine = self && r.assigneeIds.includes(self.id);
  const moves = [];
  if (mine && r.state === 'open') moves.push('accept');
  if (mine && (r.state === 'open' || r.state === 'accepted')) moves.push('complete', 'decline');
  if (self && r.requesterId === self.id && (r.state === 'open' || r.state === 'accepted')) moves.push('cancel');
  if (moves.length) {
    box.append(h('div', { class: 'row' }, moves.map((action) => h('button', { class: action === 'cancel' || action === 'decline' ? 'link' : 'primary small',
      'data-testid': 'request-' + action, onclick: async () => {
        let note;
        if (action === 'decline') {
          note = prompt(t('declineReason'));
          if (!note) return;
        } else if (action === 'complete') {
          note = prompt(t('completeNote')) || undefined;
        }
        changed(await post(`/rooms/${m.roomId}/messages/${m.id}/request/actions`, { action, note }));
      } }, t(MOVES[action])))));
  }
  return box;
}

/** Who still has to acknowledge an urgent message, and the button for the viewer if it is them. */
export function acknowledgementBlock(m, self, names, changed) {
  const a = m.acknowledgement;
  if (!a) return null;
  const box = h('div', { class: 'ack small', 'data-testid': 'acknowledgement', 'data-pending': String(a.pending.length) });
  box.append(a.pending.length === 0 ? h('span', {}, t('acknowledgedByAll'))
    : h('span', {}, t('waitingFor') + ': ' + a.pending.map((u) => names(u)).join('、')));
  if (a.escalations.length) box.append(h('span', { class: 'badge urgent', 'data-testid': 'escalated' }, t('escalated')));
  if (self && a.pending.includes(self.id)) {
    box.append(h('button', { class: 'primary small', 'data-testid': 'acknowledge', onclick: async () => {
      changed(await api('POST', `/rooms/${m.roomId}/messages/${m.id}/acknowledge`));
    } }, t('acknowledge')));
  }
  return box;
}
