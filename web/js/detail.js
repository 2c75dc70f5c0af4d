// detail.js - one RMA solution: what it is, what happens next, and the
// customer's actions.  Which actions show is decided by the service: the
// `actions` array of GET /api/v1/rmas/{number} (SPEC §7).

import * as api from './api.js?v=1';
import {
  h, clear, announce, showError, clearMessages, money, timeEl, dateText,
  remaining, newId,
} from './dom.js?v=1';
import { checkImage, MAX_PICTURES } from './images.js?v=1';
import {
  kindLabel, statusLabel, makeupReasonLabel, eventLabel, nextStep,
} from './words.js?v=1';

const ACCEPT = 'image/jpeg,image/png,image/webp';

export async function renderDetail(root, number, query, ctx) {
  const [r, ev] = await Promise.all([
    api.get(api.rmaPath(number)),
    api.get(api.rmaPath(number, '/events')).catch((err) => {
      if (err.status === 401) throw err;
      return { events: [], error: err.message };
    }),
  ]);
  const can = new Set(r.actions || []);
  const rerender = async (message) => {
    await renderDetail(root, number, new URLSearchParams(), ctx);
    if (message) announce(message);
  };
  const page = new Page(r, can, rerender, ctx);

  clear(root).append(...[
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← All solutions')),
    h('h1', {}, r.number),
    h('p', { class: 'badges' },
      h('span', { class: 'badge kind' }, kindLabel(r.kind)), ' ',
      h('span', { class: 'badge status status-' + r.status, id: 'rma-status' },
        statusLabel(r.status))),
    page.next(),
    page.hold(),
    page.answer(),
    page.method(),
    page.address(),
    page.preauthorization(),
    page.returnInfo(),
    page.returned(),
    page.proof(),
    page.quote(),
    page.shipments(),
    page.makeup(),
    page.solution(),
    page.attachments(),
    page.timeline(ev)].filter(Boolean));
  ctx.focusHeading();

  const paypal = query.get('paypal');
  if (paypal) {
    history.replaceState(null, '', '#/rmas/' + r.number);
    const words = {
      cancelled: 'You cancelled on PayPal, so no hold was placed. You can continue to PayPal again when you are ready.',
      expired: 'The PayPal approval expired before it was completed. Continue to PayPal again.',
      unavailable: 'PayPal could not be reached to place the hold. Please try again in a few minutes.',
      declined: 'PayPal declined the hold. Continue to PayPal again and choose another way to pay, or contact us.',
    };
    if (paypal === 'approved') {
      announce('PayPal approved the hold. Thank you!');
    } else {
      showError(words[paypal] || 'PayPal could not place the hold. Please try again.');
    }
  }
}

// A section with an h2 that names it (a landmark region for screen readers).
function section(title, cls, ...content) {
  const id = newId('sec');
  return h('section', { class: 'card ' + (cls || ''), 'aria-labelledby': id },
    h('h2', { id }, title), ...content);
}

function field(label, input, hint) {
  const id = input.id || (input.id = newId('f'));
  const hintEl = hint ? h('p', { class: 'hint', id: id + '-hint' }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl);
}

function addressLines(a) {
  if (!a) return null;
  let country = a.country;
  try {
    country = new Intl.DisplayNames(undefined, { type: 'region' }).of(a.country) || a.country;
  } catch (err) { /* the code then */ }
  // "Reno, NV 89502" where that is the custom, "5928 PH Venlo" elsewhere.
  const cityLine = ['US', 'CA', 'AU'].includes(a.country)
    ? [[a.city, a.region].filter(Boolean).join(', '), a.postal_code].filter(Boolean).join(' ')
    : [a.postal_code, a.city, a.region].filter(Boolean).join(' ');
  return h('address', {},
    [a.name, a.line1, a.line2, cityLine, country, a.phone]
      .filter(Boolean).map((l, i) => [i ? h('br') : null, l]));
}

// Marks the input named by the service's error (422 with "field").
function markField(form, err) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (!err || !err.field) return;
  const input = form.querySelector(`[name="${CSS.escape(err.field)}"]`);
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

class Page {
  constructor(r, can, rerender, ctx) {
    this.r = r;
    this.can = can;
    this.rerender = rerender;
    this.ctx = ctx;
  }

  // Runs a request from button, re-renders on success; errors shown.
  async act(button, fn, done, errorEl, form) {
    clearMessages();
    button.disabled = true;
    try {
      await fn();
      await this.rerender(done);
    } catch (err) {
      if (err.status === 401) return;
      showError(err.message, errorEl);
      if (form) markField(form, err);
      button.disabled = false;
    }
  }

  next() {
    return section('What happens next', 'next', h('p', { id: 'next-step' }, nextStep(this.r)));
  }

  // The hold and the return deadline counting down (SPEC §5.3).
  hold() {
    const hd = this.r.hold;
    if (!hd) return null;
    const rows = [];
    const row = (k, ...v) => rows.push(h('dt', {}, k), h('dd', {}, ...v));
    const statusWords = {
      pending_approval: 'Waiting for your approval on PayPal',
      authorized: 'On hold on your PayPal account (not charged)',
      voided: 'Released: nothing was charged',
      captured: 'Charged',
      expired: 'Expired: nothing was charged',
      failed: 'Could not be charged',
    };
    row('Hold amount', h('strong', { id: 'hold-amount' }, money(hd.amount)));
    row('Hold status', h('span', { id: 'hold-status' },
      hd.release_pending ? 'Being released' : (statusWords[hd.status] || hd.status)));
    if (hd.authorized_at) row('Placed', timeEl(hd.authorized_at));
    const open = hd.status === 'authorized' && !hd.release_pending &&
      ['awaiting_shipment', 'awaiting_return'].includes(this.r.status);
    if (hd.deadline) {
      const countdown = h('span', { id: 'countdown', class: 'countdown' }, remaining(hd.deadline));
      row('Return deadline', timeEl(hd.deadline, { id: 'deadline' }),
        open ? [h('br'), countdown] : null);
      if (open) {
        const timer = window.setInterval(() => {
          countdown.textContent = remaining(hd.deadline);
        }, 30000);
        this.ctx.onLeave(() => window.clearInterval(timer));
      }
    }
    if (hd.released_at) row('Released', timeEl(hd.released_at));
    if (hd.captured) row('Charged', money(hd.captured), ' ', timeEl(hd.captured_at));
    if (hd.refunded) row('Refunded', money(hd.refunded), ' ', timeEl(hd.refunded_at));
    else if (hd.refund_pending) row('Refund', 'being paid back');
    return section('PayPal hold', 'hold', h('dl', { class: 'facts' }, rows),
      open ? h('p', { class: 'hint' },
        'Submit the return information before the deadline, or the hold amount is charged.') : null);
  }

  // An out-of-warranty repair's quote: the amount, what it covers, and
  // "Approve Quote" / "Decline Quote" while it waits for the customer.
  quote() {
    const q = this.r.policy && this.r.policy.quote;
    if (!q) return null;
    const rows = [];
    const row = (k, ...v) => rows.push(h('dt', {}, k), h('dd', {}, ...v));
    row('Repair price', h('strong', { id: 'quote-amount' }, money(q.amount)));
    if (q.basis) row('What it covers', q.basis);
    if (q.notes) row('Notes', q.notes);
    const decided = { approved: 'You approved the quote.', declined: 'You declined the quote.' };
    row('Your decision', h('span', { id: 'quote-status' }, decided[q.status] || 'Waiting for your decision'));
    if (!this.can.has('decide_quote')) {
      return section('Repair quote', 'quote', h('dl', { class: 'facts' }, rows));
    }
    const errorEl = h('p', { class: 'form-error' });
    const approve = h('button', { type: 'button' }, 'Approve Quote');
    const decline = h('button', { type: 'button', class: 'secondary' }, 'Decline Quote');
    const decide = (button, decision, done) => this.act(button,
      () => api.post(api.rmaPath(this.r.number, '/quote-decision'), { decision }), done, errorEl);
    approve.addEventListener('click', () => decide(approve, 'approve',
      'You approved the quote: we repair the device once it is paid.'));
    decline.addEventListener('click', () => decide(decline, 'decline',
      'You declined the quote: we send the device back as it is.'));
    const fee = q.handling_fee ? h('p', { class: 'hint' },
      `If you decline, we send the device back unrepaired for a handling fee of ${money(q.handling_fee)}.`) : null;
    return section('Repair quote', 'quote',
      h('p', {}, 'Your device is not covered by the warranty. We can repair it for the price below.'),
      h('dl', { class: 'facts' }, rows), fee,
      h('div', { class: 'buttons' }, approve, decline), errorEl);
  }

  // A proof of purchase an agent asked for: their words, and the upload.
  proof() {
    const p = this.r.proof_of_purchase;
    if (!p) return null;
    if (p.received_at) {
      return section('Proof of purchase', 'proof',
        h('p', { id: 'proof-status' }, 'Received ', timeEl(p.received_at), '. Thank you!'));
    }
    const open = !['completed', 'cancelled', 'expired'].includes(this.r.status);
    if (!open) return null;
    const errorEl = h('p', { class: 'form-error' });
    const file = h('input', { id: 'proof-file', name: 'proof', type: 'file', accept: ACCEPT, required: true });
    const progress = h('ul', { class: 'progress-list', 'aria-label': 'Uploads' });
    const submit = h('button', { type: 'submit' }, 'Upload');
    const form = h('form', { class: 'subform', id: 'proof-form', novalidate: true },
      field('Receipt or invoice', file, 'A picture of it (JPEG, PNG or WEBP, at most 10 MB), with the date and the seller.'),
      errorEl, progress, h('div', { class: 'buttons' }, submit));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearMessages();
      const f = file.files[0];
      if (!f) {
        file.setAttribute('aria-invalid', 'true');
        showError('Choose a picture of the receipt or invoice.', errorEl);
        file.focus();
        return;
      }
      submit.disabled = true;
      try {
        await uploadWithProgress(this.r.number, 'proof_of_purchase', f, 'proof of purchase', progress);
        await this.rerender('Your proof of purchase was uploaded. Thank you!');
      } catch (err) {
        if (err.status === 401) return;
        showError(err.message, errorEl);
        submit.disabled = false;
      }
    });
    return section('Proof of purchase', 'proof',
      h('p', {}, 'We need a proof of purchase of your device to go on.'),
      p.note ? h('blockquote', { id: 'proof-note' }, p.note) : null,
      form);
  }

  // What we sent the customer, with the carrier's tracking link.
  shipments() {
    const list = this.r.shipments || [];
    if (list.length === 0) return null;
    const kindWords = { replacement: 'Replacement', repaired: 'Your repaired device', resend: 'Resent item' };
    return section('Shipments to you', 'shipments',
      h('ul', { class: 'shipments', id: 'shipments' }, ...list.map((s) => h('li', {},
        h('strong', {}, kindWords[s.kind] || s.kind), ' — ', s.carrier, ' ',
        s.tracking_url
          ? h('a', { href: s.tracking_url, rel: 'noopener noreferrer', target: '_blank' },
            s.tracking_number, h('span', { class: 'visually-hidden' }, ' (opens the carrier\'s tracking page)'))
          : s.tracking_number,
        ', shipped ', timeEl(s.shipped_at)))));
  }

  // "Agree" / "Disagree" with a comment.
  answer() {
    const canAgree = this.can.has('agree');
    const canDisagree = this.can.has('disagree');
    if (!canAgree && !canDisagree) return null;
    const errorEl = h('p', { class: 'form-error' });
    const comment = h('textarea', {
      id: 'disagree-comment', name: 'comment', rows: 4, maxlength: 2000, required: true,
    });
    const counter = h('span', { class: 'hint', 'aria-hidden': 'true' }, '0 / 2000');
    comment.addEventListener('input', () => {
      counter.textContent = `${comment.value.length} / 2000`;
    });
    const submit = h('button', { type: 'submit' }, 'Submit');
    const formId = newId('disagree');
    const form = h('form', { id: formId, class: 'subform', hidden: true, novalidate: true },
      field('Why do you disagree?', comment,
        'Tell the agent what you expected instead (up to 2000 characters).'),
      counter,
      h('div', { class: 'buttons' }, submit,
        h('button', {
          type: 'button', class: 'secondary',
          onclick: () => {
            form.hidden = true;
            disagree.setAttribute('aria-expanded', 'false');
            disagree.focus();
          },
        }, 'Cancel')));
    const disagree = canDisagree ? h('button', {
      type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-controls': formId,
      onclick: () => {
        form.hidden = false;
        disagree.setAttribute('aria-expanded', 'true');
        comment.focus();
      },
    }, 'Disagree') : null;
    const agree = canAgree ? h('button', { type: 'button' }, 'Agree') : null;
    if (agree) {
      agree.addEventListener('click', () => this.act(agree,
        () => api.post(api.rmaPath(this.r.number, '/agree')),
        'You agreed to the solution.', errorEl));
    }
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = comment.value.trim();
      if (!text) {
        comment.setAttribute('aria-invalid', 'true');
        showError('Write a comment: tell us why you disagree.', errorEl);
        comment.focus();
        return;
      }
      this.act(submit, () => api.post(api.rmaPath(this.r.number, '/disagree'), { comment: text }),
        'Your comment was sent. An agent will revise the solution.', errorEl, form);
    });
    return section('Your answer', 'answer',
      h('p', {}, 'Do you agree with this solution?'),
      h('div', { class: 'buttons' }, agree, disagree),
      form, errorEl);
  }

  // "Standard Replacement" / "Advanced Replacement".
  method() {
    if (!this.can.has('choose_standard') && !this.can.has('choose_advanced')) return null;
    const errorEl = h('p', { class: 'form-error' });
    const value = money(this.r.amounts && this.r.amounts.replacement_value);
    const choice = (method, label, text) => {
      if (!this.can.has('choose_' + method)) return null;
      const b = h('button', { type: 'button' }, label);
      b.addEventListener('click', () => this.act(b,
        () => api.post(api.rmaPath(this.r.number, '/replacement-method'), { method }),
        `You chose ${label.toLowerCase()}.`, errorEl));
      return h('div', { class: 'option' }, h('h3', {}, label), h('p', {}, text),
        h('div', { class: 'buttons' }, b));
    };
    const chosen = this.r.replacement_method;
    return section(chosen ? 'Change the replacement method' : 'How do you want the replacement?', 'method',
      chosen ? h('p', {}, `You chose ${chosen} replacement. You can still change your mind:`) : null,
      h('div', { class: 'options' },
        choice('standard', 'Standard Replacement',
          'You send the faulty unit back first; we ship the replacement when it arrives. Nothing is held on your account.'),
        choice('advanced', 'Advanced Replacement',
          `We ship the replacement first. PayPal holds ${value || 'the replacement value'} on your account until the faulty unit is back; nothing is charged if you return it within the deadline.`)),
      errorEl);
  }

  // The address the replacement ships to, with "Edit Address" (the country
  // is shown and locked: it is the original order's).
  address() {
    const r = this.r;
    const editable = this.can.has('edit_shipping_address');
    if (r.kind === 'refund' && !r.shipping_address) return null;
    if (!editable && !r.shipping_address) return null;
    const current = r.shipping_address
      ? addressLines(r.shipping_address)
      : h('p', { class: 'muted' }, 'No address yet: add the address the replacement ships to.');
    if (!editable) return section('Shipping address', 'address', current);

    const a = r.shipping_address || { name: r.customer && r.customer.name };
    const country = (r.order && r.order.shipping_country) || a.country || '';
    let countryName = country;
    try {
      countryName = new Intl.DisplayNames(undefined, { type: 'region' }).of(country) || country;
    } catch (err) { /* the code then */ }
    const input = (name, attrs) => h('input', {
      id: 'addr-' + name, name, type: 'text', value: a[name] || '', ...attrs,
    });
    const errorEl = h('p', { class: 'form-error' });
    const save = h('button', { type: 'submit' }, 'Save Address');
    const formId = newId('address');
    const form = h('form', { id: formId, class: 'subform', hidden: true, novalidate: true },
      field('Full name', input('name', { required: true, maxlength: 100, autocomplete: 'name' })),
      field('Address line 1', input('line1', { required: true, maxlength: 100, autocomplete: 'address-line1' })),
      field('Address line 2 (optional)', input('line2', { maxlength: 100, autocomplete: 'address-line2' })),
      h('div', { class: 'row' },
        field('City', input('city', { required: true, maxlength: 60, autocomplete: 'address-level2' })),
        field('State or region (optional)', input('region', { maxlength: 60, autocomplete: 'address-level1' }))),
      h('div', { class: 'row' },
        field('Postal code', input('postal_code', { maxlength: 20, autocomplete: 'postal-code' })),
        field('Country', h('input', {
          id: 'addr-country', name: 'country', type: 'text', value: country,
          readonly: true, 'aria-readonly': 'true', class: 'locked',
        }), `${countryName}: the country of your original order. It cannot change.`)),
      field('Phone', input('phone', { type: 'tel', required: true, maxlength: 20, autocomplete: 'tel' }),
        'For the carrier, with the country code if you have one.'),
      errorEl,
      h('div', { class: 'buttons' }, save,
        h('button', {
          type: 'button', class: 'secondary',
          onclick: () => {
            form.hidden = true;
            edit.setAttribute('aria-expanded', 'false');
            edit.focus();
          },
        }, 'Cancel')));
    const edit = h('button', {
      type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-controls': formId,
      onclick: () => {
        form.hidden = false;
        edit.setAttribute('aria-expanded', 'true');
        form.querySelector('input').focus();
      },
    }, 'Edit Address');
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearMessages();
      const missing = [...form.querySelectorAll('input')].find((i) => !i.checkValidity());
      if (missing) {
        markField(form, { field: missing.name });
        const label = form.querySelector(`label[for="${missing.id}"]`).textContent;
        showError(`Check the field "${label}".`, errorEl);
        return;
      }
      const body = {};
      for (const i of form.querySelectorAll('input')) {
        const v = i.value.trim();
        if (v || ['name', 'line1', 'city', 'country', 'phone'].includes(i.name)) body[i.name] = v;
      }
      this.act(save, () => api.put(api.rmaPath(r.number, '/shipping-address'), body),
        'The shipping address was saved.', errorEl, form);
    });
    return section('Shipping address', 'address', current,
      h('div', { class: 'buttons' }, edit), form);
  }

  // The pre-authorization agreement and "Continue to PayPal" (SPEC §5.3).
  preauthorization() {
    if (!this.can.has('preauthorize')) return null;
    const r = this.r;
    const terms = r.preauthorization
      ? { version: r.preauthorization.terms_version, text: r.preauthorization.terms_text } : null;
    const errorEl = h('p', { class: 'form-error' });
    const accept = h('input', { type: 'checkbox', id: 'accept-terms', name: 'accept_terms' });
    const go = h('button', { type: 'button' }, 'Continue to PayPal');
    go.addEventListener('click', async () => {
      clearMessages();
      if (!terms || !terms.version) {
        showError('The agreement could not be loaded: reload the page, or contact us if this goes on.', errorEl);
        return;
      }
      if (!r.shipping_address) {
        showError('Save the address the replacement ships to first (Shipping address, above).', errorEl);
        const edit = document.querySelector('.address button');
        if (edit) edit.focus();
        return;
      }
      if (!accept.checked) {
        accept.setAttribute('aria-invalid', 'true');
        showError('Accept the pre-authorization agreement to continue.', errorEl);
        accept.focus();
        return;
      }
      accept.removeAttribute('aria-invalid');
      go.disabled = true;
      try {
        const res = await api.post(api.rmaPath(r.number, '/preauthorization'),
          { accept_terms: true, terms_version: terms.version });
        const url = new URL(res.approve_url, location.href);
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('unexpected approval address');
        announce('Opening PayPal…');
        window.location.assign(url.href);
      } catch (err) {
        if (err.status === 401) return;
        showError(err.message, errorEl);
        go.disabled = false;
      }
    });
    const amount = money((r.hold && r.hold.amount) || (r.amounts && r.amounts.replacement_value));
    return section('PayPal pre-authorization', 'preauth',
      h('p', {}, `PayPal holds ${amount} on your account while you have the replacement. Nothing is charged if your return is on its way before the deadline.`),
      terms && terms.text
        ? h('div', {
          class: 'agreement', id: 'agreement', tabindex: '0', role: 'region',
          'aria-label': 'Pre-authorization agreement',
        }, terms.text)
        : h('p', { class: 'muted' }, 'The agreement could not be loaded.'),
      h('div', { class: 'check' }, accept,
        h('label', { for: 'accept-terms' },
          'I have read and accept the pre-authorization agreement',
          terms && terms.version ? ` (version ${terms.version})` : '')),
      errorEl,
      h('div', { class: 'buttons' }, go));
  }

  // Return information: carrier, tracking number, the label and receipt
  // pictures (checked, then uploaded with progress), optional photos.
  returnInfo() {
    if (!this.can.has('submit_return')) return null;
    // After a capture the return may still come, once.
    if (this.r.return && this.r.return.submission) return null;
    const r = this.r;
    const errorEl = h('p', { class: 'form-error' });
    const uploaded = new Map(); // File -> attachment id, kept across retries
    const carrier = h('input', {
      id: 'return-carrier', name: 'carrier', type: 'text', required: true, maxlength: 40,
      list: 'carriers', autocomplete: 'off',
    });
    const tracking = h('input', {
      id: 'return-tracking', name: 'tracking_number', type: 'text', required: true,
      maxlength: 64, autocomplete: 'off', spellcheck: 'false',
    });
    const erasureNeeded = !!(r.return && r.return.data_erasure_acknowledgement_required);
    const erasure = erasureNeeded ? h('input', {
      type: 'checkbox', id: 'return-erasure', name: 'acknowledge_data_erasure',
    }) : null;
    const fileInput = (id, name, multiple) => h('input', {
      id, name, type: 'file', accept: ACCEPT, multiple,
    });
    const label = fileInput('return-label', 'shipping_label_id', false);
    const receipt = fileInput('return-receipt', 'postage_receipt_id', false);
    const photos = fileInput('return-photos', 'product_photo', true);
    const inputs = [
      { el: label, kind: 'shipping_label', what: 'shipping label', required: true },
      { el: receipt, kind: 'postage_receipt', what: 'postage receipt', required: true },
      { el: photos, kind: 'product_photo', what: 'product photo', required: false },
    ];
    const progress = h('ul', { class: 'progress-list', id: 'upload-progress', 'aria-label': 'Uploads' });
    const submit = h('button', { type: 'submit' }, 'Submit');
    const form = h('form', { class: 'subform', novalidate: true, id: 'return-form' },
      h('datalist', { id: 'carriers' },
        ['UPS', 'USPS', 'FedEx', 'DHL', 'Royal Mail', 'PostNL', 'Japan Post', 'Australia Post']
          .map((c) => h('option', { value: c }))),
      h('div', { class: 'row' },
        field('Carrier', carrier),
        field('Tracking number', tracking, 'As the carrier printed it.')),
      field('Photo of the shipping label', label, 'Showing our return address.'),
      field('Postage receipt', receipt),
      field('Product photos (optional)', photos),
      h('p', { class: 'hint', id: 'picture-rules' },
        `JPEG, PNG or WEBP pictures, at most 10 MB each and ${MAX_PICTURES} in all.`),
      erasure ? h('div', { class: 'check' }, erasure, h('label', { for: 'return-erasure' },
        'I understand that the recordings and other data on the device may be erased')) : null,
      errorEl, progress,
      h('div', { class: 'buttons' }, submit));

    // Checks every chosen file; returns the error text or null.
    const checkAll = async () => {
      let count = 0;
      for (const { el, what } of inputs) {
        el.removeAttribute('aria-invalid');
        for (const f of el.files) {
          count++;
          const res = await checkImage(f);
          if (!res.ok) {
            el.setAttribute('aria-invalid', 'true');
            return { input: el, message: `The ${what}: ${res.message}.` };
          }
        }
      }
      if (count > MAX_PICTURES) {
        photos.setAttribute('aria-invalid', 'true');
        return { input: photos, message: `You chose ${count} pictures: send at most ${MAX_PICTURES} at once.` };
      }
      return null;
    };
    for (const { el } of inputs) {
      el.addEventListener('change', async () => {
        clearMessages();
        const problem = await checkAll();
        if (problem) showError(problem.message, errorEl);
      });
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearMessages();
      markField(form, null);
      for (const [input, what] of [[carrier, 'the carrier'], [tracking, 'the tracking number']]) {
        if (!input.checkValidity() || !input.value.trim()) {
          input.setAttribute('aria-invalid', 'true');
          showError(`Check ${what}.`, errorEl);
          input.focus();
          return;
        }
      }
      for (const { el, what, required } of inputs) {
        if (required && el.files.length === 0) {
          el.setAttribute('aria-invalid', 'true');
          showError(`Choose a picture of the ${what}.`, errorEl);
          el.focus();
          return;
        }
      }
      const problem = await checkAll();
      if (problem) {
        showError(problem.message, errorEl);
        problem.input.focus();
        return;
      }
      if (erasure && !erasure.checked) {
        erasure.setAttribute('aria-invalid', 'true');
        showError('This device records video: confirm that its data may be erased.', errorEl);
        erasure.focus();
        return;
      }
      submit.disabled = true;
      for (const li of progress.querySelectorAll('li.failed')) li.remove();
      try {
        const ids = {};
        for (const { el, kind, what } of inputs) {
          for (const f of el.files) {
            if (!uploaded.has(f)) {
              const att = await uploadWithProgress(r.number, kind, f, what, progress);
              uploaded.set(f, att.id);
            }
            ids[kind] = uploaded.get(f);
          }
        }
        const body = {
          carrier: carrier.value.trim(),
          tracking_number: tracking.value.trim(),
          shipping_label_id: ids.shipping_label,
          postage_receipt_id: ids.postage_receipt,
        };
        if (erasure) body.acknowledge_data_erasure = true;
        await api.post(api.rmaPath(r.number, '/return-shipment'), body);
        await this.rerender('Your return information was submitted. Thank you!');
      } catch (err) {
        if (err.status === 401) return;
        showError(err.message, errorEl);
        markField(form, err);
        submit.disabled = false;
      }
    });

    const wh = r.warehouse && r.warehouse.address;
    return section('Return information', 'return',
      wh ? h('div', { class: 'ship-to' },
        h('p', {}, 'Send the faulty unit to:'), addressLines(wh),
        h('p', {}, 'Write ', h('strong', {}, r.number), ' on the parcel.')) : null,
      h('p', {}, h('a', { href: '/api/v1' + api.rmaPath(r.number, '/packing-slip'), target: '_blank', rel: 'noopener' },
        'Print the packing slip'), ' and put it in the parcel.'),
      h('details', { class: 'packing', id: 'packing-guidance' },
        h('summary', {}, 'How to pack the unit'),
        h('ul', {},
          h('li', {}, 'Use the original box, or a sturdy box with at least 5 cm (2 in) of padding on every side.'),
          h('li', {}, 'Remove memory cards and accessories we did not ask for: we cannot send them back.'),
          h('li', {}, 'Reset the unit to its factory settings if you can: its data may be erased.'),
          h('li', {}, 'Send it with a carrier that gives a tracking number, and keep the postage receipt.'),
          h('li', {}, 'A unit damaged on the way because it was poorly packed is not covered by the warranty: its repair would be quoted.'))),
      form);
  }

  // The return as submitted (and inspected).
  returned() {
    const ret = this.r.return;
    const sub = ret && ret.submission;
    if (!sub) return null;
    const rows = [];
    const row = (k, ...v) => rows.push(h('dt', {}, k), h('dd', {}, ...v));
    row('Carrier', sub.carrier);
    row('Tracking number', h('code', { id: 'return-tracking-number' }, sub.tracking_number));
    row('Submitted', timeEl(sub.submitted_at));
    if (ret.inspection) {
      row('Inspection', (ret.inspection.outcome || '').replace(/_/g, ' '), ' ', timeEl(ret.inspection.inspected_at));
    }
    return section('Your return', 'returned', h('dl', { class: 'facts' }, rows));
  }

  // Make-up payment: the PayPal transaction id and a screenshot (SPEC §5.5).
  makeup() {
    const r = this.r;
    const due = r.amounts && r.amounts.makeup_due;
    const claim = r.makeup_payment;
    if (!this.can.has('submit_makeup_payment') && !claim) return null;
    const outcomeWords = {
      pending: 'We are looking for your payment at PayPal. This can take a few hours; we will e-mail you.',
      matched: 'Your payment was found and matches the amount due. Thank you!',
      overpaid: 'Your payment was found; it is more than the amount due, and our team will refund the difference.',
      underpaid: 'Your payment was found but it is less than the amount due. Our team will contact you.',
      unmatched: 'We could not find this payment at PayPal. Our team will contact you.',
      duplicate: 'This transaction was already used for another payment. Check the transaction ID.',
    };
    const outcome = claim ? h('p', { id: 'makeup-outcome', class: 'outcome outcome-' + claim.status },
      h('strong', {}, 'Payment check: '), outcomeWords[claim.status] || claim.status) : null;
    if (!this.can.has('submit_makeup_payment')) {
      return section('Make-up payment', 'makeup', outcome);
    }
    const errorEl = h('p', { class: 'form-error' });
    const txn = h('input', {
      id: 'makeup-transaction', name: 'transaction_id', type: 'text', required: true,
      maxlength: 17, pattern: '[A-Za-z0-9]{17}', autocomplete: 'off', spellcheck: 'false',
    });
    const shot = h('input', { id: 'makeup-receipt', name: 'payment_receipt_id', type: 'file', accept: ACCEPT });
    const progress = h('ul', { class: 'progress-list', 'aria-label': 'Uploads' });
    const submit = h('button', { type: 'submit' }, 'Submit');
    let uploadedFile = null;
    let uploadedId = null;
    const form = h('form', { class: 'subform', novalidate: true, id: 'makeup-form' },
      field('PayPal transaction ID', txn, 'From PayPal\'s receipt of your payment, for example 5TY05013RG002845M.'),
      field('Screenshot of the payment', shot, 'JPEG, PNG or WEBP, at most 10 MB.'),
      errorEl, progress, h('div', { class: 'buttons' }, submit));
    shot.addEventListener('change', async () => {
      clearMessages();
      shot.removeAttribute('aria-invalid');
      if (shot.files[0]) {
        const res = await checkImage(shot.files[0]);
        if (!res.ok) {
          shot.setAttribute('aria-invalid', 'true');
          showError(`The screenshot: ${res.message}.`, errorEl);
        }
      }
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearMessages();
      markField(form, null);
      const id = txn.value.trim();
      if (!/^[A-Za-z0-9]{17}$/.test(id)) {
        txn.setAttribute('aria-invalid', 'true');
        showError('The transaction ID has 8 to 32 letters and digits.', errorEl);
        txn.focus();
        return;
      }
      const file = shot.files[0];
      if (!file) {
        shot.setAttribute('aria-invalid', 'true');
        showError('Choose a screenshot of the payment.', errorEl);
        shot.focus();
        return;
      }
      const res = await checkImage(file);
      if (!res.ok) {
        shot.setAttribute('aria-invalid', 'true');
        showError(`The screenshot: ${res.message}.`, errorEl);
        shot.focus();
        return;
      }
      submit.disabled = true;
      try {
        if (uploadedFile !== file) {
          const att = await uploadWithProgress(r.number, 'payment_receipt', file, 'payment screenshot', progress);
          uploadedFile = file;
          uploadedId = att.id;
        }
        await api.post(api.rmaPath(r.number, '/makeup-payment'),
          { transaction_id: id, payment_receipt_id: uploadedId });
        await this.rerender('Your payment was submitted.');
      } catch (err) {
        if (err.status === 401) return;
        showError(err.message, errorEl);
        markField(form, err);
        submit.disabled = false;
      }
    });
    return section('Make-up payment', 'makeup',
      due ? h('p', {}, 'Amount due: ', h('strong', { id: 'makeup-due' }, money(due)),
        r.amounts.makeup_reason ? ` (${makeupReasonLabel(r.amounts.makeup_reason)})` : '') : null,
      this.payee(),
      outcome, form);
  }

  // Who to pay: the account (config makeup_payee) and the invoice link.
  payee() {
    const p = this.r.makeup_payee;
    if (!p) {
      return h('p', {}, 'Pay the amount due to our PayPal account, then tell us the PayPal transaction ID and add a screenshot of the payment.');
    }
    return h('div', { id: 'makeup-payee' },
      h('p', {}, 'Pay the amount due with PayPal to ', h('strong', {}, p.account),
        ', then tell us the PayPal transaction ID and add a screenshot of the payment.'),
      p.invoice_url ? h('p', {}, h('a', { href: p.invoice_url, rel: 'noopener noreferrer', target: '_blank' },
        'Get an invoice for this payment')) : null);
  }

  // Items, S/N or UID, warranty, amounts.
  solution() {
    const r = this.r;
    const rows = [];
    const row = (k, ...v) => rows.push(h('dt', {}, k), h('dd', {}, ...v));
    row('Solution', kindLabel(r.kind), r.revision > 1 ? ` (revision ${r.revision})` : '');
    row('Problem', r.problem);
    const am = r.amounts || {};
    if (am.refund) row('Refund', h('span', { id: 'amount-refund' }, money(am.refund)));
    const rf = r.refund;
    if (rf) {
      const how = rf.method === 'paypal' ? ' to the PayPal account you paid with' : '';
      row('Refund status', h('span', { id: 'refund-status' },
        rf.status === 'paid'
          ? ['Paid', how, ': ', money(rf.amount), ' ', timeEl(rf.paid_at)]
          : 'Being paid' + how));
    }
    if (am.replacement_value) {
      row('Replacement value', h('span', { id: 'amount-replacement' }, money(am.replacement_value)));
    }
    if (am.makeup_due) {
      row('Make-up payment due', money(am.makeup_due),
        am.makeup_reason ? ` (${makeupReasonLabel(am.makeup_reason)})` : '');
    }
    if (r.replacement_method) {
      row('Replacement method', r.replacement_method === 'advanced'
        ? 'Advanced (we ship first)' : 'Standard (you return first)');
    }
    const w = r.warranty || {};
    row('Warranty', h('span', { id: 'warranty' },
      w.in_warranty ? 'In warranty' : 'Out of warranty',
      w.until ? (w.in_warranty ? ` until ${dateText(w.until)}` : ` since ${dateText(w.until)}`) : '',
      w.overridden ? ' (decided by our warranty team)' : ''));

    const devices = (r.devices || []).map((d) => h('li', {},
      h('strong', {}, d.model), d.description ? ` — ${d.description}` : '',
      h('br'),
      d.serial_number ? h('span', { class: 'ident' }, 'S/N: ', h('code', {}, d.serial_number)) : null,
      d.serial_number && d.uid ? ' · ' : null,
      d.uid ? h('span', { class: 'ident' }, 'UID: ', h('code', {}, d.uid)) : null,
      d.whole_kit ? ' · the whole kit' : null));

    const o = r.order || {};
    const items = (o.items || []).map((i) => h('tr', {},
      h('td', {}, i.model, i.description ? h('span', { class: 'muted' }, ' ', i.description) : ''),
      h('td', { class: 'num' }, String(i.quantity)),
      h('td', { class: 'num' }, money(i.unit_price))));
    return section('The solution', 'solution',
      h('dl', { class: 'facts' }, rows),
      h('h3', {}, 'Devices'),
      h('ul', { class: 'devices-list' }, devices),
      h('h3', {}, 'Original order'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Order'), h('dd', {}, o.order_number || '', o.sales_channel ? ` (${o.sales_channel})` : ''),
        h('dt', {}, 'Purchased'), h('dd', {}, dateText(o.purchase_date))),
      items.length ? h('div', { class: 'table-wrap' }, h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Items of the original order'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Item'), h('th', { scope: 'col', class: 'num' }, 'Quantity'),
          h('th', { scope: 'col', class: 'num' }, 'Unit price'))),
        h('tbody', {}, items))) : null);
  }

  attachments() {
    const list = this.r.attachments;
    if (!Array.isArray(list) || list.length === 0) return null;
    const words = {
      shipping_label: 'Shipping label', postage_receipt: 'Postage receipt',
      payment_receipt: 'Payment screenshot', product_photo: 'Product photo',
      proof_of_purchase: 'Proof of purchase',
    };
    return section('Your pictures', 'attachments', h('ul', {},
      list.map((a) => h('li', {},
        h('a', { href: '/api/v1' + api.rmaPath(this.r.number, '/attachments/' + encodeURIComponent(a.id)) },
          words[a.kind] || a.kind),
        a.created_at ? [' · ', timeEl(a.created_at)] : null))));
  }

  timeline(ev) {
    const events = (ev && ev.events) || [];
    const items = events.slice().reverse().map((e) => h('li', {},
      timeEl(e.at), ' ',
      h('strong', {}, eventLabel(e)),
      e.actor && e.actor.name ? h('span', { class: 'muted' }, ` — ${e.actor.name}`) : '',
      e.on_behalf ? h('span', { class: 'muted' }, ' (on your behalf)') : '',
      e.comment ? h('blockquote', {}, e.comment) : null,
      e.reason ? h('p', { class: 'muted' }, 'Reason: ', e.reason) : null));
    return section('Timeline', 'timeline',
      ev && ev.error ? h('p', { class: 'muted' }, 'The timeline could not be loaded: ', ev.error) : null,
      items.length ? h('ol', { class: 'timeline-list', id: 'timeline' }, items)
        : h('p', { class: 'muted' }, 'Nothing yet.'));
  }
}

// Uploads one file, showing a progress bar labelled with its name.
function uploadWithProgress(number, kind, file, what, list) {
  const id = newId('up');
  const bar = h('progress', { id, max: 100, value: 0 });
  const text = h('span', { class: 'pct' }, '0%');
  const item = h('li', {}, h('label', { for: id }, `${what}: ${file.name}`), bar, text);
  list.append(item);
  const check = checkImage(file);
  return check.then((res) => {
    if (!res.ok) throw new api.ApiError(0, 'client', res.message);
    return api.uploadAttachment(number, kind, file, res.mediaType, (loaded, total) => {
      const pct = total ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
      bar.value = pct;
      text.textContent = pct + '%';
    });
  }).then((att) => {
    item.classList.add('done');
    text.textContent = 'uploaded';
    return att;
  }, (err) => {
    item.classList.add('failed');
    text.textContent = 'refused';
    err.message = `The ${what} (${file.name}): ${err.message}`;
    throw err;
  });
}

