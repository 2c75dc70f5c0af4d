// case.js - one case as staff see it (SPEC §15): everything GET
// /api/v1/staff/rmas/{number} returns (solution, order, devices, customer,
// hold with its deadline and PayPal ids, attachments inline, the return and
// its inspection, shipments, make-up claim, policy, the timeline with
// people) and the actions the person's role may take, each with the reason
// fields the API requires.  The service decides: a refused or stale action
// shows the API's answer (a 409 with "Reload").

import * as api from './api.js?v=2';
import { h, clear, announce, showError, clearMessages, money, timeEl, dateText, newId } from '/js/dom.js?v=1';
import { kindLabel, statusLabel, roleLabel, eventLabel, words } from './words.js?v=2';
import { resolveForm } from './exceptions.js?v=2';

const CASEWORK = ['agent', 'supervisor'];
const CANCELLABLE = ['draft', 'pending_review', 'pending_confirm', 'confirmed', 'rejected',
  'awaiting_preauth', 'awaiting_shipment', 'awaiting_return', 'return_submitted', 'received',
  'quote_pending'];
const RECEIVABLE = ['awaiting_return', 'return_submitted', 'charged', 'capture_failed'];
// Where the address the unit ships to may still be set (rma_address_editable).
const ADDRESSABLE = ['draft', 'pending_review', 'pending_confirm', 'rejected', 'confirmed',
  'awaiting_preauth', 'awaiting_shipment', 'awaiting_return', 'return_submitted', 'received', 'quote_pending'];
const CONDITIONS = ['good', 'sealed', 'used', 'damaged', 'incomplete'];
const OUTCOMES = ['as_described', 'damaged_in_transit', 'not_faulty', 'out_of_warranty'];

const reason = (label = 'Reason') => ({ name: 'reason', label, type: 'textarea', required: true, max: 500 });

// The actions of the console, each for the roles the route table grants it
// (src/routes.c) and the states it applies to; the service has the last word.
function actionsFor(r, role) {
  // A hold the supervisor may still decide on: authorized, no release
  // asked for (the service refuses the decisions otherwise).
  const hold = r.hold && r.hold.status === 'authorized' && !r.hold.release_pending ? r.hold : null;
  const inspected = Boolean(r.return && r.return.inspection);
  const standard = r.kind === 'replacement' && (r.replacement_method || 'standard') === 'standard';
  const dev = (r.devices || [])[0] || {};
  const list = [
    {
      label: 'Submit for Review', path: 'submit', roles: CASEWORK, when: r.status === 'draft',
      done: (x) => (x.status === 'pending_review' ? 'Submitted for review.' : 'Submitted: the customer has been asked.'),
    },
    {
      label: 'Edit', method: 'PATCH', path: '', roles: CASEWORK, when: ['draft', 'rejected'].includes(r.status),
      fields: [{ name: 'problem', label: 'Problem', type: 'textarea', required: true, max: 2000, value: r.problem }],
      done: () => 'Saved: a new revision.',
    },
    { label: 'Approve', path: 'approve', roles: ['supervisor'], when: r.status === 'pending_review', done: () => 'Approved: the customer has been asked.' },
    {
      label: 'Send Back', path: 'send-back', roles: ['supervisor'], when: r.status === 'pending_review',
      fields: [reason('Why it goes back to the agent')], done: () => 'Sent back to the agent.',
    },
    {
      label: 'Confirm on Behalf', path: 'confirm-on-behalf', roles: CASEWORK, when: r.status === 'pending_confirm',
      fields: [reason('How the customer agreed (call, e-mail…)')], done: () => 'Confirmed on the customer\u2019s behalf.',
    },
    {
      label: 'Ship', path: 'shipments', roles: ['warehouse'],
      when: r.status === 'awaiting_shipment' || (r.status === 'received' && (standard || r.kind === 'repair')),
      fields: [
        { name: 'carrier', label: 'Carrier', type: 'text', required: true, max: 40, value: 'UPS' },
        { name: 'tracking_number', label: 'Tracking number', type: 'text', required: true, max: 40 },
      ],
      done: () => 'Shipment recorded.',
    },
    {
      label: 'Receive', path: 'receipt', roles: ['warehouse'], when: RECEIVABLE.includes(r.status),
      fields: [
        { name: 'condition', label: 'Condition', type: 'select', options: CONDITIONS, required: true },
        { name: 'serial_number', label: 'Serial number on the unit', type: 'text', max: 40, value: dev.serial_number || '' },
        { name: 'uid', label: 'UID on the unit', type: 'text', max: 64, value: dev.uid || '' },
        { name: 'notes', label: 'Notes', type: 'textarea', max: 2000 },
      ],
      done: () => 'Return received.',
    },
    {
      label: 'Inspect', path: 'inspection', roles: ['warehouse'], when: r.status === 'received' && !inspected,
      fields: [
        { name: 'outcome', label: 'Outcome', type: 'select', options: OUTCOMES, required: true },
        { name: 'notes', label: 'Notes', type: 'textarea', max: 2000 },
      ],
      done: () => 'Inspection recorded.',
    },
    {
      label: 'Send Quote', path: 'quote', roles: ['warehouse'],
      when: r.status === 'received' && r.kind === 'repair' && !(r.policy && r.policy.quote),
      fields: [
        { name: 'amount', label: `Repair fee (${r.currency || (r.order && r.order.currency) || ''})`, type: 'money', required: true },
        { name: 'notes', label: 'What the repair is', type: 'textarea', max: 2000 },
      ],
      done: () => 'Quote sent to the customer.',
    },
    {
      label: 'Extend Deadline', path: 'deadline-extension', roles: ['supervisor'], when: Boolean(hold),
      fields: [
        { name: 'deadline', label: 'New return deadline (your time)', type: 'datetime', required: true },
        reason(),
      ],
      done: () => 'Deadline extended.',
    },
    {
      label: 'Waive Hold', path: 'waive-hold', roles: ['supervisor'], when: Boolean(hold),
      fields: [reason('Why the hold is released without the return')], done: () => 'Hold waived.',
    },
    {
      // Only while the return is awaited: a received unit's hold is released
      // (Waive Hold) or kept by the job's rules, never captured by hand.
      label: 'Capture Now', path: 'capture-now', roles: ['supervisor'], when: Boolean(hold) && r.status === 'awaiting_return',
      fields: [reason('Why the hold is charged now')], done: () => 'Capture requested.',
    },
    {
      // A unit back after its hold was charged, inspected: the refund the
      // customer's agreement promises, as the supervisor decides (0: none).
      label: 'Refund Capture', path: 'capture-refund', roles: ['supervisor'],
      when: Boolean(r.hold && r.hold.status === 'captured' && !r.hold.refund_pending && !r.hold.refunded) &&
        r.status === 'received' && inspected,
      fields: [
        { name: 'amount', label: `Refund (${r.currency || (r.order && r.order.currency) || ''}; at most what was charged)`,
          type: 'money', required: true, value: r.hold && r.hold.captured ? r.hold.captured.value : '' },
        reason('Why this amount (the inspection\u2019s outcome)'),
      ],
      done: () => 'Refund decided.',
    },
    {
      label: 'Confirm Address', method: 'PUT', path: 'shipping-address', roles: CASEWORK,
      when: r.kind !== 'refund' && ADDRESSABLE.includes(r.status) && !(r.status === 'awaiting_return' && !standard),
      fields: [
        { name: 'name', label: 'Name', type: 'text', required: true, max: 100,
          value: (r.shipping_address && r.shipping_address.name) || (r.customer && r.customer.name) || '' },
        { name: 'line1', label: 'Address line 1', type: 'text', required: true, max: 100, value: (r.shipping_address && r.shipping_address.line1) || '' },
        { name: 'line2', label: 'Address line 2', type: 'text', max: 100, value: (r.shipping_address && r.shipping_address.line2) || '' },
        { name: 'city', label: 'City', type: 'text', required: true, max: 60, value: (r.shipping_address && r.shipping_address.city) || '' },
        { name: 'region', label: 'State or region', type: 'text', max: 60, value: (r.shipping_address && r.shipping_address.region) || '' },
        { name: 'postal_code', label: 'Postal code', type: 'text', max: 20, value: (r.shipping_address && r.shipping_address.postal_code) || '' },
        { name: 'country', label: 'Country (the order\u2019s)', type: 'text', required: true, max: 2,
          value: (r.order && r.order.shipping_country) || '' },
        { name: 'phone', label: 'Phone', type: 'text', required: true, max: 20, value: (r.shipping_address && r.shipping_address.phone) || '' },
      ],
      done: () => 'Address confirmed for the customer.',
    },
    {
      label: 'Request Proof of Purchase', path: 'request-proof-of-purchase', roles: CASEWORK,
      when: !['draft', 'pending_review', 'completed', 'cancelled', 'expired'].includes(r.status),
      fields: [{ name: 'note', label: 'What the customer should send (they see it)', type: 'textarea', required: true, max: 500 }],
      done: () => 'The customer has been asked for a proof of purchase.',
    },
    {
      label: 'Extend Validity', path: 'validity-extension', roles: ['supervisor'],
      when: Boolean(r.policy && r.policy.validity && r.policy.validity.applies) &&
        ['pending_confirm', 'confirmed', 'awaiting_return'].includes(r.status),
      fields: [{ name: 'days', label: 'Days', type: 'number', required: true, min: 1, max: 365 }, reason()],
      done: () => 'Validity extended.',
    },
    {
      label: 'Record Payout', path: 'refund-payout', roles: ['finance'], when: r.status === 'refund_due',
      fields: [
        { name: 'amount', label: `Amount paid (${r.currency || (r.order && r.order.currency) || ''})`, type: 'money', required: true,
          value: r.amounts && r.amounts.refund_amount ? r.amounts.refund_amount.value : '' },
        { name: 'reference', label: 'Reference of the payment (bank, cheque…)', type: 'text', required: true, max: 200 },
      ],
      done: () => 'Payout recorded.',
    },
    {
      label: 'Cancel', path: 'cancel', roles: CASEWORK,
      when: CANCELLABLE.includes(r.status) || (r.status === 'capture_failed' && role === 'supervisor'),
      fields: [reason('Why the case is cancelled (the customer sees it)')], danger: true, done: () => 'Cancelled.',
    },
  ];
  return list.filter((a) => a.when && a.roles.includes(role));
}

function section(title, cls, ...content) {
  const id = newId('sec');
  return h('section', { class: 'card ' + (cls || ''), 'aria-labelledby': id },
    h('h2', { id }, title), ...content);
}

const isMoney = (v) => v && typeof v === 'object' && 'currency_code' in v && 'value' in v;
const isTime = (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(v);
const isDate = (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\d$/.test(v);

// Any value the API answered, as text people read.
function value(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (isMoney(v)) return money(v);
  if (isTime(v)) return timeEl(v);
  if (isDate(v)) return dateText(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) {
    if (!v.length) return '—';
    if (v.every((x) => typeof x !== 'object')) return v.map(words).join(', ');
    return h('ul', { class: 'plain' }, v.map((x) => h('li', {}, value(x))));
  }
  if (typeof v === 'object') return facts(v);
  return String(v);
}

// A definition list of obj's members (all of them: "everything the API
// knows"), labels from their names unless given.
function facts(obj, labels = {}, skip = []) {
  const rows = [];
  for (const [k, v] of Object.entries(obj || {})) {
    if (skip.includes(k)) continue;
    rows.push(h('dt', {}, labels[k] || words(k).replace(/^./, (c) => c.toUpperCase())), h('dd', {}, value(v)));
  }
  return h('dl', { class: 'facts' }, rows);
}

function input(f, id, r) {
  const common = { id, name: f.name, required: f.required || null };
  if (f.type === 'textarea') {
    const t = h('textarea', { ...common, rows: 3, maxlength: f.max || null });
    t.value = f.value || '';
    return t;
  }
  if (f.type === 'select') {
    return h('select', common, f.options.map((o) => h('option', { value: o }, words(o))));
  }
  if (f.type === 'datetime') {
    const d = r.hold && r.hold.deadline ? new Date(new Date(r.hold.deadline).getTime() + 3 * 86400e3) : new Date();
    const local = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    return h('input', { ...common, type: 'datetime-local', value: local });
  }
  if (f.type === 'number') {
    return h('input', { ...common, type: 'number', min: f.min, max: f.max, inputmode: 'numeric' });
  }
  if (f.type === 'money') {
    return h('input', { ...common, type: 'text', inputmode: 'decimal', pattern: '[0-9]+([.][0-9]{1,4})?', placeholder: '49.00', value: f.value || '' });
  }
  return h('input', { ...common, type: 'text', maxlength: f.max || null, value: f.value || '', autocomplete: 'off' });
}

// The request body of an action's form, or a message for the first field
// that is wrong (and that field).
function bodyOf(action, form, r) {
  const body = {};
  for (const f of action.fields || []) {
    const el = form.elements[f.name];
    const raw = (el.value || '').trim();
    if (!raw) {
      if (f.required) return { error: `${f.label} is required.`, el };
      continue;
    }
    if (f.type === 'money') {
      if (!/^[0-9]+(\.[0-9]{1,4})?$/.test(raw)) return { error: `${f.label}: write an amount such as 49.00.`, el };
      body[f.name] = { currency_code: r.currency || r.order.currency, value: raw };
    } else if (f.type === 'number') {
      body[f.name] = Number(raw);
    } else if (f.type === 'datetime') {
      const d = new Date(raw);
      if (Number.isNaN(d.getTime())) return { error: `${f.label}: choose a date and time.`, el };
      body[f.name] = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    } else {
      body[f.name] = raw;
    }
  }
  return { body };
}

function actionsCard(r, me, rerender) {
  const actions = actionsFor(r, me.role);
  const makeupOpen = r.makeup_payment && r.makeup_payment.exception && !r.makeup_payment.exception.resolved_at;
  if (me.role === 'finance' && makeupOpen) {
    actions.push({
      label: 'Resolve', custom: `/makeup-payments/${encodeURIComponent(r.makeup_payment.id)}/resolve`,
      fields: [{ name: 'note', label: 'Resolution note', type: 'textarea', required: true, max: 2000 }],
      done: () => 'Make-up claim resolved.',
    });
  }
  if (!actions.length) {
    return section('Actions', 'actions', h('p', { class: 'muted' },
      `Nothing for a ${roleLabel(me.role).toLowerCase()} to do on this case now.`));
  }
  const buttons = h('div', { class: 'buttons' });
  const forms = h('div', {});
  const error = h('p', { class: 'form-error', id: 'action-error' });
  const run = async (a, body, button) => {
    clearMessages();
    button.disabled = true;
    try {
      const path = a.custom || api.rmaPath(r.number, a.path ? '/' + a.path : '');
      const res = await (a.method === 'PATCH' ? api.patch(path, body) : api.post(path, body));
      await rerender(a.done(res || {}));
    } catch (err) {
      button.disabled = false;
      if (err.status === 409) {
        showError(`${err.message}. Someone changed this case meanwhile: reload it to see where it is.`, error);
        if (!error.nextElementSibling || !error.nextElementSibling.classList.contains('reload')) {
          error.after(h('p', { class: 'reload' }, h('button', { type: 'button', class: 'secondary', onclick: () => rerender('Reloaded.') }, 'Reload')));
        }
      } else {
        showError(err.message, error);
      }
      const bad = err.field && document.getElementById(`${a.path || a.label.toLowerCase()}-${err.field}`);
      if (bad) {
        bad.setAttribute('aria-invalid', 'true');
        bad.focus();
      }
    }
  };
  for (const a of actions) {
    if (!a.fields) {
      const b = h('button', { type: 'button' }, a.label);
      b.addEventListener('click', () => run(a, undefined, b));
      buttons.append(b);
      continue;
    }
    const formId = newId('act');
    const opener = h('button', {
      type: 'button', class: a.danger ? 'secondary danger' : 'secondary', 'aria-expanded': 'false', 'aria-controls': formId,
    }, a.label);
    const submit = h('button', { type: 'submit', class: a.danger ? 'danger' : null }, a.label);
    const closer = h('button', { type: 'button', class: 'secondary' }, 'Close');
    const key = a.path || a.label.toLowerCase();
    const form = h('form', { id: formId, class: 'subform action-form', novalidate: true, hidden: true, 'aria-label': a.label },
      h('h3', {}, a.label),
      a.fields.map((f) => {
        const id = `${key}-${f.name}`;
        return h('div', { class: 'field' }, h('label', { for: id }, f.label), input(f, id, r));
      }),
      h('div', { class: 'buttons' }, submit, closer));
    const toggle = (open) => {
      form.hidden = !open;
      opener.setAttribute('aria-expanded', String(open));
      if (open) form.querySelector('input, textarea, select').focus();
      else opener.focus();
    };
    opener.addEventListener('click', () => toggle(form.hidden));
    closer.addEventListener('click', () => toggle(false));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const { body, error: message, el } = bodyOf(a, form, r);
      if (message) {
        el.setAttribute('aria-invalid', 'true');
        showError(message, error);
        el.focus();
        return;
      }
      for (const x of form.querySelectorAll('[aria-invalid]')) x.removeAttribute('aria-invalid');
      run(a, body, submit);
    });
    buttons.append(opener);
    forms.append(form);
  }
  return section('Actions', 'actions', buttons, forms, error);
}

function attachmentsCard(r) {
  const list = r.attachments || [];
  if (!list.length) return null;
  return section('Pictures', 'pictures', h('ul', { class: 'gallery' }, list.map((a) => h('li', {},
    h('figure', {},
      h('a', {
        href: api.attachmentUrl(r.number, a.id), target: '_blank', rel: 'noopener',
        'aria-label': `${words(a.kind)} #${a.id}, full size`,
      },
        h('img', { src: api.attachmentUrl(r.number, a.id), alt: `${words(a.kind)} #${a.id}` })),
      h('figcaption', { class: 'small' }, `${words(a.kind)} #${a.id}`,
        a.uploaded_by ? ` by ${a.uploaded_by}` : '', a.created_at ? [' ', timeEl(a.created_at)] : null))))));
}

function orderCard(r) {
  const o = r.order;
  if (!o) return null;
  return section('Original order', 'order',
    facts(o, {}, ['items']),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Model'), h('th', { scope: 'col' }, 'Description'),
        h('th', { scope: 'col', class: 'num' }, 'Quantity'), h('th', { scope: 'col', class: 'num' }, 'Unit price'))),
      h('tbody', {}, (o.items || []).map((it) => h('tr', {},
        h('td', {}, it.model), h('td', {}, it.description || ''),
        h('td', { class: 'num' }, String(it.quantity)), h('td', { class: 'num' }, money(it.unit_price))))))));
}

function devicesCard(r) {
  return section('Devices', 'devices', h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Model'), h('th', { scope: 'col' }, 'Serial number'),
      h('th', { scope: 'col' }, 'UID'), h('th', { scope: 'col' }, 'Notes'))),
    h('tbody', {}, (r.devices || []).map((d) => h('tr', {},
      h('td', {}, d.model, d.description ? h('span', { class: 'muted small block' }, d.description) : null),
      h('td', { class: 'ident' }, d.serial_number || '—'),
      h('td', { class: 'ident' }, d.uid || '—'),
      h('td', {}, [d.whole_kit ? 'whole kit' : null, d.recording_device ? 'records video' : null].filter(Boolean).join(', '))))))));
}

function timelineCard(r) {
  const events = r.events || [];
  return section('Timeline', 'timeline', events.length
    ? h('ol', { class: 'timeline-list' }, events.map((e) => h('li', {},
      h('strong', {}, eventLabel(e)), ' — ', timeEl(e.at),
      h('span', { class: 'block small' },
        e.actor ? `${e.actor.name}${e.actor.role ? ` (${roleLabel(e.actor.role)})` : ` (${e.actor.kind})`}` : '',
        e.on_behalf ? ', on the customer\u2019s behalf' : '',
        e.from_status || e.to_status ? `: ${statusLabel(e.from_status || '')} → ${statusLabel(e.to_status || '')}` : ''),
      e.comment ? h('blockquote', {}, e.comment) : null,
      e.reason ? h('blockquote', {}, e.reason) : null)))
    : h('p', {}, 'No events.'));
}

// Finance: the case's open exceptions (any kind), each with Resolve.
function exceptionsCard(r, list, rerender) {
  if (!list.length) return null;
  return section('Open exceptions', 'exceptions', h('ul', { class: 'plain' }, list.map((e) => {
    const formId = `case-resolve-${e.id}`;
    const slot = h('div', {});
    const opener = h('button', {
      type: 'button', class: 'secondary small-button', 'aria-expanded': 'false', 'aria-controls': formId,
      'aria-label': `Resolve exception #${e.id}`,
    }, 'Resolve');
    const toggle = (open) => {
      opener.setAttribute('aria-expanded', String(open));
      clear(slot);
      if (open) {
        slot.append(resolveForm({
          id: e.id, number: r.number, amount: e.amount,
          currency: (e.amount && e.amount.currency_code) || r.currency || (r.order && r.order.currency),
        }, formId, () => rerender(null), () => toggle(false)));
        slot.querySelector('select').focus();
      } else {
        opener.focus();
      }
    };
    opener.addEventListener('click', () => toggle(opener.getAttribute('aria-expanded') !== 'true'));
    return h('li', { dataset: { exception: e.id } },
      h('strong', {}, words(e.kind)), ` #${e.id}`, e.amount ? ` — ${money(e.amount)}` : '', ' — ', timeEl(e.created_at),
      h('span', { class: 'block small' }, e.detail || ''),
      h('p', { class: 'no-print' }, opener), slot);
  })));
}

export async function renderCase(ctx, number) {
  const r = await api.get(api.rmaPath(number));
  const exceptions = ctx.me.role === 'finance'
    ? ((await api.get('/exceptions?status=open&rma=' + encodeURIComponent(number))).exceptions || [])
    : [];
  const rerender = async (message) => {
    await renderCase(ctx, number);
    if (message) announce(message);
  };
  const shown = ['number', 'kind', 'status', 'revision', 'customer', 'order', 'devices', 'attachments',
    'events', 'hold', 'return', 'shipments', 'makeup_payment', 'policy', 'amounts', 'warranty',
    'problem', 'warehouse', 'upload_limits'];
  const rest = {};
  for (const [k, v] of Object.entries(r)) if (!shown.includes(k)) rest[k] = v;
  clear(ctx.view).append(...[
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← Queues')),
    h('h1', {}, r.number),
    h('p', { class: 'badges' },
      h('span', { class: 'badge kind' }, kindLabel(r.kind)), ' ',
      h('span', { class: 'badge status status-' + r.status, id: 'rma-status' }, statusLabel(r.status)), ' ',
      h('span', { class: 'badge' }, `Revision ${r.revision}`), ' ',
      h('button', { type: 'button', class: 'secondary small-button no-print', onclick: () => window.print() }, 'Print'),
      // The outbound parcel's slip (not for a refund: nothing ships).
      r.kind !== 'refund' ? [' ', h('a', {
        href: api.packingSlipUrl(r.number), target: '_blank', rel: 'noopener', class: 'button-link small-link no-print',
      }, 'Packing Slip')] : null),
    actionsCard(r, ctx.me, rerender),
    exceptionsCard(r, exceptions, rerender),
    h('div', { class: 'case-grid' },
      section('Solution', 'solution',
        h('blockquote', {}, r.problem || ''),
        facts({ ...(r.amounts || {}), warranty: r.warranty }, {}, []),
        facts(rest)),
      section('Customer', 'customer', facts(r.customer || {}),
        r.shipping_address ? facts({ shipping_address: r.shipping_address }) : null),
      orderCard(r),
      devicesCard(r),
      r.hold ? section('PayPal hold', 'hold', facts(r.hold)) : null,
      r.return ? section('Return', 'return', facts(r.return)) : null,
      r.shipments && r.shipments.length ? section('Shipments', 'shipments', value(r.shipments)) : null,
      r.makeup_payment ? section('Make-up payment', 'makeup', facts(r.makeup_payment)) : null,
      r.policy ? section('Policy', 'policy', facts(r.policy)) : null,
      r.warehouse ? section('Return warehouse', 'warehouse', facts(r.warehouse)) : null),
    attachmentsCard(r),
    timelineCard(r)].filter(Boolean));
  ctx.focusHeading();
}
