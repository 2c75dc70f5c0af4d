// app.js - the customer portal (SPEC §9): hash routes, sign-in, the list of
// solutions.  The detail of one solution is in detail.js.
//
// Routes: #/login, #/ (the list), #/rmas/RMA-YYYY-NNNNNN (one solution).
// The service sends the customer back from PayPal to
// #/rmas/RMA-...?paypal=approved|cancelled|expired|unavailable|declined, or
// to #/?paypal=unknown when it cannot tell the case.

import * as api from './api.js?v=1';
import { h, clear, announce, showError, clearMessages, timeEl } from './dom.js?v=1';
import { renderDetail } from './detail.js?v=1';
import { kindLabel, statusLabel } from './words.js?v=1';

const view = () => document.getElementById('view');
let leaving = []; // cleanups of the current view (timers)

// Who is signed in, remembered on this device only to skip a useless
// request on the first visit: the session cookie (HttpOnly) is the truth.
const session = {
  get email() { return localStorage.getItem('rma.signed_in') || ''; },
  set email(v) {
    if (v) localStorage.setItem('rma.signed_in', v);
    else localStorage.removeItem('rma.signed_in');
  },
};

function showAccount(signedIn) {
  document.getElementById('account').hidden = !signedIn;
  document.getElementById('who').textContent = signedIn && session.email
    ? `Signed in as ${session.email}` : '';
}

// Moves the focus to the new screen's heading so that keyboard and screen
// reader users start at the top of what changed.
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

api.setUnauthenticatedHandler(() => {
  session.email = '';
  const { path } = parseHash();
  if (path !== '/login') sessionStorage.setItem('rma.after_login', location.hash);
  showAccount(false);
  go('#/login');
  // After the route change so that the login screen keeps the message.
  window.setTimeout(() => showError('Your session has ended: log in again.'), 0);
});

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return { path, query: new URLSearchParams(query) };
}

async function route() {
  for (const f of leaving) f();
  leaving = [];
  clearMessages();
  const { path, query } = parseHash();
  const m = path.match(/^\/rmas?\/(RMA-\d{4}-\d{6})$/);
  try {
    if (path === '/login' || !session.email) {
      if (path !== '/login') {
        // Back here after logging in.
        sessionStorage.setItem('rma.after_login', '#' + path + (query.toString() ? '?' + query : ''));
        history.replaceState(null, '', '#/login');
      }
      renderLogin();
    } else if (m) {
      showAccount(true);
      await renderDetail(view(), m[1], query, {
        onLeave: (f) => leaving.push(f),
        go,
        focusHeading,
      });
    } else {
      if (path !== '/') {
        history.replaceState(null, '', '#/');
      }
      await renderList();
      if (query.get('paypal')) {
        history.replaceState(null, '', '#/');
        showError('PayPal sent you back, but we could not tell for which solution. Enter it below to check the hold.');
      }
    }
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 401) return;
    clear(view()).append(h('h1', {}, 'Something went wrong'),
      h('p', {}, err.message || String(err)),
      h('p', {}, h('button', { type: 'button', onclick: () => route() }, 'Try again')));
    showError(err.message || String(err));
    focusHeading();
  }
}

// ---- Log in: e-mail, "Send Code", the code, "Log In" ----

function renderLogin() {
  showAccount(false);
  const emailInput = h('input', {
    id: 'login-email', name: 'email', type: 'email', autocomplete: 'email',
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

  const codeForm = h('form', { class: 'card', novalidate: true, hidden: true },
    h('h2', {}, 'Enter the code'),
    h('div', { class: 'field' },
      h('label', { for: 'login-code' }, 'Code from the e-mail'),
      codeInput,
      h('p', { class: 'hint', id: 'login-code-hint' },
        'Six digits, valid for 15 minutes.')),
    codeError,
    h('div', { class: 'buttons' }, loginButton));

  const emailForm = h('form', { class: 'card', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'login-email' }, 'E-mail address'),
      emailInput,
      h('p', { class: 'hint', id: 'login-email-hint' },
        'The address you used when you contacted support. We e-mail you a code to log in.')),
    emailError,
    h('div', { class: 'buttons' }, sendButton));

  emailForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMessages();
    const email = emailInput.value.trim();
    if (!emailInput.checkValidity() || !email) {
      emailInput.setAttribute('aria-invalid', 'true');
      showError('Enter your e-mail address, for example name@example.com.', emailError);
      emailInput.focus();
      return;
    }
    emailInput.removeAttribute('aria-invalid');
    sendButton.disabled = true;
    try {
      const res = await api.post('/auth/code', { email });
      codeForm.hidden = false;
      announce((res && res.message) || 'If this address has RMA solutions, a code is on its way.');
      codeForm.querySelector(".sent")?.remove();
      codeForm.insertBefore(h('p', { class: 'sent' },
        (res && res.message) || 'A code is on its way.'), codeForm.children[1]);
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
      const res = await api.post('/auth/session', {
        email: emailInput.value.trim(), code,
      });
      session.email = (res && res.customer && res.customer.email) || emailInput.value.trim();
      const next = sessionStorage.getItem('rma.after_login');
      sessionStorage.removeItem('rma.after_login');
      go(next && next.startsWith('#/') && next !== '#/login' ? next : '#/');
      announce('You are logged in.');
    } catch (err) {
      showError(err.message, codeError);
      codeInput.focus();
    } finally {
      loginButton.disabled = false;
    }
  });

  clear(view()).append(
    h('h1', {}, 'Log in'),
    h('p', { class: 'lead' }, 'Review your warranty solutions, agree or disagree, and follow your return.'),
    emailForm, codeForm);
  emailInput.focus();
}

// ---- The list of solutions, in progress first, each with "Enter" ----

function solutionItem(r) {
  const headingId = 'rma-' + r.number;
  return h('li', { class: 'card solution', dataset: { number: r.number } },
    h('h3', { id: headingId }, r.number),
    h('p', { class: 'badges' },
      h('span', { class: 'badge kind' }, kindLabel(r.kind)),
      ' ',
      h('span', { class: 'badge status status-' + r.status }, statusLabel(r.status))),
    r.devices && r.devices.length
      ? h('p', { class: 'devices' }, r.devices.join(', ')) : null,
    h('p', { class: 'muted' }, 'Updated ', timeEl(r.updated_at)),
    h('div', { class: 'buttons' },
      h('button', {
        type: 'button', 'aria-describedby': headingId,
        onclick: () => go('#/rmas/' + r.number),
      }, 'Enter')));
}

async function renderList() {
  const res = await api.get('/rmas');
  showAccount(true);
  const all = (res && res.rmas) || [];
  const open = all.filter((r) => r.in_progress);
  const closed = all.filter((r) => !r.in_progress);
  const content = [h('h1', {}, 'Your RMA solutions')];
  content.push(h('section', { 'aria-labelledby': 'list-open' },
    h('h2', { id: 'list-open' }, 'In progress'),
    open.length
      ? h('ul', { class: 'solutions' }, open.map(solutionItem))
      : h('p', {}, 'You have no RMA solution in progress.')));
  if (closed.length) {
    content.push(h('section', { 'aria-labelledby': 'list-closed' },
      h('details', {},
        h('summary', {}, h('h2', { id: 'list-closed', class: 'inline' },
          `Closed (${closed.length})`)),
        h('ul', { class: 'solutions' }, closed.map(solutionItem)))));
  }
  clear(view()).append(...content);
  focusHeading();
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
  session.email = '';
  showAccount(false);
  go('#/login');
  announce('You are logged out.');
}

// PayPal may send the customer back to /?rma=...&paypal=...: make it a route.
function adoptQueryRoute() {
  const q = new URLSearchParams(location.search);
  const number = q.get('rma');
  if (number && /^RMA-\d{4}-\d{6}$/.test(number)) {
    const paypal = q.get('paypal');
    const hash = '#/rmas/' + number + (paypal ? '?paypal=' + encodeURIComponent(paypal) : '');
    history.replaceState(null, '', location.pathname + hash);
  }
}

document.getElementById('logout').addEventListener('click', logout);
window.addEventListener('hashchange', route);
adoptQueryRoute();
route();
