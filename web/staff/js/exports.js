// exports.js - finance's exports (SPEC §8, §15): a kind, a period picker
// and "Download".  The file is the API's stream (GET
// /api/v1/staff/exports/{kind}.csv?from=&to=), the same bytes as
// `rmactl export`; the browser saves it as it arrives.

import * as api from './api.js?v=2';
import { h, clear, showError, clearMessages } from '/js/dom.js?v=1';

const KINDS = [
  ['ledger', 'Ledger postings'],
  ['holds', 'Holds'],
  ['captures-refunds', 'Captures and refunds'],
  ['makeup-payments', 'Make-up payments'],
  ['exceptions', 'Exceptions'],
  ['rmas', 'Cases'],
  ['shipments', 'Shipments'],
];

const ymd = (d) => d.toISOString().slice(0, 10);

// [from, to) of a preset, as UTC dates.
function preset(name, now = new Date()) {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const day = (yy, mm, dd) => new Date(Date.UTC(yy, mm, dd));
  switch (name) {
  case 'last-month': return [day(y, m - 1, 1), day(y, m, 1)];
  case 'this-month': return [day(y, m, 1), day(y, m, now.getUTCDate() + 1)];
  case 'last-7': return [day(y, m, now.getUTCDate() - 6), day(y, m, now.getUTCDate() + 1)];
  case 'this-year': return [day(y, 0, 1), day(y, m, now.getUTCDate() + 1)];
  default: return null;
  }
}

export async function renderExports(ctx) {
  const kind = h('select', { id: 'export-kind' },
    KINDS.map(([k, label]) => h('option', { value: k }, label)));
  const period = h('select', { id: 'export-period' },
    h('option', { value: 'last-month' }, 'Last month'),
    h('option', { value: 'this-month' }, 'This month so far'),
    h('option', { value: 'last-7' }, 'The last 7 days'),
    h('option', { value: 'this-year' }, 'This year so far'),
    h('option', { value: 'custom' }, 'Other dates'));
  const from = h('input', { id: 'export-from', name: 'from', type: 'date', required: true, 'aria-describedby': 'export-dates-hint' });
  const to = h('input', { id: 'export-to', name: 'to', type: 'date', required: true, 'aria-describedby': 'export-dates-hint' });
  const error = h('p', { class: 'form-error' });
  const apply = () => {
    const p = preset(period.value);
    if (p) {
      from.value = ymd(p[0]);
      to.value = ymd(p[1]);
    }
  };
  period.addEventListener('change', apply);
  const edited = () => { period.value = 'custom'; };
  from.addEventListener('input', edited);
  to.addEventListener('input', edited);
  apply();
  // A plain GET form: the browser downloads the stream itself, with the
  // session cookie (same site), and no script holds the file.
  const form = h('form', { class: 'card', method: 'get', action: api.exportUrl(kind.value), novalidate: true },
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'export-kind' }, 'Export'), kind),
      h('div', { class: 'field' }, h('label', { for: 'export-period' }, 'Period'), period)),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'export-from' }, 'From (inclusive)'), from),
      h('div', { class: 'field' }, h('label', { for: 'export-to' }, 'To (exclusive)'), to)),
    h('p', { class: 'hint', id: 'export-dates-hint' },
      'Dates are UTC days: from the start of "From" to the start of "To". The file is the same as rmactl export gives.'),
    error,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Download')));
  kind.addEventListener('change', () => { form.action = api.exportUrl(kind.value); });
  form.addEventListener('submit', (ev) => {
    clearMessages();
    if (!from.value || !to.value || from.value >= to.value) {
      ev.preventDefault();
      const bad = !from.value ? from : to;
      bad.setAttribute('aria-invalid', 'true');
      showError('Choose a period: "To" must be after "From".', error);
      bad.focus();
      return;
    }
    from.removeAttribute('aria-invalid');
    to.removeAttribute('aria-invalid');
    form.action = api.exportUrl(kind.value);
  });
  clear(ctx.view).append(
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← Queues')),
    h('h1', {}, 'Exports'),
    h('p', { class: 'lead' }, 'CSV (RFC 4180, UTF-8) for the books and for PayPal\u2019s settlement reports; each download is audited under your name.'),
    form);
  ctx.focusHeading();
}
