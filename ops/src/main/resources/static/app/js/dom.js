// A small element builder: h('button', {class: 'x', 'data-testid': 'y', onclick: fn}, 'text', child, ...).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Japan time, as the team reads it: today "14:05", else "11/20 14:05". */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const opts = { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hour12: false };
  const day = (x) => x.toLocaleDateString('ja-JP', { timeZone: 'Asia/Tokyo' });
  if (day(d) === day(new Date())) return d.toLocaleTimeString('ja-JP', opts);
  return d.toLocaleString('ja-JP', { ...opts, month: 'numeric', day: 'numeric' });
}

export function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}
