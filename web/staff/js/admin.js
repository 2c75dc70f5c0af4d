// admin.js - staff administration (SPEC §15): people (add, deactivate;
// their audit trail stays) and bearer tokens for automation (create, shown
// once; revoke).  Admin role only: the service refuses anyone else.

import * as api from './api.js?v=2';
import { h, clear, announce, showError, clearMessages, timeEl } from '/js/dom.js?v=1';
import { ROLE_NAMES, roleLabel } from './words.js?v=2';

const roleSelect = (id) => h('select', { id, name: 'role', required: true },
  ROLE_NAMES.map((r) => h('option', { value: r }, roleLabel(r))));

function accountsTable(ctx, accounts, rerender) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Person'), h('th', { scope: 'col' }, 'Role'),
      h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Last sign-in'),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    h('tbody', {}, accounts.map((a) => {
      const own = a.email === ctx.me.email;
      let cell = null;
      if (a.active && !own) {
        const b = h('button', { type: 'button', class: 'secondary danger', 'aria-label': `Deactivate ${a.email}` }, 'Deactivate');
        b.addEventListener('click', async () => {
          if (!window.confirm(`Deactivate ${a.email}? Their sessions end now; their actions stay in the audit trail.`)) return;
          clearMessages();
          try {
            await api.post(`/accounts/${a.id}/deactivate`);
            await rerender(`${a.email} deactivated.`);
          } catch (err) {
            showError(err.message);
          }
        });
        cell = b;
      }
      return h('tr', { dataset: { email: a.email } },
        h('th', { scope: 'row' }, a.name, h('span', { class: 'muted small block' }, a.email)),
        h('td', {}, roleLabel(a.role)),
        h('td', {}, a.active ? 'Active' : ['Deactivated ', timeEl(a.deactivated_at), ` by ${a.deactivated_by}`]),
        h('td', {}, a.last_sign_in_at ? timeEl(a.last_sign_in_at) : 'never'),
        h('td', {}, cell || (own ? h('span', { class: 'muted small' }, 'you') : '')));
    }))));
}

function tokensTable(tokens, rerender) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Role'),
      h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Status'),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    h('tbody', {}, tokens.map((t) => {
      let cell = null;
      if (t.active) {
        cell = h('button', { type: 'button', class: 'secondary danger', 'aria-label': `Revoke ${t.name}` }, 'Revoke');
        cell.addEventListener('click', async () => {
          if (!window.confirm(`Revoke the token ${t.name}? What uses it stops working now.`)) return;
          clearMessages();
          try {
            await api.post(`/tokens/${t.id}/revoke`);
            await rerender(`Token ${t.name} revoked.`);
          } catch (err) {
            showError(err.message);
          }
        });
      }
      return h('tr', {},
        h('th', { scope: 'row' }, t.name), h('td', {}, roleLabel(t.role)),
        h('td', {}, timeEl(t.created_at)),
        h('td', {}, t.active ? 'Active' : ['Revoked ', timeEl(t.revoked_at)]),
        h('td', {}, cell || ''));
    }))));
}

function addPersonForm(rerender) {
  const email = h('input', { id: 'person-email', name: 'email', type: 'email', required: true, maxlength: 254, autocomplete: 'off' });
  const name = h('input', { id: 'person-name', name: 'name', type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
  const role = roleSelect('person-role');
  const error = h('p', { class: 'form-error' });
  const form = h('form', { class: 'subform first', novalidate: true, 'aria-label': 'Add a person' },
    h('h3', {}, 'Add a person'),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'person-email' }, 'E-mail address'), email),
      h('div', { class: 'field' }, h('label', { for: 'person-name' }, 'Name'), name)),
    h('div', { class: 'field' }, h('label', { for: 'person-role' }, 'Role'), role),
    error,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Add Person')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMessages();
    for (const el of [email, name]) {
      if (!el.value.trim() || !el.checkValidity()) {
        el.setAttribute('aria-invalid', 'true');
        showError(el === email ? 'Enter the person\u2019s work e-mail address.' : 'Enter the person\u2019s name.', error);
        el.focus();
        return;
      }
      el.removeAttribute('aria-invalid');
    }
    try {
      await api.post('/accounts', { email: email.value.trim(), name: name.value.trim(), role: role.value });
      await rerender(`${email.value.trim()} can now sign in to the console.`);
    } catch (err) {
      showError(err.message, error);
      if (err.field === 'email') email.focus();
    }
  });
  return form;
}

function createTokenForm(rerender) {
  const name = h('input', { id: 'token-name', name: 'name', type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
  const role = roleSelect('token-role');
  const error = h('p', { class: 'form-error' });
  const form = h('form', { class: 'subform first', novalidate: true, 'aria-label': 'Create a token' },
    h('h3', {}, 'Create a token'),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'token-name' }, 'Name (what uses it)'), name),
      h('div', { class: 'field' }, h('label', { for: 'token-role' }, 'Role'), role)),
    error,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Create Token')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMessages();
    if (!name.value.trim()) {
      name.setAttribute('aria-invalid', 'true');
      showError('Name the token after what will use it.', error);
      name.focus();
      return;
    }
    try {
      const t = await api.post('/tokens', { name: name.value.trim(), role: role.value });
      await rerender(`Token ${t.name} created.`, t);
    } catch (err) {
      showError(err.message, error);
    }
  });
  return form;
}

export async function renderAdmin(ctx) {
  const [acc, tok] = await Promise.all([api.get('/accounts'), api.get('/tokens')]);
  const rerender = async (message, created) => {
    await renderAdmin(ctx);
    if (created) {
      const shown = h('section', { class: 'card sent', 'aria-labelledby': 'new-token' },
        h('h2', { id: 'new-token' }, `The token for ${created.name}`),
        h('p', {}, 'Copy it now: it is shown only once.'),
        h('p', {}, h('code', { id: 'new-token-value' }, created.token)));
      ctx.view.querySelector('h1').after(shown);
    }
    if (message) announce(message);
  };
  const accounts = acc.accounts || [];
  const tokens = tok.tokens || [];
  const gone = accounts.filter((a) => !a.active);
  const revoked = tokens.filter((t) => !t.active);
  clear(ctx.view).append(
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← Queues')),
    h('h1', {}, 'Staff'),
    h('section', { class: 'card', 'aria-labelledby': 'people-h' },
      h('h2', { id: 'people-h' }, 'People'),
      h('p', { class: 'muted' }, 'People sign in to the console with a code sent to their address. A deactivated person cannot sign in; what they did stays in the audit trail under their address.'),
      addPersonForm(rerender),
      accountsTable(ctx, accounts.filter((a) => a.active), rerender),
      gone.length ? h('details', {}, h('summary', {}, `Deactivated people (${gone.length})`),
        accountsTable(ctx, gone, rerender)) : null),
    h('section', { class: 'card', 'aria-labelledby': 'tokens-h' },
      h('h2', { id: 'tokens-h' }, 'Tokens for automation'),
      h('p', { class: 'muted' }, 'Bearer tokens for scripts and integrations; only their hash is stored.'),
      createTokenForm(rerender),
      tokensTable(tokens.filter((t) => t.active), rerender),
      revoked.length ? h('details', {}, h('summary', {}, `Revoked tokens (${revoked.length})`),
        tokensTable(revoked, rerender)) : null));
  ctx.focusHeading();
}
