// app.js - the staff console (SPEC §15): sign-in by code, the layout with
// the person and "Log Out", and the hash routes.  The pages are in
// queues.js (queues, scan), case.js (one case), exports.js (finance) and
// admin.js (people and tokens).
//
// Routes: #/login, #/ (my queues), #/queue/NAME, #/rmas/RMA-YYYY-NNNNNN,
// #/scan, #/exports, #/admin, #/new (New Solution, new.js).

import * as api from './api.js?v=2';
import { h, clear, announce, showError, clearMessages } from '/js/dom.js?v=1';
import { roleLabel } from './words.js?v=2';
import { renderHome, renderQueue, renderScan } from './queues.js?v=2';
import { renderCase } from './case.js?v=2';
import { renderExports } from './exports.js?v=2';
import { renderAdmin } from './admin.js?v=2';
import { renderNew } from './new.js?v=2';

const view = () => document.getElementById('view');
let me = null; // GET /whoami: {name, role, email, display_name}

// Whether someone signed in on this device, remembered only to skip a
// useless request on the first visit: the session cookie (HttpOnly) is
// the truth, and the service says who it is.
const remembered = {
  get on() { return localStorage.getItem('rma.console.signed_in') === '1'; },
  set on(v) {
    if (v) localStorage.setItem('rma.console.signed_in', '1');
    else localStorage.removeItem('rma.console.signed_in');
  },
};

// Moves the focus to the new screen's heading: keyboard and screen reader
// users start at the top of what changed.
export function focusHeading() {
  const h1 = view().querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus();
  }
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// Shows hash instead of the current entry (a scan that found one case).
function replace(hash) {
  history.replaceState(null, '', hash);
  route();
}

const PAGES = [
  { hash: '#/', label: 'Queues', roles: null },
  { hash: '#/new', label: 'New Solution', roles: ['agent', 'supervisor'] },
  { hash: '#/scan', label: 'Scan', roles: ['warehouse'] },
  { hash: '#/scan', label: 'Find a Case', roles: ['agent', 'supervisor', 'finance', 'admin'] },
  { hash: '#/exports', label: 'Exports', roles: ['finance', 'admin'] },
  { hash: '#/admin', label: 'Staff', roles: ['admin'] },
];

function showChrome(signedIn) {
  document.getElementById('account').hidden = !signedIn;
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('who').textContent = signedIn && me
    ? `${me.display_name || me.name} (${roleLabel(me.role)})` : '';
  const links = clear(document.getElementById('nav-links'));
  if (!signedIn || !me) return;
  const { path } = parseHash();
  for (const p of PAGES) {
    if (p.roles && !p.roles.includes(me.role)) continue;
    const here = '#' + path === p.hash || (p.hash === '#/' && /^\/(queue\/|$)/.test(path));
    links.append(h('li', {}, h('a', { href: p.hash, 'aria-current': here ? 'page' : null }, p.label)));
  }
}

api.setUnauthenticatedHandler(() => {
  me = null;
  remembered.on = false;
  const { path } = parseHash();
  if (path !== '/login') sessionStorage.setItem('rma.console.after_login', location.hash);
  showChrome(false);
  go('#/login');
  window.setTimeout(() => showError('Your session has ended: sign in again.'), 0);
});

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return { path, query: new URLSearchParams(query) };
}

async function whoami() {
  if (me) return me;
  if (!remembered.on) return null;
  try {
    me = await api.get('/whoami');
  } catch (err) {
    if (err.status === 401) {
      remembered.on = false;
      return null;
    }
    throw err;
  }
  return me;
}

async function route() {
  clearMessages();
  const { path, query } = parseHash();
  try {
    if (path === '/login') {
      me = null;
      renderLogin();
      return;
    }
    // The cookie is HttpOnly: the service says whether we are signed in.
    const who = await whoami();
    if (!who) {
      sessionStorage.setItem('rma.console.after_login', '#' + path + (query.toString() ? '?' + query : ''));
      history.replaceState(null, '', '#/login');
      renderLogin();
      return;
    }
    showChrome(true);
    const ctx = { me: who, go, replace, focusHeading, view: view() };
    const q = path.match(/^\/queue\/([a-z_]+)$/);
    const c = path.match(/^\/rmas\/(RMA-\d{4}-\d{6})$/);
    if (q) await renderQueue(ctx, q[1]);
    else if (c) await renderCase(ctx, c[1]);
    else if (path === '/scan') await renderScan(ctx, query.get('code') || '');
    else if (path === '/exports') await renderExports(ctx);
    else if (path === '/admin') await renderAdmin(ctx);
    else if (path === '/new') await renderNew(ctx, query.get('q') || '');
    else {
      if (path !== '/') history.replaceState(null, '', '#/');
      await renderHome(ctx);
    }
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 401) return;
    clear(view()).append(h('h1', {}, 'Something went wrong'),
      h('p', {}, err.message || String(err)),
      h('p', {}, h('button', { type: 'button', onclick: () => route() }, 'Try Again')));
    showError(err.message || String(err));
    focusHeading();
  }
}

// ---- Sign in: e-mail, "Send Code", the code, "Log In" ----

function renderLogin() {
  showChrome(false);
  const emailInput = h('input', {
    id: 'login-email', name: 'email', type: 'email', autocomplete: 'username',
    required: true, maxlength: 254, 'aria-describedby': 'login-email-hint',
  });
  const codeInput = h('input', {
    id: 'login-code', name: 'code', type: 'text', inputmode: 'numeric',
    autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6,
    required: true, 'aria-describedby': 'login-code-hint',
  });
  const emailError = h('p', { class: 'form-error', id: 'login-email-error' });
  const codeError = h('p', { class: 'form-error', id: 'login-code-error' });
  const sendButton = h('button', { type: 'submit' }, 'Send Code');
  const loginButton = h('button', { type: 'submit' }, 'Log In');

  const codeForm = h('form', { class: 'card narrow', novalidate: true, hidden: true },
    h('h2', {}, 'Enter the code'),
    h('div', { class: 'field' },
      h('label', { for: 'login-code' }, 'Code from the e-mail'),
      codeInput,
      h('p', { class: 'hint', id: 'login-code-hint' }, 'Six digits, valid for 15 minutes.')),
    codeError,
    h('div', { class: 'buttons' }, loginButton));

  const emailForm = h('form', { class: 'card narrow', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'login-email' }, 'Work e-mail address'),
      emailInput,
      h('p', { class: 'hint', id: 'login-email-hint' },
        'The address of your staff account. We e-mail you a code to sign in.')),
    emailError,
    h('div', { class: 'buttons' }, sendButton));

  emailForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMessages();
    const email = emailInput.value.trim();
    if (!emailInput.checkValidity() || !email) {
      emailInput.setAttribute('aria-invalid', 'true');
      showError('Enter your work e-mail address, for example name@example.com.', emailError);
      emailInput.focus();
      return;
    }
    emailInput.removeAttribute('aria-invalid');
    sendButton.disabled = true;
    try {
      const res = await api.post('/auth/code', { email });
      const text = (res && res.message) || 'A code is on its way.';
      codeForm.hidden = false;
      codeForm.querySelector('.sent')?.remove();
      codeForm.insertBefore(h('p', { class: 'sent' }, text), codeForm.children[1]);
      announce(text);
      codeInput.focus();
    } catch (err) {
      showError(err.message, emailError);
    } finally {
      sendButton.disabled = false;
    }
  });

  codeForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMessages();
    const code = codeInput.value.trim();
    if (!/^[0-9]{6}$/.test(code)) {
      codeInput.setAttribute('aria-invalid', 'true');
      showError('The code has six digits.', codeError);
      codeInput.focus();
      return;
    }
    codeInput.removeAttribute('aria-invalid');
    loginButton.disabled = true;
    try {
      await api.post('/auth/session', { email: emailInput.value.trim(), code });
      me = null;
      remembered.on = true;
      const next = sessionStorage.getItem('rma.console.after_login');
      sessionStorage.removeItem('rma.console.after_login');
      go(next && next.startsWith('#/') && next !== '#/login' ? next : '#/');
      announce('You are signed in.');
    } catch (err) {
      showError(err.message, codeError);
      codeInput.focus();
    } finally {
      loginButton.disabled = false;
    }
  });

  clear(view()).append(
    h('h1', {}, 'Sign in to the console'),
    h('p', { class: 'lead' }, 'For the warranty team: agents, supervisors, warehouse, finance and administrators.'),
    emailForm, codeForm);
  emailInput.focus();
}

// ---- Log Out ----

async function logout() {
  clearMessages();
  try {
    await api.del('/auth/session');
  } catch (err) {
    if (err.status !== 401) {
      showError(err.message);
      return;
    }
  }
  me = null;
  remembered.on = false;
  showChrome(false);
  go('#/login');
  announce('You are signed out.');
}

document.getElementById('logout').addEventListener('click', logout);
// The skip link moves the focus without changing the route.
document.getElementById('skip').addEventListener('click', (ev) => {
  ev.preventDefault();
  document.getElementById('main').focus();
});
window.addEventListener('hashchange', route);
route();
