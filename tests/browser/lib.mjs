// lib.mjs - what the browser journeys share: Debian's Chromium driven by
// playwright-core, the stack tests/run-suite started (RMA_TEST_* variables),
// staff requests that set cases up, the sign-in code from the mail spool,
// screenshots of every step, and guards that fail a journey on a console
// error or a Content-Security-Policy violation.

import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

// playwright-core is installed where tests/e2e/browser.sh put it.
const modules = process.env.BROWSER_MODULES || path.dirname(new URL(import.meta.url).pathname);
const { chromium } = createRequire(path.join(modules, 'package.json'))('playwright-core');

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through tests/e2e/browser.sh)`);
  return v;
};

export const BASE = () => env('RMA_TEST_BASE_URL');
export const SIM = () => env('RMA_TEST_SIM_URL');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

export class Skip extends Error {}

export function assert(cond, message) {
  if (!cond) throw new Error('assertion failed: ' + message);
}

export function assertEq(actual, expected, message) {
  if (actual !== expected) {
    throw new Error(`assertion failed: ${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

// ---- the browser ----

let browser = null;
export async function launch() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

export async function closeBrowser() {
  if (browser) await browser.close();
  browser = null;
}

// One journey's page with its guards and its numbered screenshots.
export class Journey {
  constructor(name, dir, viewport) {
    this.name = name;
    this.dir = path.join(dir, name);
    this.viewport = viewport;
    this.step = 0;
    this.problems = [];
    this.expected = []; // HTTP error statuses a step announced
    fs.mkdirSync(this.dir, { recursive: true });
  }

  async open() {
    this.context = await browser.newContext({ viewport: this.viewport, locale: 'en-US', timezoneId: 'America/New_York' });
    this.context.setDefaultTimeout(10000);
    this.page = await this.context.newPage();
    const origin = new URL(BASE()).origin;
    this.page.on('pageerror', (err) => this.problems.push(`page error: ${err.message}`));
    this.page.on('console', (msg) => {
      const where = msg.location() && msg.location().url ? msg.location().url : '';
      const text = msg.text();
      if (/Content.Security.Policy|Refused to/i.test(text)) {
        this.problems.push(`CSP violation: ${text}`);
        return;
      }
      if (msg.type() !== 'error') return;
      if (where && !where.startsWith(origin)) return; // PayPal's page, not ours
      const m = text.match(/status of (\d{3})/);
      if (m) {
        const i = this.expected.indexOf(Number(m[1]));
        if (i >= 0) {
          this.expected.splice(i, 1);
          return;
        }
      }
      this.problems.push(`console error: ${text} (${where})`);
    });
    // CSP violations also as events, in case the console wording changes.
    await this.page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    return this.page;
  }

  // The next failed answer with this status is part of the journey.
  expectHttpError(status) {
    this.expected.push(status);
  }

  async shot(label) {
    this.step++;
    const file = path.join(this.dir, `${String(this.step).padStart(2, '0')}-${label}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  // A main screen at 360 px and at 1280 px (kept in the work dir and, when
  // BROWSER_SCREENSHOT_DIR is set, there as NAME-360.jpg / NAME-1280.jpg:
  // doc/screenshots/ is made so).
  async screen(name) {
    const out = process.env.BROWSER_SCREENSHOT_DIR;
    const before = this.page.viewportSize();
    for (const vp of [PHONE, DESKTOP]) {
      await this.page.setViewportSize(vp);
      await this.page.waitForTimeout(100);
      this.step++;
      const file = path.join(this.dir, `${String(this.step).padStart(2, '0')}-${name}-${vp.width}.png`);
      await this.page.screenshot({ path: file, fullPage: true });
      if (out) {
        fs.mkdirSync(out, { recursive: true });
        await this.page.screenshot({
          path: path.join(out, `${name}-${vp.width}.jpg`), fullPage: true, type: 'jpeg', quality: 80,
        });
      }
    }
    await this.page.setViewportSize(before);
    // Every visible control on a main screen has an accessible name.
    const unnamed = await this.page.evaluate(() => [...document.querySelectorAll(
      'button, input:not([type=hidden]), textarea, select, a[href], [tabindex="0"]')]
      .filter((el) => el.checkVisibility() && !(el.labels && el.labels.length) &&
        !el.textContent.trim() && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => el.outerHTML.slice(0, 100)));
    if (unnamed.length) this.problems.push(`controls without a name on ${name}: ${unnamed.join(', ')}`);
  }

  // Fails on anything the guards saw.
  checkClean() {
    if (this.problems.length) throw new Error(this.problems.join('\n'));
  }

  async close() {
    if (this.context) await this.context.close();
  }
}

// ---- the service, as staff ----

const tokens = {};
export function staffToken(role) {
  if (!tokens[role]) {
    const name = `browser-${role}-${randomBytes(4).toString('hex')}`;
    tokens[role] = execFileSync('rmactl', ['--config', env('RMA_CONFIG'), 'token', 'create',
      '--role', role, '--name', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }
  return tokens[role];
}

export async function staff(role, method, urlPath, body) {
  const res = await fetch(BASE() + urlPath, {
    method,
    headers: {
      Authorization: `Bearer ${staffToken(role)}`,
      'Content-Type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (err) { json = null; }
  return { status: res.status, json, text };
}

export function uniqueEmail(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}@example.com`;
}

// Creates a case for email and makes it wait for the customer
// (pending_confirm): submit, and a supervisor's approval when the review
// policy asks for one.  Returns its detail.
export async function createCase(email, kind, extra = {}) {
  const order = 'SO-' + randomBytes(4).toString('hex').toUpperCase();
  const value = extra.value || '129.99';
  const doc = {
    customer: { email, name: 'Brenda Browser' },
    order: {
      order_number: order, sales_channel: 'web', shipping_country: 'US', currency: 'USD',
      purchase_date: extra.purchase || new Date(Date.now() - 90 * 86400e3).toISOString().slice(0, 10),
      items: [{ model: 'CAM-4K-OUT', quantity: 1, unit_price: { currency_code: 'USD', value } }],
    },
    kind,
    problem: extra.problem || 'The camera does not power on.',
    devices: [{ model: 'CAM-4K-OUT', serial_number: 'SN-BRW-' + randomBytes(2).toString('hex').toUpperCase() }],
  };
  if (kind === 'refund') {
    doc.refund_amount = { currency_code: 'USD', value };
    doc.refund_override_reason = 'full refund agreed by the test';
  }
  else doc.replacement_value = { currency_code: 'USD', value };
  if (extra.makeup) {
    doc.makeup_due = { currency_code: 'USD', value: extra.makeup };
    doc.makeup_reason = 'shipping_fee';
  }
  let r = await staff('agent', 'POST', '/api/v1/staff/rmas', doc);
  assertEq(r.status, 201, `creating a case: ${r.text}`);
  const number = r.json.number;
  r = await staff('agent', 'POST', `/api/v1/staff/rmas/${number}/submit`);
  assertEq(r.status, 200, `submitting ${number}: ${r.text}`);
  if (r.json.status === 'pending_review') {
    r = await staff('supervisor', 'POST', `/api/v1/staff/rmas/${number}/approve`);
    assertEq(r.status, 200, `approving ${number}: ${r.text}`);
  }
  assertEq(r.json.status, 'pending_confirm', `${number} waits for the customer`);
  return r.json;
}

// Whether the service has this customer endpoint yet: without a session a
// known route answers 401 or 403, an unknown one 404.
export async function hasEndpoint(method, urlPath) {
  const res = await fetch(BASE() + urlPath, { method, redirect: 'manual' });
  await res.arrayBuffer();
  return res.status !== 404 && res.status !== 405;
}

// The newest sign-in code mailed to email, waiting up to 5 s.
export async function mailedCode(email) {
  const dir = path.join(env('RMA_TEST_RUN'), 'mail');
  for (let i = 0; i < 50; i++) {
    let best = null;
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      if (!f.endsWith('.eml')) continue;
      const file = path.join(dir, f);
      const text = fs.readFileSync(file, 'utf8');
      if (!new RegExp(`^To:.*${email.replace(/[.+]/g, '\\$&')}`, 'mi').test(text)) continue;
      const m = text.match(/^Code: (\d{6})/m);
      const t = fs.statSync(file).mtimeMs;
      if (m && (!best || t >= best.t)) best = { t, code: m[1] };
    }
    if (best) return best.code;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no sign-in code was mailed to ${email}`);
}

// ---- pictures made here, so that no fixture can drift ----

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

// A real w x h RGB PNG (a gradient, so that two pictures differ).
export function png(w = 64, h = 48, seed = 0) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 4 + seed) & 255;
      raw[o + 1] = (y * 5 + seed * 3) & 255;
      raw[o + 2] = (seed * 7) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

// A small PDF document (what a customer might send instead of a picture).
export function pdf() {
  return Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
}

// A file of n bytes that starts like a JPEG (for the size limits).
export function jpegLike(n) {
  const b = Buffer.alloc(n, 0x20);
  b[0] = 0xff; b[1] = 0xd8; b[2] = 0xff; b[3] = 0xe0;
  return b;
}
