// console.mjs - the staff console's journeys (SPEC §15, issue 17), one per
// role, through the real stack in Debian's Chromium: people added with
// `rmactl staff add` sign in by mailed code, find their work in their
// queues or with the scan box, and act on it.  Controls are found by their
// accessible names; the agent's journey is keyboard only.  The guards of
// lib.mjs fail a journey on a console error or a CSP violation.
// Screens at 768 px (the warehouse tablet) and 1280 px go to
// BROWSER_SCREENSHOT_DIR as console-NAME-768.jpg and console-NAME-1280.jpg.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BASE, SIM, DESKTOP, assert, assertEq, env, staff, uniqueEmail, mailedCode, createCase, png,
} from './lib.mjs';

const TABLET = { width: 768, height: 1024 };

// ---- people and their sign-in ----

function person(role) {
  const email = uniqueEmail(`console-${role}`);
  const name = { agent: 'Avery Agent', supervisor: 'Sam Supervisor', warehouse: 'Wes Warehouse',
    finance: 'Fran Finance', admin: 'Ada Admin' }[role];
  execFileSync('rmactl', ['--config', env('RMA_CONFIG'), 'staff', 'add', '--email', email,
    '--name', name, '--role', role], { stdio: ['ignore', 'pipe', 'pipe'] });
  return email;
}

async function signIn(j, email, { screens = false } = {}) {
  const page = j.page;
  await page.goto(BASE() + '/staff/');
  await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
  if (screens) await screen(j, 'login');
  await page.getByLabel('Work e-mail address').fill(email);
  await page.getByRole('button', { name: 'Send Code', exact: true }).click();
  const code = page.getByLabel('Code from the e-mail');
  await code.waitFor();
  await code.fill(await mailedCode(email));
  await page.getByRole('button', { name: 'Log In', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Your queues' }).waitFor();
  assert(await page.getByRole('button', { name: 'Log Out', exact: true }).isVisible(), 'Log Out is shown');
}

// A main screen at 768 px and at 1280 px, kept beside the steps and, with
// BROWSER_SCREENSHOT_DIR, there as console-NAME-WIDTH.jpg; every visible
// control on it has an accessible name.
async function screen(j, name, { fullPage = true } = {}) {
  const out = process.env.BROWSER_SCREENSHOT_DIR;
  const page = j.page;
  const before = page.viewportSize();
  for (const vp of [TABLET, DESKTOP]) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(100);
    j.step++;
    await page.screenshot({ path: path.join(j.dir, `${String(j.step).padStart(2, '0')}-console-${name}-${vp.width}.png`), fullPage });
    if (out) {
      fs.mkdirSync(out, { recursive: true });
      await page.screenshot({ path: path.join(out, `console-${name}-${vp.width}.jpg`), fullPage, type: 'jpeg', quality: 80 });
    }
    // Nothing wider than the screen (the tablet): no sideways scrolling.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(wide <= 1, `${name} at ${vp.width} px scrolls sideways by ${wide} px`);
  }
  await page.setViewportSize(before);
  const unnamed = await page.evaluate(() => [...document.querySelectorAll(
    'button, input:not([type=hidden]), textarea, select, a[href]')]
    .filter((el) => el.checkVisibility() && !(el.labels && el.labels.length) &&
      !el.textContent.trim() && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 100)));
  if (unnamed.length) j.problems.push(`controls without a name on ${name}: ${unnamed.join(', ')}`);
}

const status = (page) => page.locator('#rma-status');
async function waitStatus(page, text) {
  await page.locator('#rma-status', { hasText: text }).waitFor();
}

// An action's form (opened by its button), filled and submitted.
async function act(j, label, fill = async () => {}) {
  const page = j.page;
  await page.getByRole('button', { name: label, exact: true }).first().click();
  const form = page.getByRole('form', { name: label });
  await form.waitFor();
  await fill(form);
  await form.getByRole('button', { name: label, exact: true }).click();
}

// A draft replacement of value (USD) made by the automation token.
async function draft(value = '899.00') {
  const order = 'CON-' + randomBytes(4).toString('hex').toUpperCase();
  const r = await staff('agent', 'POST', '/api/v1/staff/rmas', {
    customer: { email: uniqueEmail('console-customer'), name: 'Casey Console' },
    order: {
      order_number: order, sales_channel: 'web', shipping_country: 'US', currency: 'USD',
      purchase_date: new Date(Date.now() - 60 * 86400e3).toISOString().slice(0, 10),
      items: [{ model: 'NVR-8CH', quantity: 1, unit_price: { currency_code: 'USD', value } }],
    },
    kind: 'replacement',
    problem: 'The NVR reboots every night.',
    devices: [{ model: 'NVR-8CH', serial_number: 'NVR-CON-' + randomBytes(3).toString('hex').toUpperCase() }],
    replacement_value: { currency_code: 'USD', value },
  });
  assertEq(r.status, 201, `a draft: ${r.text}`);
  return r.json;
}

// The customer's side through the portal's API: sign in by code.
async function customerCookie(email) {
  const h = { 'Content-Type': 'application/json', 'X-Requested-With': 'rma-portal' };
  let r = await fetch(BASE() + '/api/v1/auth/code', { method: 'POST', headers: h, body: JSON.stringify({ email }) });
  assertEq(r.status, 202, 'a code for the customer');
  const code = await mailedCode(email);
  r = await fetch(BASE() + '/api/v1/auth/session', { method: 'POST', headers: h, body: JSON.stringify({ email, code }) });
  assertEq(r.status, 200, 'the customer signs in');
  return r.headers.get('set-cookie').split(';')[0];
}

async function customer(cookie, method, urlPath, body, type = 'application/json') {
  const r = await fetch(BASE() + urlPath, {
    method,
    headers: { Cookie: cookie, 'X-Requested-With': 'rma-portal', 'Content-Type': type },
    body: body === undefined ? undefined : (Buffer.isBuffer(body) ? body : JSON.stringify(body)),
  });
  const text = await r.text();
  assert(r.status >= 200 && r.status < 300, `${method} ${urlPath}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// An original order of buyer imported with `rmactl orders import`: one
// NVR-8CH at 649.00 and two PSU-12V; returns its number.
function importOrder(j, buyer, prefix = 'SHOP') {
  const order = prefix + '-' + randomBytes(4).toString('hex').toUpperCase();
  const csv = path.join(j.dir, `orders-${order}.csv`);
  fs.writeFileSync(csv, 'order_number,sales_channel,customer_email,customer_name,shipping_country,' +
    'currency,purchase_date,model,quantity,unit_price\r\n' +
    `${order},shop,${buyer},"Olga Order",US,USD,2026-09-01,NVR-8CH,1,649.00\r\n` +
    `${order},shop,${buyer},"Olga Order",US,USD,2026-09-01,PSU-12V,2,19.99\r\n` +
    `${order},shop,${buyer},"Olga Order",US,USD,2026-09-01,CAM-4K-OUT,1,129.99\r\n`);
  const out = execFileSync('rmactl', ['--config', env('RMA_CONFIG'), 'orders', 'import', csv],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert(/1 created/.test(out), `the order is imported: ${out}`);
  return order;
}

// "New Solution" on order (typed in lower case): a replacement of its NVR
// with serial, "Create Draft"; returns the new case's number.
async function newSolution(j, order, serial, { screens = false } = {}) {
  const page = j.page;
  await page.getByRole('link', { name: 'New Solution', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'New Solution' }).waitFor();
  await page.getByLabel('Order number or the customer\u2019s e-mail').fill(order.toLowerCase());
  await page.getByRole('button', { name: 'Find Order', exact: true }).click();
  await page.getByRole('button', { name: 'Use This Order', exact: true }).click();
  await page.getByRole('heading', { name: `Order ${order}` }).waitFor();
  // The order's three lines, and nothing else, each with its warranty.
  assertEq(await page.locator('fieldset.line').count(), 3, 'the order\'s lines are offered');
  assert(/in warranty until/.test(await page.locator('fieldset.line').first().textContent()), 'the warranty is shown');
  await page.getByLabel('Kind').selectOption('replacement');
  await page.getByLabel('Return this NVR-8CH').check();
  await page.getByRole('group', { name: /NVR-8CH/ }).getByLabel('Serial number').fill(serial);
  await page.getByLabel('What is wrong').fill('The NVR loses its recordings every night.');
  assertEq(await page.getByLabel('Replacement value (the hold)').inputValue(), '649.00', 'the value is the line\'s price');
  if (screens) await screen(j, 'new-solution');
  await page.getByRole('button', { name: 'Create Draft', exact: true }).click();
  const heading = page.getByRole('heading', { level: 1, name: /^RMA-\d{4}-\d{6}$/ });
  await heading.waitFor();
  await waitStatus(page, 'Draft');
  return heading.textContent();
}

// Exports: kind over [from, to), "Download"; the file must be the bytes
// `rmactl export` writes for the same kind and period.
async function downloadExport(j, kind, from, to, { screens = false } = {}) {
  const page = j.page;
  await page.getByRole('link', { name: 'Exports', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Exports' }).waitFor();
  await page.getByLabel('Export', { exact: true }).selectOption(kind);
  await page.getByLabel('Period').selectOption('custom');
  await page.getByLabel('From (inclusive)').fill(from);
  await page.getByLabel('To (exclusive)').fill(to);
  if (screens) await screen(j, 'exports');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download', exact: true }).click(),
  ]);
  const file = path.join(j.dir, `${kind}.csv`);
  await download.saveAs(file);
  const got = fs.readFileSync(file);
  const want = execFileSync('rmactl', ['--config', env('RMA_CONFIG'), 'export', kind, '--from', from, '--to', to],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  assert(want.length > 0 && want.includes('\r\n'), 'rmactl export wrote a CSV with its header');
  assert(Buffer.compare(got, want) === 0, `the ${kind} download equals rmactl export (${got.length} and ${want.length} bytes)`);
  assertEq(download.suggestedFilename().endsWith('.csv'), true, `a CSV file name (${download.suggestedFilename()})`);
  return got;
}

async function logOut(j) {
  await j.page.getByRole('button', { name: 'Log Out', exact: true }).click();
  await j.page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
}

// ---- the journeys ----

// The agent, keyboard only: sign in with Tab and Enter, open Drafts, the
// draft, and "Submit for Review".
export async function consoleAgent(j) {
  const page = j.page;
  const email = person('agent');
  const c = await draft('899.00');
  await page.goto(BASE() + '/staff/');
  await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
  assertEq(await page.evaluate(() => document.activeElement.id), 'login-email', 'focus starts on the e-mail');
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { name: document.activeElement.textContent, style: s.outlineStyle, width: s.outlineWidth };
  });
  assertEq(ring.name, 'Send Code', 'Tab reaches Send Code');
  assert(ring.style !== 'none' && ring.width !== '0px', `a visible focus ring (${ring.style} ${ring.width})`);
  await page.keyboard.press('Enter');
  await page.getByLabel('Code from the e-mail').waitFor();
  assertEq(await page.evaluate(() => document.activeElement.id), 'login-code', 'focus moves to the code');
  await page.keyboard.type(await mailedCode(email));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Your queues' }).waitFor();
  await j.shot('agent-queues');
  const tabTo = async (text, max = 400) => {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      const t = await page.evaluate(() => document.activeElement.textContent.trim());
      if (t === text) return;
    }
    throw new Error(`Tab never reached "${text}"`);
  };
  await tabTo('Open Drafts');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Drafts' }).waitFor();
  await tabTo(c.number);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: c.number }).waitFor();
  assertEq(await page.evaluate(() => document.activeElement.tagName), 'H1', 'the case page starts at its heading');
  await tabTo('Submit for Review');
  await j.shot('agent-focus-submit');
  await page.keyboard.press('Enter');
  await waitStatus(page, 'Pending review');
  await page.locator('#status', { hasText: 'Submitted for review.' }).waitFor();
  await j.shot('agent-submitted');
  // Log Out by keyboard too; the session is gone.
  await page.getByRole('button', { name: 'Log Out', exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
  j.expectHttpError(401);
  const s = await page.evaluate(async () => (await fetch('/api/v1/staff/whoami')).status);
  assertEq(s, 401, 'the session is revoked after Log Out');
}
consoleAgent.viewport = DESKTOP;

// The agent builds a solution from an imported original order ("New
// Solution"): only the order's lines are offered, each with its warranty;
// the draft is created and submitted for review.
export async function consoleNewSolution(j) {
  const page = j.page;
  const email = person('agent');
  const buyer = uniqueEmail('console-order');
  const order = importOrder(j, buyer);
  await signIn(j, email);
  const number = await newSolution(j, order, 'NVR8-NEW-0001', { screens: true });
  await page.getByRole('button', { name: 'Submit for Review', exact: true }).click();
  await waitStatus(page, 'Pending review');
  const r = await staff('supervisor', 'GET', `/api/v1/staff/rmas/${number}`);
  assertEq(r.json.order.order_number, order, 'the case is on the imported order');
  assertEq(r.json.created_by, email, 'created under the person\'s address');
  assertEq(r.json.devices.map((d) => d.model).join(), 'NVR-8CH', 'the chosen line');
  await j.shot('new-solution-submitted');

  // An order the shop never sent: entered once, then found by its number.
  const manual = 'PHONE-' + randomBytes(3).toString('hex').toUpperCase();
  await page.getByRole('link', { name: 'New Solution', exact: true }).click();
  await page.getByLabel('Order number or the customer\u2019s e-mail').fill(manual);
  await page.getByRole('button', { name: 'Find Order', exact: true }).click();
  await page.getByRole('heading', { name: 'Enter the order' }).waitFor();
  assertEq(await page.getByLabel('Order number', { exact: true }).inputValue(), manual, 'the number searched for');
  await page.getByLabel('Customer\u2019s e-mail', { exact: true }).fill(uniqueEmail('console-phone'));
  await page.getByLabel('Customer\u2019s name', { exact: true }).fill('Paula Phone');
  await page.getByLabel('Purchase date').fill('2026-10-10');
  await page.getByLabel('Model').fill('db-pro');
  await page.getByLabel('Unit price').fill('89.99');
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByRole('heading', { name: `Order ${manual}` }).waitFor();
  await page.getByLabel('Kind').selectOption('repair');
  await page.getByLabel('Return this DB-PRO').check();
  await page.getByLabel('UID').fill('DBP-PHONE-0001');
  await page.getByLabel('What is wrong').fill('The chime is silent.');
  await page.getByRole('button', { name: 'Create Draft', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /^RMA-\d{4}-\d{6}$/ }).waitFor();
  await waitStatus(page, 'Draft');
  await page.goto(BASE() + '/staff/#/new?q=' + manual.toLowerCase());
  await page.getByRole('button', { name: 'Use This Order', exact: true }).waitFor();
}
consoleNewSolution.viewport = DESKTOP;

// The supervisor approves a case from Pending review, and cannot approve
// one they created (four eyes: the API's 403 shown).
export async function consoleSupervisor(j) {
  const page = j.page;
  const email = person('supervisor');
  const c = await draft('899.00');
  const sub = await staff('agent', 'POST', `/api/v1/staff/rmas/${c.number}/submit`);
  assertEq(sub.json && sub.json.status, 'pending_review', `submitted: ${sub.text}`);
  await signIn(j, email, { screens: true });
  await screen(j, 'queues');
  await page.getByRole('link', { name: 'Open Pending review', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Pending review' }).waitFor();
  await screen(j, 'queue');
  await page.getByRole('link', { name: c.number, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: c.number }).waitFor();
  await screen(j, 'case');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await waitStatus(page, 'Waiting for the customer');
  await j.shot('approved');
  const approvedBy = await page.evaluate(async (n) => {
    const r = await (await fetch('/api/v1/staff/rmas/' + n)).json();
    return r.events.filter((e) => e.action === 'approve').map((e) => e.actor.name);
  }, c.number);
  assertEq(approvedBy.join(), email, 'the approval is audited under the person');

  // One of their own: created and submitted in the console's session.
  const own = await page.evaluate(async (body) => {
    const h = { 'Content-Type': 'application/json', 'X-Requested-With': 'rma-console' };
    const made = await (await fetch('/api/v1/staff/rmas', { method: 'POST', headers: h, body })).json();
    await fetch(`/api/v1/staff/rmas/${made.number}/submit`, { method: 'POST', headers: { 'X-Requested-With': 'rma-console' } });
    return made.number;
  }, JSON.stringify({
    customer: { email: uniqueEmail('console-own'), name: 'Owen Own' },
    order: {
      order_number: 'OWN-' + randomBytes(4).toString('hex'), sales_channel: 'web', shipping_country: 'US',
      currency: 'USD', purchase_date: '2026-06-01',
      items: [{ model: 'NVR-8CH', quantity: 1, unit_price: { currency_code: 'USD', value: '899.00' } }],
    },
    kind: 'replacement', problem: 'No picture on channel 3.',
    devices: [{ model: 'NVR-8CH', serial_number: 'NVR-OWN-' + randomBytes(3).toString('hex') }],
    replacement_value: { currency_code: 'USD', value: '899.00' },
  }));
  await page.goto(BASE() + '/staff/#/rmas/' + own);
  await page.getByRole('heading', { level: 1, name: own }).waitFor();
  await waitStatus(page, 'Pending review');
  j.expectHttpError(403);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.locator('#alert', { hasText: /another supervisor must approve it/ }).waitFor();
  await waitStatus(page, 'Pending review');
  await j.shot('four-eyes');
  // Send Back needs its reason.
  await page.getByRole('button', { name: 'Send Back', exact: true }).click();
  const form = page.getByRole('form', { name: 'Send Back' });
  await form.getByRole('button', { name: 'Send Back', exact: true }).click();
  await page.locator('#alert', { hasText: /is required/ }).waitFor();
  await form.getByLabel('Why it goes back to the agent').fill('Another supervisor will look at it.');
  await form.getByRole('button', { name: 'Send Back', exact: true }).click();
  await waitStatus(page, 'Draft');
}
consoleSupervisor.viewport = DESKTOP;

// Takes case number of the customer (cookie) to an authorized PayPal hold:
// Agree, Advanced Replacement, the address, the agreement, PayPal's
// approval (the simulator's control API) and the return to the service.
async function heldCase(cookie, number) {
  const rma = `/api/v1/rmas/${number}`;
  await customer(cookie, 'POST', rma + '/agree');
  const m = await customer(cookie, 'POST', rma + '/replacement-method', { method: 'advanced' });
  await customer(cookie, 'PUT', rma + '/shipping-address', {
    name: 'Hilda Hold', line1: '2 Hold Street', city: 'Springfield', region: 'IL',
    postal_code: '62701', country: 'US', phone: '+1 217 555 0101',
  });
  const pre = await customer(cookie, 'POST', rma + '/preauthorization', {
    accept_terms: true, terms_version: m.preauthorization.terms_version,
  });
  const ok = await fetch(SIM() + `/sim/orders/${encodeURIComponent(pre.order_id)}/approve`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
  });
  assert(ok.ok, `PayPal approves: ${ok.status}`);
  const back = await fetch(BASE() + `/api/v1/paypal/return?token=${encodeURIComponent(pre.order_id)}&PayerID=X1`,
    { headers: { Cookie: cookie }, redirect: 'manual' });
  assertEq(back.status, 303, 'PayPal\'s return');
  const r = await staff('supervisor', 'GET', `/api/v1/staff/rmas/${number}`);
  assertEq(r.json.hold && r.json.hold.status, 'authorized', `${number} has its hold`);
  return r.json;
}

// The supervisor's decisions on holds and validity, from the case page: a
// returned unit whose serial did not match ("Hold decisions") has its hold
// waived; another case's return deadline is extended and its hold
// captured (Capture Now); a third case's RMA number is made valid longer.  Each with
// the reason the API asks for, each recorded under the person.
export async function consoleHoldDecisions(j) {
  const page = j.page;
  const email = person('supervisor');
  const buyer = uniqueEmail('console-holds');
  const a = await createCase(buyer, 'replacement');
  const b = await createCase(buyer, 'replacement');
  const c = await createCase(buyer, 'replacement');
  const cookie = await customerCookie(buyer);
  const heldA = await heldCase(cookie, a.number);
  await heldCase(cookie, b.number);
  // Both replacements ship; a's return is awaited, b's comes back with
  // another serial.
  for (const n of [a.number, b.number]) {
    const ship = await staff('warehouse', 'POST', `/api/v1/staff/rmas/${n}/shipments`,
      { carrier: 'UPS', tracking_number: '1Z999AA10000000001' });
    assert(ship.status >= 200 && ship.status < 300, `shipping ${n}: ${ship.status} ${ship.text}`);
  }
  const rma = `/api/v1/rmas/${b.number}`;
  const label = await customer(cookie, 'PUT', rma + '/attachments/shipping_label', png(320, 200, 21), 'image/png');
  const receipt = await customer(cookie, 'PUT', rma + '/attachments/postage_receipt', png(200, 300, 22), 'image/png');
  await customer(cookie, 'POST', rma + '/return-shipment', {
    carrier: 'DPD', tracking_number: 'DPD' + String(Date.now()).slice(-10), shipping_label_id: label.id,
    postage_receipt_id: receipt.id, acknowledge_data_erasure: true,
  });
  const got = await staff('warehouse', 'POST', `/api/v1/staff/rmas/${b.number}/receipt`,
    { condition: 'good', serial_number: 'SN-NOT-THE-ONE' });
  assertEq(got.status, 200, `received: ${got.text}`);

  await signIn(j, email);
  // b waits in "Hold decisions": the unit is not the one, the hold is
  // kept until the supervisor decides; received, it can only be waived.
  await page.getByRole('link', { name: 'Open Hold decisions', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Hold decisions' }).waitFor();
  await page.getByRole('link', { name: b.number, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: b.number }).waitFor();
  assertEq(await page.getByRole('button', { name: 'Capture Now', exact: true }).count(), 0,
    'no Capture Now once the unit is received');
  await screen(j, 'hold-decision', { fullPage: false });
  // Without its reason the form says so and sends nothing.
  await page.getByRole('button', { name: 'Waive Hold', exact: true }).click();
  const waive = page.getByRole('form', { name: 'Waive Hold' });
  await waive.getByRole('button', { name: 'Waive Hold', exact: true }).click();
  await page.locator('#alert', { hasText: /is required/ }).waitFor();
  await waive.getByLabel('Why the hold is released without the return').fill('The serial was misread: it is our unit.');
  await waive.getByRole('button', { name: 'Waive Hold', exact: true }).click();
  await page.locator('#status', { hasText: 'Hold waived.' }).waitFor();
  await j.shot('hold-waived');
  let r = await staff('supervisor', 'GET', `/api/v1/staff/rmas/${b.number}`);
  assert(r.json.hold.status !== 'authorized' || r.json.hold.release_pending,
    `b's hold is released (${JSON.stringify(r.json.hold)})`);

  // a, its return awaited: the deadline extended, then the hold captured.
  await page.goto(BASE() + '/staff/#/rmas/' + a.number);
  await page.getByRole('heading', { level: 1, name: a.number }).waitFor();
  await waitStatus(page, 'Awaiting the return');
  await act(j, 'Extend Deadline', async (f) => {
    await f.getByLabel('Reason').fill('The customer is abroad until next month.');
  });
  await page.locator('#status', { hasText: 'Deadline extended.' }).waitFor();
  r = await staff('supervisor', 'GET', `/api/v1/staff/rmas/${a.number}`);
  assert(Date.parse(r.json.hold.deadline) > Date.parse(heldA.hold.deadline),
    `the deadline moved (${heldA.hold.deadline} to ${r.json.hold.deadline})`);
  await act(j, 'Capture Now', async (f) => {
    await f.getByLabel('Why the hold is charged now').fill('The customer keeps the faulty unit.');
  });
  await page.locator('#status', { hasText: 'Capture requested.' }).waitFor();
  await j.shot('hold-captured');
  r = await staff('supervisor', 'GET', `/api/v1/staff/rmas/${a.number}`);
  const mine = r.json.events.filter((e) => e.actor && e.actor.name === email).map((e) => e.action);
  assert(mine.includes('deadline_extension') && mine.includes('capture_now'),
    `the decisions are the person's (${mine})`);

  // c, waiting for the customer: its RMA number valid 30 days longer.
  await page.goto(BASE() + '/staff/#/rmas/' + c.number);
  await page.getByRole('heading', { level: 1, name: c.number }).waitFor();
  await act(j, 'Extend Validity', async (f) => {
    await f.getByLabel('Days').fill('30');
    await f.getByLabel('Reason').fill('The customer is in hospital.');
  });
  await page.locator('#status', { hasText: 'Validity extended.' }).waitFor();
  r = await staff('supervisor', 'GET', `/api/v1/staff/rmas/${c.number}`);
  assertEq(r.json.policy.validity.extended_days, 30, 'the validity is extended by 30 days');
  await logOut(j);

  // Finance closes b's serial-mismatch exception from the case page; a
  // colleague closed it first: the 409 is shown, with Reload.
  await signIn(j, person('finance'));
  await page.goto(BASE() + '/staff/#/rmas/' + b.number);
  await page.getByRole('heading', { level: 1, name: b.number }).waitFor();
  const open = page.locator('section.exceptions li').filter({ hasText: 'serial mismatch' });
  await open.waitFor();
  const id = await open.getAttribute('data-exception');
  await open.getByRole('button', { name: /^Resolve exception/ }).click();
  const resolve = page.getByRole('form', { name: /^Resolve exception/ });
  await resolve.getByLabel('Outcome').selectOption('closed');
  assert(!(await resolve.getByLabel(/^Amount that moved/).isVisible()), 'no amount when no money moved');
  await resolve.getByLabel('Resolution note').fill('Our unit after all: the serial label was swapped at the factory.');
  const first = await staff('finance', 'POST', `/api/v1/staff/exceptions/${id}/resolve`,
    { outcome: 'closed', note: 'Closed by a colleague.' });
  assertEq(first.status, 200, `a colleague resolves it: ${first.text}`);
  j.expectHttpError(409);
  await resolve.getByRole('button', { name: 'Resolve', exact: true }).click();
  await page.locator('#alert', { hasText: /already resolved/ }).waitFor();
  await screen(j, 'exception-conflict', { fullPage: false });
  await resolve.getByRole('button', { name: 'Reload', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: b.number }).waitFor();
  await page.locator('section.exceptions').waitFor({ state: 'detached' });
}
consoleHoldDecisions.viewport = DESKTOP;

// The warehouse, on a 768 px tablet: the customer's return arrives; its
// tracking number in the scan box opens the case; Receive, Inspect, Ship.
export async function consoleWarehouse(j) {
  const page = j.page;
  const email = person('warehouse');
  const buyer = uniqueEmail('console-return');
  const c = await createCase(buyer, 'replacement', { value: '129.99' });
  const cookie = await customerCookie(buyer);
  const rma = `/api/v1/rmas/${c.number}`;
  await customer(cookie, 'POST', rma + '/agree');
  await customer(cookie, 'POST', rma + '/replacement-method', { method: 'standard' });
  // The replacement ships to the address the customer confirms (SPEC §14).
  await customer(cookie, 'PUT', rma + '/shipping-address', {
    name: 'Console Buyer', line1: '1 Main Street', city: 'Springfield', region: 'IL',
    postal_code: '62701', country: 'US', phone: '+1 217 555 0100',
  });
  const label = await customer(cookie, 'PUT', rma + '/attachments/shipping_label', png(320, 200, 7), 'image/png');
  const receipt = await customer(cookie, 'PUT', rma + '/attachments/postage_receipt', png(200, 300, 8), 'image/png');
  const tracking = 'DPD' + String(Date.now()).slice(-10);
  await customer(cookie, 'POST', rma + '/return-shipment', {
    carrier: 'DPD', tracking_number: tracking, shipping_label_id: label.id,
    postage_receipt_id: receipt.id, acknowledge_data_erasure: true,
  });

  await signIn(j, email);
  const box = page.getByLabel('Scan or type a code');
  await box.waitFor();
  await screen(j, 'warehouse');
  // As a person types it: lower case, with a space.
  await box.fill(`${tracking.slice(0, 6).toLowerCase()} ${tracking.slice(6)}`);
  await box.press('Enter');
  await page.getByRole('heading', { level: 1, name: c.number }).waitFor();
  await waitStatus(page, 'Return on the way');
  const labelImg = page.getByRole('img', { name: /shipping label/ });
  await labelImg.waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('.gallery img')].every((i) => i.complete && i.naturalWidth > 0));
  assertEq(await labelImg.evaluate((i) => i.naturalWidth), 320, 'the shipping label is shown inline');
  await screen(j, 'scanned');
  await act(j, 'Receive', async (form) => {
    await form.getByLabel('Condition').selectOption('good');
    assertEq(await form.getByLabel('Serial number on the unit').inputValue(), c.devices[0].serial_number,
      'the serial number of the case is offered');
  });
  await waitStatus(page, 'Received');
  await act(j, 'Inspect', async (form) => {
    await form.getByLabel('Outcome').selectOption('as_described');
    await form.getByLabel('Notes').fill('Reboots on the bench as described.');
  });
  await page.locator('#status', { hasText: 'Inspection recorded.' }).waitFor();
  // Received and inspected: it waits for its shipment, on the pick list.
  await page.getByRole('link', { name: 'Queues', exact: true }).click();
  await page.getByRole('link', { name: 'Open Awaiting shipment', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Awaiting shipment' }).waitFor();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: c.number, exact: true }) });
  await row.waitFor();
  assert(await page.getByRole('button', { name: 'Print Pick List', exact: true }).isVisible(), 'a pick list to print');
  // The service's pick list page: the case on it, a Print button that the
  // paper does not show.
  const listUrl = await page.getByRole('link', { name: 'Open Pick List', exact: true }).getAttribute('href');
  await page.goto(BASE() + listUrl);
  await page.getByRole('heading', { level: 1, name: 'Pick list' }).waitFor();
  assert(await page.getByRole('row').filter({ hasText: c.number }).isVisible(), 'the case is on the pick list page');
  await screen(j, 'pick-list', { fullPage: false });
  await page.emulateMedia({ media: 'print' });
  assert(!(await page.getByRole('button', { name: 'Print', exact: true }).isVisible()), 'Print is not on the paper');
  j.step++;
  await page.screenshot({ path: path.join(j.dir, `${String(j.step).padStart(2, '0')}-pick-list-page-print.png`), fullPage: true });
  await page.emulateMedia({ media: 'screen' });
  await page.goBack();
  await page.getByRole('heading', { level: 1, name: 'Awaiting shipment' }).waitFor();
  await page.emulateMedia({ media: 'print' });
  assert(!(await page.getByRole('navigation', { name: 'Console' }).isVisible()), 'the pick list prints without the page\'s chrome');
  assert(await row.isVisible(), 'the case is on the printed pick list');
  j.step++;
  await page.screenshot({ path: path.join(j.dir, `${String(j.step).padStart(2, '0')}-pick-list-print.png`), fullPage: true });
  await page.emulateMedia({ media: 'screen' });
  await row.getByRole('link', { name: c.number, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: c.number }).waitFor();
  // The parcel's packing slip (the service's page): the case, the unit the
  // replacement replaces, a Print button the paper does not show.
  const slipUrl = await page.getByRole('link', { name: 'Packing Slip', exact: true }).getAttribute('href');
  await page.goto(BASE() + slipUrl);
  await page.getByRole('heading', { level: 1, name: c.number }).waitFor();
  await page.getByRole('heading', { name: 'Contents' }).waitFor();
  assert((await page.locator('table').textContent()).includes(c.devices[0].serial_number), 'the unit it replaces');
  await screen(j, 'packing-slip');
  await page.emulateMedia({ media: 'print' });
  assert(!(await page.getByRole('button', { name: 'Print', exact: true }).isVisible()), 'Print is not on the slip');
  j.step++;
  await page.screenshot({ path: path.join(j.dir, `${String(j.step).padStart(2, '0')}-packing-slip-print.png`), fullPage: true });
  await page.emulateMedia({ media: 'screen' });
  await page.goBack();
  await page.getByRole('heading', { level: 1, name: c.number }).waitFor();
  await act(j, 'Ship', async (form) => {
    await form.getByLabel('Tracking number').fill('1Z999AA10123456784');
  });
  // Shipped, and with nothing else owed, completed (SPEC §14).
  await waitStatus(page, /Replacement shipped|Completed/);
  await page.getByRole('heading', { name: 'Shipments' }).waitFor();
  await j.shot('shipped');

  // A repair received and inspected: Send Quote with the fee; the
  // customer decides.
  const owner = uniqueEmail('console-repair');
  const rep = await createCase(owner, 'repair');
  const ownerCookie = await customerCookie(owner);
  const repPath = `/api/v1/rmas/${rep.number}`;
  await customer(ownerCookie, 'POST', repPath + '/agree');
  const repLabel = await customer(ownerCookie, 'PUT', repPath + '/attachments/shipping_label', png(320, 200, 31), 'image/png');
  const repReceipt = await customer(ownerCookie, 'PUT', repPath + '/attachments/postage_receipt', png(200, 300, 32), 'image/png');
  await customer(ownerCookie, 'POST', repPath + '/return-shipment', {
    carrier: 'DPD', tracking_number: 'DPD' + String(Date.now() + 7).slice(-10), shipping_label_id: repLabel.id,
    postage_receipt_id: repReceipt.id, acknowledge_data_erasure: true,
  });
  const arrived = await staff('warehouse', 'POST', `/api/v1/staff/rmas/${rep.number}/receipt`,
    { condition: 'good', serial_number: rep.devices[0].serial_number });
  assertEq(arrived.status, 200, `the repair arrives: ${arrived.text}`);
  await page.goto(BASE() + '/staff/#/rmas/' + rep.number);
  await page.getByRole('heading', { level: 1, name: rep.number }).waitFor();
  await waitStatus(page, 'Received');
  // In warranty, a repair is free unless the parcel was packed badly.
  await act(j, 'Inspect', async (form) => {
    await form.getByLabel('Outcome').selectOption('damaged_in_transit');
    await form.getByLabel('Notes').fill('Lens cracked: the camera came back without padding.');
  });
  await page.locator('#status', { hasText: 'Inspection recorded.' }).waitFor();
  await act(j, 'Send Quote', async (form) => {
    await form.getByLabel(/^Repair fee/).fill('49.00');
    await form.getByLabel('What the repair is').fill('A new lens assembly.');
  });
  await page.locator('#status', { hasText: 'Quote sent to the customer.' }).waitFor();
  await waitStatus(page, 'Quote with the customer');
}
consoleWarehouse.viewport = TABLET;

// Finance: the exports page, a period picked, "Download": the same bytes as
// `rmactl export`.  And the finance queues.
export async function consoleFinance(j) {
  const page = j.page;
  const email = person('finance');
  // A customer pays 5.00 of a 9.99 make-up payment: an underpaid claim,
  // a finance exception.
  const buyer = uniqueEmail('console-makeup');
  const c = await createCase(buyer, 'replacement', { makeup: '9.99' });
  const cookie = await customerCookie(buyer);
  const rma = `/api/v1/rmas/${c.number}`;
  await customer(cookie, 'POST', rma + '/agree');
  await customer(cookie, 'POST', rma + '/replacement-method', { method: 'standard' });
  const paid = await fetch(SIM() + '/sim/payments', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    // Two minutes ago: PayPal's search shows a payment after a while.
    body: JSON.stringify({
      amount: { currency_code: 'USD', value: '5.00' }, payer_email: buyer,
      time: new Date(Date.now() - 120e3).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }),
  }).then((r) => r.json());
  const shot = await customer(cookie, 'PUT', rma + '/attachments/payment_receipt', png(300, 160, 9), 'image/png');
  await customer(cookie, 'POST', rma + '/makeup-payment', {
    transaction_id: paid.seller_transaction_id, payment_receipt_id: shot.id,
  });
  const before = await staff('finance', 'GET', `/api/v1/staff/rmas/${c.number}`);
  assertEq(before.json.makeup_payment && before.json.makeup_payment.status, 'underpaid',
    `the claim is short: ${JSON.stringify(before.json.makeup_payment)}`);

  await signIn(j, email);
  await page.getByRole('link', { name: 'Open Make-up claims', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Make-up claims' }).waitFor();
  const card = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: c.number, exact: true }) });
  await card.waitFor();
  const img = card.getByRole('img', { name: /Payment screenshot/ });
  await page.waitForFunction((n) => {
    const i = [...document.querySelectorAll('.claim img')].find((x) => x.alt.includes(n));
    return i && i.complete && i.naturalWidth > 0;
  }, c.number);
  assertEq(await img.evaluate((i) => i.naturalWidth), 300, 'the screenshot beside the PayPal record');
  assert(/\$5\.00/.test(await card.textContent()), 'the amount PayPal has');
  await screen(j, 'claims', { fullPage: false });
  await card.getByLabel('Resolution note').fill('The customer paid the rest by bank transfer, ref. 4471.');
  await card.getByRole('button', { name: 'Resolve', exact: true }).click();
  await page.locator('#status', { hasText: `of ${c.number} resolved` }).waitFor();
  assertEq(await page.getByRole('link', { name: c.number, exact: true }).count(), 0, 'the claim left the queue');
  const r = await staff('finance', 'GET', `/api/v1/staff/rmas/${c.number}`);
  const ex = r.json.makeup_payment.exception;
  assertEq(ex.resolved_by, email, 'resolved under the person\'s address');

  await page.getByRole('link', { name: 'Queues', exact: true }).click();
  await page.getByRole('link', { name: 'Open Exceptions', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Exceptions' }).waitFor();
  await j.shot('exceptions');
  const from = '2026-01-01';
  const to = new Date(Date.now() + 86400e3).toISOString().slice(0, 10);
  await downloadExport(j, 'ledger', from, to, { screens: true });
  // A period the wrong way round is refused before anything is asked.
  await page.getByLabel('To (exclusive)').fill('2025-01-01');
  await page.getByRole('button', { name: 'Download', exact: true }).click();
  await page.locator('#alert', { hasText: /must be after/ }).waitFor();
}
consoleFinance.viewport = DESKTOP;

// One case through the real stack, person after person (issue 17): the
// agent makes a solution from an imported order and submits it; the
// supervisor cannot approve one of their own (four eyes) and approves it;
// the customer agrees in the portal, chooses the standard replacement,
// pays part of the make-up fee and sends the return; the warehouse scans
// its tracking number, receives, inspects and ships; finance resolves the
// make-up exception from "Exceptions" (the service's 422 shown first) and
// downloads the exceptions export, the same bytes as `rmactl export`.
export async function consoleChain(j) {
  const page = j.page;
  const agent = person('agent');
  const supervisor = person('supervisor');
  const warehouse = person('warehouse');
  const finance = person('finance');
  const buyer = uniqueEmail('console-chain');
  const order = importOrder(j, buyer, 'CHAIN');

  // The agent: New Solution, a make-up fee (not on the console's form: the
  // staff API, in the person's session), Submit for Review.
  await signIn(j, agent);
  const serial = 'NVR-CHAIN-' + randomBytes(3).toString('hex').toUpperCase();
  const number = await newSolution(j, order, serial);
  const patched = await page.evaluate(async (n) => (await fetch('/api/v1/staff/rmas/' + n, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'rma-console' },
    body: JSON.stringify({ makeup_due: { currency_code: 'USD', value: '9.99' }, makeup_reason: 'shipping_fee' }),
  })).status, number);
  assertEq(patched, 200, 'the make-up fee is set on the draft');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: number }).waitFor();
  await page.getByRole('button', { name: 'Submit for Review', exact: true }).click();
  await waitStatus(page, 'Pending review');
  await logOut(j);

  // The supervisor: one of their own on the same order is refused (403
  // four_eyes, shown in the service's words); the agent's is approved.
  await signIn(j, supervisor);
  const own = await page.evaluate(async (body) => {
    const h = { 'Content-Type': 'application/json', 'X-Requested-With': 'rma-console' };
    const made = await (await fetch('/api/v1/staff/rmas', { method: 'POST', headers: h, body })).json();
    await fetch(`/api/v1/staff/rmas/${made.number}/submit`, { method: 'POST', headers: { 'X-Requested-With': 'rma-console' } });
    return made.number;
  }, JSON.stringify({
    customer: { email: buyer, name: 'Olga Order' },
    order: {
      order_number: order, sales_channel: 'shop', shipping_country: 'US', currency: 'USD',
      purchase_date: '2026-09-01',
      items: [{ model: 'NVR-8CH', quantity: 1, unit_price: { currency_code: 'USD', value: '649.00' } }],
    },
    kind: 'replacement', problem: 'Channel 2 shows no picture.',
    devices: [{ model: 'NVR-8CH', serial_number: serial + '-B' }],
    replacement_value: { currency_code: 'USD', value: '649.00' },
  }));
  assert(/^RMA-\d{4}-\d{6}$/.test(own || ''), `the supervisor's own case (${own})`);
  await page.goto(BASE() + '/staff/#/rmas/' + own);
  await page.getByRole('heading', { level: 1, name: own }).waitFor();
  await waitStatus(page, 'Pending review');
  j.expectHttpError(403);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.locator('#alert', { hasText: /another supervisor must approve it/ }).waitFor();
  await waitStatus(page, 'Pending review');
  await page.getByRole('link', { name: 'Queues', exact: true }).click();
  await page.getByRole('link', { name: 'Open Pending review', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Pending review' }).waitFor();
  await page.getByRole('link', { name: number, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: number }).waitFor();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await waitStatus(page, 'Waiting for the customer');
  await logOut(j);

  // The customer, in the portal: signs in by the mailed code, Agree,
  // Standard Replacement, 5.00 of the 9.99 fee paid, the return sent.
  await page.goto(BASE() + '/');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('E-mail address').fill(buyer);
  await page.getByRole('button', { name: 'Send Code', exact: true }).click();
  await page.getByLabel('Code from the e-mail').fill(await mailedCode(buyer));
  await page.getByRole('button', { name: 'Log In', exact: true }).click();
  await page.getByRole('heading', { name: 'Your RMA solutions' }).waitFor();
  await page.getByRole('listitem').filter({ hasText: number })
    .getByRole('button', { name: 'Enter', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: number }).waitFor();
  await page.getByRole('button', { name: 'Agree', exact: true }).click();
  await page.getByRole('button', { name: 'Standard Replacement', exact: true }).click();
  await page.locator('#rma-status', { hasText: 'Waiting for your return' }).waitFor();
  // The address the replacement ships to (nothing ships before, SPEC §14).
  await page.getByRole('button', { name: 'Edit Address', exact: true }).click();
  await page.getByLabel('Full name').fill('Chain Customer');
  await page.getByLabel('Address line 1').fill('3 Chain Street');
  await page.getByLabel('City').fill('Springfield');
  await page.getByLabel('Postal code').fill('62701');
  await page.getByLabel('Phone').fill('+1 217 555 0102');
  await page.getByRole('button', { name: 'Save Address', exact: true }).click();
  await page.locator('section.address address', { hasText: '3 Chain Street' }).waitFor();
  await page.locator('#makeup-form').waitFor();
  const paid = await fetch(SIM() + '/sim/payments', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    // Two minutes ago: PayPal's search shows a payment after a while.
    body: JSON.stringify({
      amount: { currency_code: 'USD', value: '5.00' }, payer_email: buyer,
      time: new Date(Date.now() - 120e3).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }),
  }).then((r) => r.json());
  await page.getByLabel('PayPal transaction ID').fill(paid.seller_transaction_id);
  await page.getByLabel('Screenshot of the payment').setInputFiles(
    { name: 'paid.png', mimeType: 'image/png', buffer: png(300, 160, 11) });
  await page.locator('#makeup-form').getByRole('button', { name: 'Submit', exact: true }).click();
  await page.locator('#makeup-outcome').waitFor();
  const tracking = 'DPD' + String(Date.now()).slice(-10);
  const form = page.locator('#return-form');
  await form.waitFor();
  await page.getByLabel('Carrier').fill('DPD');
  await page.getByLabel('Tracking number').fill(tracking);
  await page.getByLabel('Photo of the shipping label').setInputFiles(
    { name: 'label.png', mimeType: 'image/png', buffer: png(320, 200, 12) });
  await page.getByLabel('Postage receipt').setInputFiles(
    { name: 'receipt.png', mimeType: 'image/png', buffer: png(200, 300, 13) });
  const erasure = page.getByLabel(/data on the device may be erased/);
  if (await erasure.count()) await erasure.check();
  await form.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.locator('#rma-status', { hasText: 'Return on its way' }).waitFor();
  await j.shot('chain-customer');
  await page.getByRole('button', { name: 'Log Out', exact: true }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();

  // The warehouse: the return's tracking number in the scan box, Receive,
  // Inspect, Ship.
  await signIn(j, warehouse);
  const box = page.getByLabel('Scan or type a code');
  await box.fill(tracking.toLowerCase());
  await box.press('Enter');
  await page.getByRole('heading', { level: 1, name: number }).waitFor();
  await waitStatus(page, 'Return on the way');
  await act(j, 'Receive', async (f) => {
    await f.getByLabel('Condition').selectOption('good');
    assertEq(await f.getByLabel('Serial number on the unit').inputValue(), serial, 'the case\'s serial is offered');
  });
  await waitStatus(page, 'Received');
  await act(j, 'Inspect', async (f) => {
    await f.getByLabel('Outcome').selectOption('as_described');
    await f.getByLabel('Notes').fill('Loses recordings on the bench.');
  });
  await page.locator('#status', { hasText: 'Inspection recorded.' }).waitFor();
  await act(j, 'Ship', async (f) => {
    await f.getByLabel('Tracking number').fill('1Z999AA10123456784');
  });
  await waitStatus(page, /Replacement shipped|Completed/);
  await logOut(j);

  // Finance: the make-up exception in "Exceptions", resolved as collected;
  // without the amount the service refuses (422) and says why.
  await signIn(j, finance);
  await page.getByRole('link', { name: 'Open Exceptions', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Exceptions' }).waitFor();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: number, exact: true }) });
  await row.waitFor();
  assert(/makeup underpaid/.test(await row.textContent()), `a make-up exception: ${await row.textContent()}`);
  await row.getByRole('button', { name: /^Resolve exception/ }).click();
  const resolve = page.getByRole('form', { name: /^Resolve exception/ });
  await resolve.waitFor();
  await resolve.getByLabel('Outcome').selectOption('collected');
  await resolve.getByLabel('Resolution note').fill('The customer paid the other 4.99 by bank transfer, ref. 5512.');
  j.expectHttpError(422);
  await resolve.getByRole('button', { name: 'Resolve', exact: true }).click();
  await page.locator('#alert', { hasText: /need the amount that moved/ }).waitFor();
  const amount = resolve.getByLabel(/^Amount that moved/);
  assertEq(await amount.getAttribute('aria-invalid'), 'true', 'the amount is marked invalid');
  await screen(j, 'exception-resolve', { fullPage: false });
  await amount.fill('4.99');
  await resolve.getByRole('button', { name: 'Resolve', exact: true }).click();
  await page.locator('#status', { hasText: `of ${number} resolved (collected)` }).waitFor();
  assertEq(await page.getByRole('link', { name: number, exact: true }).count(), 0, 'the exception left the queue');
  const done = await staff('finance', 'GET', '/api/v1/staff/exceptions?status=resolved&kind=makeup_underpaid&limit=500');
  const ex = done.json.exceptions.find((e) => e.rma === number);
  assert(ex, `the resolved exception of ${number}`);
  assertEq(ex.outcome, 'collected', 'resolved as collected');
  assertEq(ex.outcome_amount && ex.outcome_amount.value, '4.99', 'with the amount that moved');
  assertEq(ex.resolved_by, finance, 'under the person\'s address');
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86400e3).toISOString().slice(0, 10);
  const csv = await downloadExport(j, 'exceptions', today, tomorrow);
  assert(csv.includes(number), `the exceptions export has ${number}`);
}
consoleChain.viewport = DESKTOP;

// The admin adds a person and deactivates them; creates a token, shown once.
export async function consoleAdmin(j) {
  const page = j.page;
  const email = person('admin');
  await signIn(j, email);
  await page.getByRole('link', { name: 'Staff', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Staff' }).waitFor();
  const newcomer = uniqueEmail('console-new');
  await page.getByLabel('E-mail address').fill(newcomer);
  await page.getByLabel('Name', { exact: true }).fill('Nina Newcomer');
  await page.getByLabel('Role', { exact: true }).first().selectOption('warehouse');
  await page.getByRole('button', { name: 'Add Person', exact: true }).click();
  await page.getByRole('row', { name: new RegExp(newcomer) }).waitFor();
  // The suite's stack has a person a test: the top of the page only.
  await screen(j, 'admin', { fullPage: false });
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: `Deactivate ${newcomer}`, exact: true }).click();
  await page.getByRole('button', { name: `Deactivate ${newcomer}`, exact: true }).waitFor({ state: 'detached' });
  await page.locator('#status', { hasText: `${newcomer} deactivated.` }).waitFor();
  await page.getByText(/^Deactivated people/).click();
  await page.getByRole('row', { name: new RegExp(newcomer) }).filter({ hasText: 'Deactivated' }).waitFor();
  await page.getByLabel('Name (what uses it)').fill('console-journey-' + randomBytes(3).toString('hex'));
  await page.getByRole('button', { name: 'Create Token', exact: true }).click();
  const token = await page.locator('#new-token-value').textContent();
  assert(/^rma_st_/.test(token), 'the new token is shown once');
  await j.shot('token');
}
consoleAdmin.viewport = DESKTOP;

export const consoleJourneys = {
  consoleAgent, consoleNewSolution, consoleSupervisor, consoleWarehouse, consoleFinance, consoleChain, consoleHoldDecisions,
  consoleAdmin,
};
