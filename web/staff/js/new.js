// new.js - "New Solution" (SPEC §15): the agent finds the customer's
// original order (imported with `rmactl orders import`), picks the devices
// among its lines, sees each line's warranty, may override it with a
// reason, and creates the draft (POST /api/v1/staff/rmas).  Only the
// order's lines are offered: a device that is not on the order cannot be
// chosen.

import * as api from './api.js?v=2';
import { h, clear, announce, showError, clearMessages, money, dateText, newId } from '/js/dom.js?v=1';
import { kindLabel } from './words.js?v=2';

const KINDS = ['replacement', 'refund', 'repair', 'resend'];

function field(label, control, hint) {
  const id = control.id || (control.id = newId('f'));
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: id + '-hint' }, hint);
    control.setAttribute('aria-describedby', hintEl.id);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

function warrantyText(it) {
  if (it.in_warranty === null || it.in_warranty === undefined) return 'warranty computed when the case is created';
  return it.in_warranty
    ? `in warranty until ${dateText(it.warranty_until)}`
    : `out of warranty since ${dateText(it.warranty_until)}`;
}

// The amount of the chosen lines (unit price of each), as a decimal text
// in the order's exponent.
function sumOf(items, chosen) {
  let digits = 2;
  let total = 0;
  for (const [i, it] of items.entries()) {
    if (!chosen[i]) continue;
    digits = (it.unit_price.value.split('.')[1] || '').length;
    total += Math.round(Number(it.unit_price.value) * 10 ** digits);
  }
  return (total / 10 ** digits).toFixed(digits);
}

function orderForm(ctx, o) {
  const kind = h('select', { id: 'new-kind', name: 'kind' },
    KINDS.map((k) => h('option', { value: k }, kindLabel(k))));
  const problem = h('textarea', { id: 'new-problem', rows: 3, maxlength: 2000, required: true });
  const lines = o.items.map((it, i) => {
    const id = `line-${i}`;
    const include = h('input', { type: 'checkbox', id: id + '-include', checked: o.items.length === 1 });
    const serial = h('input', { type: 'text', id: id + '-serial', maxlength: 40, autocomplete: 'off', spellcheck: 'false' });
    const uid = h('input', { type: 'text', id: id + '-uid', maxlength: 64, autocomplete: 'off', spellcheck: 'false' });
    const box = h('fieldset', { class: 'line' + (it.in_warranty === false ? ' out' : '') },
      h('legend', {}, it.description ? `${it.model} — ${it.description}` : it.model),
      h('p', { class: 'small' }, `${it.quantity} × ${money(it.unit_price)}; `,
        h('strong', { class: it.in_warranty ? 'ok' : it.in_warranty === false ? 'warn' : '' }, warrantyText(it))),
      h('div', { class: 'check' }, include, h('label', { for: include.id }, `Return this ${it.model}`)),
      h('div', { class: 'row' },
        field('Serial number', serial), field('UID', uid)));
    return { it, include, serial, uid, box };
  });
  const amount = h('input', { id: 'new-amount', type: 'text', inputmode: 'decimal', autocomplete: 'off' });
  const amountField = field('Replacement value (the hold)', amount,
    `In ${o.currency}; the price of the chosen devices unless you change it.`);
  const overrideReason = h('textarea', { id: 'new-refund-reason', rows: 2, maxlength: 500 });
  const refundReason = field('Why the refund differs from the policy', overrideReason,
    'Needed when the amount is not the policy\u2019s (30 days, 25% restocking fee), or past 30 days.');
  const override = h('input', { type: 'checkbox', id: 'new-override' });
  const overrideTo = h('select', { id: 'new-override-to' },
    h('option', { value: 'true' }, 'In warranty'), h('option', { value: 'false' }, 'Out of warranty'));
  const overrideWhy = h('textarea', { id: 'new-override-reason', rows: 2, maxlength: 500 });
  const overrideBox = h('div', { class: 'subform', hidden: true },
    field('Warranty', overrideTo), field('Reason for the override', overrideWhy));
  override.addEventListener('change', () => { overrideBox.hidden = !override.checked; });
  const error = h('p', { class: 'form-error', id: 'new-error' });

  const update = () => {
    const k = kind.value;
    const chosen = lines.map((l) => l.include.checked);
    amountField.hidden = k === 'resend' || k === 'repair';
    refundReason.hidden = k !== 'refund';
    amountField.querySelector('label').textContent = k === 'refund' ? 'Refund amount' : 'Replacement value (the hold)';
    amount.value = chosen.some(Boolean) ? sumOf(o.items, chosen) : '';
    if (k === 'refund') amount.placeholder = 'empty: the policy proposes it';
  };
  kind.addEventListener('change', update);
  for (const l of lines) l.include.addEventListener('change', update);
  update();

  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'new-form-h' },
    h('h2', { id: 'new-form-h' }, `Order ${o.order_number}`),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Customer'), h('dd', {}, `${o.customer.name} <${o.customer.email}>`),
      h('dt', {}, 'Sales channel'), h('dd', {}, o.sales_channel),
      h('dt', {}, 'Purchased'), h('dd', {}, dateText(o.purchase_date)),
      h('dt', {}, 'Ships to'), h('dd', {}, o.shipping_country),
      o.cases && o.cases.length ? [h('dt', {}, 'Cases already'), h('dd', {}, o.cases.join(', '))] : null),
    field('Kind', kind),
    h('h3', {}, 'Devices (the order\u2019s lines)'),
    lines.map((l) => l.box),
    field('What is wrong', problem, 'The customer reads this.'),
    amountField,
    refundReason,
    h('div', { class: 'check' }, override, h('label', { for: 'new-override' }, 'Override the warranty')),
    overrideBox,
    error,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Create Draft')));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMessages();
    for (const x of form.querySelectorAll('[aria-invalid]')) x.removeAttribute('aria-invalid');
    const bad = (el, text) => {
      el.setAttribute('aria-invalid', 'true');
      showError(text, error);
      el.focus();
    };
    const devices = [];
    for (const l of lines) {
      if (!l.include.checked) continue;
      const d = { model: l.it.model };
      if (l.serial.value.trim()) d.serial_number = l.serial.value.trim();
      if (l.uid.value.trim()) d.uid = l.uid.value.trim();
      if (!d.serial_number && !d.uid) {
        bad(l.serial, `Give the serial number or the UID of the ${l.it.model}.`);
        return;
      }
      devices.push(d);
    }
    if (!devices.length) {
      bad(lines[0].include, 'Choose the device the customer returns.');
      return;
    }
    if (!problem.value.trim()) {
      bad(problem, 'Say what is wrong.');
      return;
    }
    const body = {
      customer: { email: o.customer.email, name: o.customer.name },
      order: {
        order_number: o.order_number, sales_channel: o.sales_channel,
        shipping_country: o.shipping_country, currency: o.currency, purchase_date: o.purchase_date,
        items: o.items.map((it) => ({ model: it.model, quantity: it.quantity, unit_price: it.unit_price })),
      },
      kind: kind.value,
      problem: problem.value.trim(),
      devices,
    };
    const value = amount.value.trim();
    if (kind.value === 'replacement') {
      if (!/^[0-9]+(\.[0-9]+)?$/.test(value)) {
        bad(amount, 'Give the replacement value, for example 129.99.');
        return;
      }
      body.replacement_value = { currency_code: o.currency, value };
    } else if (kind.value === 'refund' && value) {
      body.refund_amount = { currency_code: o.currency, value };
      if (overrideReason.value.trim()) body.refund_override_reason = overrideReason.value.trim();
    }
    if (override.checked) {
      if (!overrideWhy.value.trim()) {
        bad(overrideWhy, 'Say why the warranty is overridden.');
        return;
      }
      body.warranty_override = { in_warranty: overrideTo.value === 'true', reason: overrideWhy.value.trim() };
    }
    try {
      const r = await api.post('/rmas', body);
      ctx.go('#/rmas/' + r.number);
      announce(`Draft ${r.number} created: submit it when it is ready.`);
    } catch (err) {
      const el = err.field === 'refund_amount' || err.field === 'replacement_value' ? amount
        : err.field === 'refund_override_reason' ? overrideReason : null;
      showError(err.message, error);
      if (el) el.setAttribute('aria-invalid', 'true');
      (el || problem).focus();
    }
  });
  return form;
}

// An order the shop did not send: entered once here, stored with the case
// (and found by its number afterwards).  The lines' warranty is unknown
// until the case exists: the service computes it then.
function enterOrderForm(ctx, slot, q) {
  const f = (id, label, attrs, hint) => field(label, h('input', { id, type: 'text', autocomplete: 'off', ...attrs }), hint);
  const isEmail = q.includes('@');
  const number = f('enter-number', 'Order number', { maxlength: 64, value: isEmail ? '' : q });
  const channel = f('enter-channel', 'Sales channel', { maxlength: 64, value: 'web' });
  const email = f('enter-email', 'Customer\u2019s e-mail', { type: 'email', maxlength: 254, value: isEmail ? q : '' });
  const name = f('enter-name', 'Customer\u2019s name', { maxlength: 200 });
  const country = f('enter-country', 'Ships to (country code)', { maxlength: 2, value: 'US', pattern: '[A-Z]{2}' });
  const currency = f('enter-currency', 'Currency', { maxlength: 3, value: 'USD', pattern: '[A-Z]{3}' });
  const date = field('Purchase date', h('input', { id: 'enter-date', type: 'date' }));
  const lines = h('div', {});
  let n = 0;
  const addLine = () => {
    n++;
    lines.append(h('fieldset', { class: 'line' }, h('legend', {}, `Line ${n}`),
      h('div', { class: 'row' },
        f(`enter-model-${n}`, 'Model', { maxlength: 64, class: 'model', spellcheck: 'false' }),
        f(`enter-qty-${n}`, 'Quantity', { inputmode: 'numeric', value: '1', class: 'qty' })),
      f(`enter-price-${n}`, 'Unit price', { inputmode: 'decimal', class: 'price', placeholder: '129.99' })));
  };
  addLine();
  const error = h('p', { class: 'form-error' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'enter-h' },
    h('h2', { id: 'enter-h' }, 'Enter the order'),
    h('p', { class: 'muted' }, 'Once: it is stored with the case, and found by its number afterwards.'),
    h('div', { class: 'row' }, number, channel), h('div', { class: 'row' }, email, name),
    h('div', { class: 'row' }, country, currency), date,
    lines,
    h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', onclick: addLine }, 'Add Line')),
    error,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Continue')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearMessages();
    const val = (id) => form.querySelector('#' + id).value.trim();
    const need = [['enter-number', 'the order number'], ['enter-channel', 'the sales channel'],
      ['enter-email', 'the customer\u2019s e-mail'], ['enter-name', 'the customer\u2019s name'],
      ['enter-country', 'the country'], ['enter-currency', 'the currency'], ['enter-date', 'the purchase date']];
    for (const [id, what] of need) {
      if (!val(id)) {
        const el = form.querySelector('#' + id);
        el.setAttribute('aria-invalid', 'true');
        showError(`Give ${what}.`, error);
        el.focus();
        return;
      }
    }
    const items = [];
    for (const box of lines.children) {
      const model = box.querySelector('.model').value.trim();
      const qty = box.querySelector('.qty').value.trim();
      const price = box.querySelector('.price').value.trim();
      if (!model && !price) continue;
      if (!model || !/^[0-9]+$/.test(qty) || !/^[0-9]+(\.[0-9]+)?$/.test(price)) {
        const el = !model ? box.querySelector('.model') : !/^[0-9]+$/.test(qty) ? box.querySelector('.qty') : box.querySelector('.price');
        el.setAttribute('aria-invalid', 'true');
        showError('Each line needs a model, a quantity and a unit price such as 129.99.', error);
        el.focus();
        return;
      }
      items.push({ model: model.toUpperCase(), description: '', quantity: Number(qty),
        unit_price: { currency_code: val('enter-currency').toUpperCase(), value: price } });
    }
    if (!items.length) {
      showError('Give at least one line of the order.', error);
      lines.querySelector('.model').focus();
      return;
    }
    const o = {
      order_number: val('enter-number'), sales_channel: val('enter-channel'),
      shipping_country: val('enter-country').toUpperCase(), currency: val('enter-currency').toUpperCase(),
      purchase_date: val('enter-date'), customer: { email: val('enter-email'), name: val('enter-name') },
      items: items.map((it) => ({ ...it, in_warranty: null })), cases: [],
    };
    clear(slot).append(orderForm(ctx, o));
    slot.querySelector('h2').setAttribute('tabindex', '-1');
    slot.querySelector('h2').focus();
  });
  return form;
}

export async function renderNew(ctx, q) {
  const input = h('input', { id: 'order-q', type: 'text', value: q, autocomplete: 'off', spellcheck: 'false', maxlength: 254, required: true });
  const error = h('p', { class: 'form-error' });
  const search = h('form', { class: 'card', role: 'search', novalidate: true },
    field('Order number or the customer\u2019s e-mail', input,
      'Orders come from the shop (rmactl orders import).'),
    error,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Find Order')));
  search.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!input.value.trim()) {
      input.setAttribute('aria-invalid', 'true');
      showError('Type an order number or an e-mail address.', error);
      input.focus();
      return;
    }
    ctx.go('#/new?q=' + encodeURIComponent(input.value.trim()));
  });
  const content = [
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← Queues')),
    h('h1', {}, 'New Solution'),
    search,
  ];
  const slot = h('div', {});
  if (q) {
    const res = await api.get('/orders?q=' + encodeURIComponent(q));
    const orders = res.orders || [];
    if (!orders.length) {
      content.push(h('p', { class: 'card' }, `No order has the number or customer “${q}”: enter it below.`), slot);
      slot.append(enterOrderForm(ctx, slot, q));
    } else {
      const list = h('ul', { class: 'plain orders' }, orders.map((o) => {
        const id = newId('order');
        return h('li', { class: 'card' },
          h('h2', { id }, `${o.order_number} (${o.sales_channel})`),
          h('p', {}, `${o.customer.name}, ${dateText(o.purchase_date)}: `,
            o.items.map((it) => `${it.quantity} × ${it.model}`).join(', ')),
          h('button', {
            type: 'button', 'aria-describedby': id,
            onclick: () => {
              clear(slot).append(orderForm(ctx, o));
              list.hidden = true;
              slot.querySelector('h2').setAttribute('tabindex', '-1');
              slot.querySelector('h2').focus();
            },
          }, 'Use This Order'));
      }));
      content.push(list, slot);
    }
  }
  clear(ctx.view).append(...content);
  if (q) ctx.focusHeading();
  else input.focus();
}
