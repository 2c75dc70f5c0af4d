// exceptions.js - finance resolves an exception (SPEC §14), from the
// Exceptions queue (queues.js) or the case page (case.js): the outcome, a
// note, and the amount when money moved.

import * as api from './api.js?v=2';
import { h, announce, showError, clearMessages } from '/js/dom.js?v=1';
import { words } from './words.js?v=2';

// What each outcome of a resolution means (SPEC §14): money received or
// paid outside PayPal is booked in the ledger by the resolution.
const EXCEPTION_OUTCOMES = [
  ['closed', 'Closed: no money moved'],
  ['collected', 'Collected: we received money outside PayPal'],
  ['paid_out', 'Paid out: we paid money outside PayPal'],
];

// The form that resolves exception it ({id, currency, amount, number}: POST
// /exceptions/{id}/resolve {outcome, note, amount?}); the API's refusals
// are shown in its words.  rerender() redraws the page after; close()
// closes the form.
export function resolveForm(it, formId, rerender, close) {
  const key = `exception-${it.id}`;
  const currency = it.currency || (it.amount && it.amount.currency_code) || '';
  const outcome = h('select', { id: key + '-outcome', name: 'outcome', required: true },
    EXCEPTION_OUTCOMES.map(([v, label]) => h('option', { value: v }, label)));
  const amount = h('input', {
    id: key + '-amount', name: 'amount', type: 'text', inputmode: 'decimal', autocomplete: 'off',
    pattern: '[0-9]+([.][0-9]{1,4})?', placeholder: '49.00', 'aria-describedby': key + '-amount-hint',
  });
  const amountField = h('div', { class: 'field', hidden: true },
    h('label', { for: key + '-amount' }, `Amount that moved${currency ? ` (${currency})` : ''}`),
    amount,
    h('p', { class: 'hint', id: key + '-amount-hint' }, 'Booked in the ledger with the resolution.'));
  const note = h('textarea', { id: key + '-note', name: 'note', rows: 3, maxlength: 2000, required: true });
  const error = h('p', { class: 'form-error', id: key + '-error' });
  const submit = h('button', { type: 'submit' }, 'Resolve');
  const closer = h('button', { type: 'button', class: 'secondary', onclick: close }, 'Close');
  const form = h('form', { id: formId, class: 'subform action-form', novalidate: true, 'aria-label': `Resolve exception #${it.id}` },
    h('h3', {}, `Resolve exception #${it.id}`),
    h('div', { class: 'field' }, h('label', { for: key + '-outcome' }, 'Outcome'), outcome),
    amountField,
    h('div', { class: 'field' }, h('label', { for: key + '-note' }, 'Resolution note'), note),
    error,
    h('div', { class: 'buttons' }, submit, closer));
  const moved = () => outcome.value !== 'closed';
  outcome.addEventListener('change', () => {
    amountField.hidden = !moved();
    if (!moved()) amount.value = '';
  });
  const invalid = (el, message) => {
    el.setAttribute('aria-invalid', 'true');
    showError(message, error);
    el.focus();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMessages();
    for (const x of form.querySelectorAll('[aria-invalid]')) x.removeAttribute('aria-invalid');
    for (const x of form.querySelectorAll('.reload')) x.remove();
    const body = { outcome: outcome.value, note: note.value.trim() };
    // The amount is the service's to require (422 amount_required): its
    // answer is shown beside the field.
    const v = amount.value.trim();
    if (moved() && v) {
      if (!/^[0-9]+(\.[0-9]{1,4})?$/.test(v)) {
        invalid(amount, 'Amount that moved: write an amount such as 49.00.');
        return;
      }
      body.amount = { currency_code: currency, value: v };
    }
    if (!body.note) {
      invalid(note, 'Say how it was resolved.');
      return;
    }
    submit.disabled = true;
    try {
      await api.post(`/exceptions/${encodeURIComponent(it.id)}/resolve`, body);
      await rerender();
      announce(`Exception ${it.id}${it.number ? ` of ${it.number}` : ''} resolved (${words(body.outcome)}).`);
    } catch (err) {
      submit.disabled = false;
      if (err.status === 409) {
        showError(`${err.message}. Someone resolved it or changed its case meanwhile: reload the list.`, error);
        error.after(h('p', { class: 'reload' },
          h('button', { type: 'button', class: 'secondary', onclick: () => rerender() }, 'Reload')));
        return;
      }
      showError(err.status === 422 ? `Not resolved: ${err.message}.` : err.message, error);
      const bad = err.field && form.elements[err.field];
      if (bad) {
        if (bad === amount) amountField.hidden = false;
        bad.setAttribute('aria-invalid', 'true');
        bad.focus();
      }
    }
  });
  return form;
}
