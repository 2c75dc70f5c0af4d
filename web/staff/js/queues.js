// queues.js - what waits for whom (SPEC §15): the person's queues with
// counts, one queue's items oldest first with their age, the make-up claims
// finance resolves, and the scan box that finds a case by RMA number,
// tracking number, serial number or UID.

import * as api from './api.js?v=2';
import { h, clear, announce, showError, clearMessages, money, timeEl, newId } from '/js/dom.js?v=1';
import { kindLabel, statusLabel, words, age } from './words.js?v=2';
import { resolveForm } from './exceptions.js?v=2';

const caseLink = (number) => h('a', { href: '#/rmas/' + number }, number);

function scanForm(ctx, value, autofocus) {
  const input = h('input', {
    id: 'scan-code', name: 'code', type: 'text', value, autocomplete: 'off',
    spellcheck: 'false', maxlength: 64, required: true, 'aria-describedby': 'scan-hint',
  });
  const error = h('p', { class: 'form-error', id: 'scan-error' });
  const form = h('form', { class: 'card scan', role: 'search', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'scan-code' }, 'Scan or type a code'),
      h('div', { class: 'inline-field' }, input, h('button', { type: 'submit' }, 'Find')),
      h('p', { class: 'hint', id: 'scan-hint' },
        'An RMA number, a return or outbound tracking number, a serial number or a UID.')),
    error);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const code = input.value.trim();
    if (!code) {
      input.setAttribute('aria-invalid', 'true');
      showError('Scan or type a code first.', error);
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    ctx.go('#/scan?code=' + encodeURIComponent(code));
  });
  if (autofocus) window.setTimeout(() => input.focus(), 0);
  return form;
}

// ---- Home: my queues ----

export async function renderHome(ctx) {
  const res = await api.get('/queues');
  const queues = res.queues || [];
  const total = queues.reduce((n, q) => n + q.count, 0);
  const content = [
    h('h1', {}, 'Your queues'),
    h('p', { class: 'lead' }, total
      ? `${total} ${total === 1 ? 'case waits' : 'cases wait'} for ${ctx.me.role === 'admin' ? 'the team' : 'you'}, oldest first in each queue.`
      : 'Nothing waits for you. Well done.'),
  ];
  if (ctx.me.role === 'warehouse') content.push(scanForm(ctx, '', false));
  const list = h('ul', { class: 'queues' }, queues.map((q) => {
    const id = 'queue-' + q.name;
    return h('li', { class: 'card queue' + (q.count ? '' : ' empty') },
      h('h2', { id }, q.title),
      h('p', { class: 'count' }, h('span', { class: 'num' }, String(q.count)),
        q.count === 1 ? ' case' : ' cases'),
      q.oldest
        ? h('p', { class: 'muted' }, 'Oldest waits ', timeEl(q.oldest))
        : h('p', { class: 'muted' }, 'None waiting'),
      h('p', {}, h('a', { href: '#/queue/' + q.name, class: 'button-link', 'aria-describedby': id },
        `Open ${q.title}`)));
  }));
  content.push(h('section', { 'aria-label': 'Queues' }, list));
  if (ctx.me.role === 'finance' || ctx.me.role === 'admin') {
    content.push(h('section', { class: 'card', 'aria-labelledby': 'exports-h' },
      h('h2', { id: 'exports-h' }, 'Exports'),
      h('p', {}, 'CSV for the books: the ledger, holds, captures and refunds, make-up payments, exceptions, cases.'),
      h('p', {}, h('a', { href: '#/exports', class: 'button-link' }, 'Open Exports'))));
  }
  clear(ctx.view).append(...content);
  ctx.focusHeading();
}

// ---- One queue ----

function caseTable(items) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'queue-table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'RMA'),
      h('th', { scope: 'col' }, 'Customer'),
      h('th', { scope: 'col' }, 'Case'),
      h('th', { scope: 'col' }, 'Waiting'),
      h('th', { scope: 'col' }, 'Details'))),
    h('tbody', {}, items.map((it) => h('tr', { dataset: { number: it.number } },
      h('th', { scope: 'row' }, caseLink(it.number)),
      h('td', {}, it.customer_name || '', it.customer_name ? h('br') : null,
        h('span', { class: 'muted small' }, it.customer_email || '')),
      h('td', {}, kindLabel(it.kind), h('br'),
        h('span', { class: 'muted small' }, (it.devices || []).join(', '))),
      h('td', { class: 'age' }, h('span', { title: it.since }, age(it.age_seconds))),
      h('td', {},
        it.amount ? h('span', {}, money(it.amount)) : null,
        it.deadline ? h('span', { class: 'small' }, ' Deadline ', timeEl(it.deadline)) : null,
        it.note ? h('blockquote', { class: 'small' }, it.note) : null,
        it.created_by ? h('span', { class: 'muted small block' }, 'By ' + it.created_by) : null))))));
}

// Every open exception, of every kind, oldest first; finance resolves
// each with its outcome, a note, and the amount when money moved.
function exceptionTable(ctx, items, rerender) {
  const canResolve = ctx.me.role === 'finance';
  const rows = [];
  for (const it of items) {
    const formId = `resolve-${it.id}`;
    const formRow = h('tr', { class: 'form-row', hidden: true },
      h('td', { colspan: canResolve ? 6 : 5 }));
    let opener = null;
    const toggle = (open) => {
      formRow.hidden = !open;
      opener.setAttribute('aria-expanded', String(open));
      if (open) {
        const cell = clear(formRow.firstChild);
        cell.append(resolveForm(it, formId, rerender, () => toggle(false)));
        cell.querySelector('select').focus();
      } else {
        opener.focus();
      }
    };
    if (canResolve) {
      opener = h('button', {
        type: 'button', class: 'secondary small-button', 'aria-expanded': 'false', 'aria-controls': formId,
        'aria-label': `Resolve exception #${it.id}`,
      }, 'Resolve');
      opener.addEventListener('click', () => toggle(formRow.hidden));
    }
    rows.push(h('tr', { dataset: { exception: it.id } },
      h('th', { scope: 'row' }, words(it.exception_kind), h('span', { class: 'muted small block' }, '#' + it.id)),
      h('td', {}, it.number ? caseLink(it.number) : '—',
        it.status ? h('span', { class: 'muted small block' }, statusLabel(it.status)) : null),
      h('td', {}, it.amount ? money(it.amount) : '—'),
      h('td', { class: 'age' }, age(it.age_seconds)),
      h('td', {}, it.note || ''),
      canResolve ? h('td', { class: 'no-print' }, opener) : null), formRow);
  }
  return h('div', { class: 'table-wrap' }, h('table', { class: 'queue-table exceptions' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Exception'),
      h('th', { scope: 'col' }, 'RMA'),
      h('th', { scope: 'col' }, 'Amount'),
      h('th', { scope: 'col' }, 'Waiting'),
      h('th', { scope: 'col' }, 'Detail'),
      canResolve ? h('th', { scope: 'col', class: 'no-print' }, h('span', { class: 'visually-hidden' }, 'Action')) : null)),
    h('tbody', {}, rows)));
}

// A make-up claim beside the customer's screenshot, with "Resolve".
function claimCard(ctx, it, rerender) {
  const id = newId('claim');
  const facts = [
    ['Claim', `#${it.id} (${words(it.claim_status || it.status)})`],
    ['Amount due', money(it.amount_due) + (it.reason ? ` (${words(it.reason)})` : '')],
    ['Paid', it.amount_paid ? money(it.amount_paid) : '—'],
    ['Transaction ID (customer)', it.transaction_id],
    ['PayPal record', it.matched_transaction_id
      ? `${it.matched_transaction_id} (${words(it.match_method)})` : 'none found'],
    ['Why', words(it.outcome_reason || (it.exception && it.exception.kind) || '')],
    ['Customer', it.customer_email],
  ];
  const note = h('textarea', { id: id + '-note', rows: 3, maxlength: 2000, required: true });
  const error = h('p', { class: 'form-error' });
  const form = h('form', { class: 'subform', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: id + '-note' }, 'Resolution note'), note),
    error,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Resolve')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMessages();
    if (!note.value.trim()) {
      note.setAttribute('aria-invalid', 'true');
      showError('Say how it was resolved.', error);
      note.focus();
      return;
    }
    try {
      await api.post(`/makeup-payments/${encodeURIComponent(it.id)}/resolve`, { note: note.value.trim() });
      await rerender();
      announce(`Claim ${it.id} of ${it.number} resolved.`);
    } catch (err) {
      showError(err.message, error);
    }
  });
  return h('li', { class: 'card claim', 'aria-labelledby': id },
    h('h2', { id }, caseLink(it.number), ` — make-up claim`),
    h('div', { class: 'claim-grid' },
      it.payment_receipt_id
        ? h('figure', {}, h('img', {
          src: api.attachmentUrl(it.number, it.payment_receipt_id),
          alt: `Payment screenshot the customer sent for ${it.number}`,
        }), h('figcaption', { class: 'muted small' }, 'The customer\u2019s screenshot'))
        : null,
      h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v || '—')]))),
    form);
}

export async function renderQueue(ctx, name) {
  const res = await api.get('/queues/' + encodeURIComponent(name));
  const items = res.items || [];
  const rerender = () => renderQueue(ctx, name);
  let body;
  if (!items.length) body = h('p', { class: 'card' }, 'Nothing waits here.');
  else if (name === 'exceptions') body = exceptionTable(ctx, items, rerender);
  else if (name === 'makeup_claims') body = h('ul', { class: 'claims' }, items.map((it) => claimCard(ctx, it, rerender)));
  else body = caseTable(items);
  clear(ctx.view).append(...[
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← All queues')),
    h('h1', {}, res.title),
    h('p', { class: 'lead' }, `${items.length} ${items.length === 1 ? 'item' : 'items'}, oldest first.`),
    // The outbound pick list: this queue on paper (print styles).
    name === 'awaiting_shipment' && items.length
      ? h('p', { class: 'no-print buttons' },
        h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, 'Print Pick List'),
        ['warehouse', 'admin'].includes(ctx.me.role)
          ? h('a', { href: api.pickListUrl, target: '_blank', rel: 'noopener', class: 'button-link' }, 'Open Pick List')
          : null)
      : null,
    ctx.me.role === 'warehouse' ? scanForm(ctx, '', false) : null,
    body].filter(Boolean));
  ctx.focusHeading();
}

// ---- The scan box ----

export async function renderScan(ctx, code) {
  const content = [
    h('h1', {}, ctx.me.role === 'warehouse' ? 'Scan a parcel' : 'Find a case'),
    scanForm(ctx, code, !code),
  ];
  if (code) {
    const res = await api.get('/scan?code=' + encodeURIComponent(code));
    const matches = res.matches || [];
    if (matches.length === 1) {
      announce(`Found ${matches[0].number}.`);
      ctx.replace('#/rmas/' + matches[0].number);
      return;
    }
    content.push(h('section', { class: 'card', 'aria-labelledby': 'scan-results' },
      h('h2', { id: 'scan-results' }, matches.length ? `${matches.length} cases match` : 'No case matches'),
      matches.length
        ? h('ul', { class: 'plain' }, matches.map((m) => h('li', {},
          caseLink(m.number), ` — ${statusLabel(m.status)}, ${kindLabel(m.kind)}, ${m.customer_email} (by ${words(m.matched_by)})`)))
        : h('p', {}, `Nothing has the code “${code}”. Check it and try again.`)));
  }
  clear(ctx.view).append(...content);
  if (code) ctx.focusHeading();
}
