// dom.js - building the page without innerHTML (text is always text),
// formatting money and dates, and the live regions that announce outcomes
// and errors to screen readers.

let uniq = 0;
export const newId = (prefix) => `${prefix}-${++uniq}`;

// h('p', {class: 'x', onclick: f}, 'text', child, [children], null)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.className = v;
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// A PayPal-style money object as text in the customer's locale:
// {"currency_code":"USD","value":"129.99"} -> "$129.99".
export function money(m) {
  if (!m || m.value === undefined) return '';
  const digits = (m.value.split('.')[1] || '').length;
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency: m.currency_code,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(Number(m.value));
  } catch (err) {
    return `${m.value} ${m.currency_code}`;
  }
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
});
const dateFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeZone: 'UTC',
});

// A <time> showing an ISO 8601 UTC instant in the browser's time zone, the
// UTC value in its tooltip.
export function timeEl(iso, extra = {}) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return h('time', { datetime: iso, title: `${iso} (UTC)`, ...extra },
    dateTimeFormat.format(d));
}

// A calendar date (YYYY-MM-DD) as the customer writes dates.
export function dateText(ymd) {
  if (!ymd) return '';
  const d = new Date(ymd + 'T00:00:00Z');
  return Number.isNaN(d.getTime()) ? ymd : dateFormat.format(d);
}

// "12 days 4 hours left" until iso, or "the deadline has passed".
export function remaining(iso, now = Date.now()) {
  let s = Math.floor((new Date(iso).getTime() - now) / 1000);
  if (!(s > 0)) return 'the deadline has passed';
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  const part = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (days > 0) return `${part(days, 'day')} ${part(hours, 'hour')} left`;
  if (hours > 0) return `${part(hours, 'hour')} ${part(minutes, 'minute')} left`;
  return `${part(Math.max(minutes, 1), 'minute')} left`;
}

// Polite announcements (what happened) and assertive ones (errors).
export function announce(text) {
  const el = document.getElementById('status');
  el.textContent = '';
  // A change the screen reader notices even when the text repeats.
  window.setTimeout(() => { el.textContent = text; }, 30);
}

// The error goes to the page's alert region (announced at once) and, when
// `near` is a form's message element, next to the control too.
export function showError(text, near) {
  document.getElementById('alert').textContent = text || '';
  if (near) near.textContent = text || '';
}

export function clearMessages() {
  document.getElementById('alert').textContent = '';
  document.getElementById('status').textContent = '';
  for (const el of document.querySelectorAll('.form-error')) el.textContent = '';
}
