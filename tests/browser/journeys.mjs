// journeys.mjs - the customer's journeys through the portal (SPEC §9),
// each in a fresh browser context on the stack tests/run-suite started.
// Controls are found by their accessible names, as a person finds them.
// A journey whose endpoints the service does not have yet throws Skip and
// is reported as skipped, naming what is missing.

import {
  BASE, SIM, PHONE, DESKTOP, Skip, assert, assertEq, createCase, staff, uniqueEmail,
  mailedCode, hasEndpoint, png, pdf, jpegLike,
} from './lib.mjs';

// ---- steps shared by the journeys ----

async function login(j, email, { screens = false } = {}) {
  const page = j.page;
  await page.goto(BASE() + '/');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  if (screens) await j.screen('login');
  await page.getByLabel('E-mail address').fill(email);
  await page.getByRole('button', { name: 'Send Code', exact: true }).click();
  const code = page.getByLabel('Code from the e-mail');
  await code.waitFor();
  await j.shot('code-sent');
  await code.fill(await mailedCode(email));
  await page.getByRole('button', { name: 'Log In', exact: true }).click();
  await page.getByRole('heading', { name: 'Your RMA solutions' }).waitFor();
  await j.shot('list');
}

async function enter(j, number) {
  const page = j.page;
  await page.getByRole('listitem').filter({ hasText: number })
    .getByRole('button', { name: 'Enter', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: number }).waitFor();
}

async function backToList(j) {
  await j.page.getByRole('link', { name: /All solutions/ }).click();
  await j.page.getByRole('heading', { name: 'Your RMA solutions' }).waitFor();
}

const statusText = (page) => page.locator('#rma-status').textContent();

async function waitStatus(page, text) {
  await page.locator('#rma-status', { hasText: text }).waitFor();
}

async function editAddress(j, { screens = false } = {}) {
  const page = j.page;
  await page.getByRole('button', { name: 'Edit Address', exact: true }).click();
  const country = page.getByLabel('Country', { exact: true });
  await country.waitFor();
  assertEq(await country.inputValue(), 'US', 'the country shown is the order\'s');
  assert(await country.evaluate((el) => el.readOnly || el.disabled), 'the country control is locked');
  // Typing into it changes nothing.
  await country.press('End');
  await page.keyboard.type('CA', { delay: 10 });
  assertEq(await country.inputValue(), 'US', 'typing does not change the country');
  await page.getByLabel('Full name').fill('Brenda Browser');
  await page.getByLabel('Address line 1').fill('1 Test Street');
  await page.getByLabel('City').fill('Springfield');
  await page.getByLabel('State or region (optional)').fill('IL');
  await page.getByLabel('Postal code').fill('62701');
  await page.getByLabel('Phone').fill('+1 217 555 0100');
  if (screens) await j.screen('address');
  await page.getByRole('button', { name: 'Save Address', exact: true }).click();
  await page.locator('section.address address', { hasText: '1 Test Street' }).waitFor();
  await j.shot('address-saved');
}

// A country changed in spite of the lock is refused by the service (422)
// and its message is shown and announced.
async function tamperCountry(j) {
  const page = j.page;
  await page.getByRole('button', { name: 'Edit Address', exact: true }).click();
  const country = page.getByLabel('Country', { exact: true });
  await country.evaluate((el) => { el.readOnly = false; el.disabled = false; el.value = 'CA'; });
  j.expectHttpError(422);
  await page.getByRole('button', { name: 'Save Address', exact: true }).click();
  const alert = page.locator('#alert');
  await alert.filter({ hasText: /country cannot change/ }).waitFor();
  assert(/ships to US/.test(await alert.textContent()), 'the service\'s message names the country');
  assertEq(await country.getAttribute('aria-invalid'), 'true', 'the country is marked invalid');
  await j.shot('country-refused');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
}

async function logout(j) {
  const page = j.page;
  await page.getByRole('button', { name: 'Log Out', exact: true }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await j.shot('logged-out');
  // The session is revoked, not only forgotten by the page.
  j.expectHttpError(401);
  const status = await page.evaluate(async () =>
    (await fetch('/api/v1/rmas', { credentials: 'same-origin' })).status);
  assertEq(status, 401, 'the session is revoked after Log Out');
}

// Uploads the return information through the form and submits it.
async function submitReturn(j, { status = 'Return on its way' } = {}) {
  const page = j.page;
  const form = page.locator('#return-form');
  await form.waitFor();
  await page.getByLabel('Carrier').fill('UPS');
  await page.getByLabel('Tracking number').fill('1Z999AA10123456784');
  await page.getByLabel('Photo of the shipping label').setInputFiles(
    { name: 'label.png', mimeType: 'image/png', buffer: png(320, 200, 1) });
  await page.getByLabel('Postage receipt').setInputFiles(
    { name: 'receipt.png', mimeType: 'image/png', buffer: png(200, 300, 2) });
  const erasure = page.getByLabel(/data on the device may be erased/);
  if (await erasure.count()) await erasure.check();
  await j.shot('return-filled');
  await form.getByRole('button', { name: 'Submit', exact: true }).click();
  if (status === 'Return on its way') await waitStatus(page, status);
  else await page.locator('#return-form').waitFor({ state: 'detached' });
  await j.shot('return-submitted');
}

// ---- the journeys ----

// Log in, Disagree with a comment on one solution, Agree on another, choose
// Advanced Replacement, edit the address with the country locked (and a
// tampered country refused by the service), Log Out.  At 360 px.
export async function answers(j) {
  const page = j.page;
  const email = uniqueEmail('portal-answers');
  const a = await createCase(email, 'replacement', { problem: 'The picture is blurry at night.' });
  const b = await createCase(email, 'replacement');
  await login(j, email);
  for (const n of [a.number, b.number]) {
    assert(await page.getByRole('listitem').filter({ hasText: n }).isVisible(), `${n} is listed`);
  }

  await enter(j, a.number);
  await j.shot('detail-a');
  assertEq(await statusText(page), 'Waiting for your answer', 'the status of a new solution');
  assert(await page.getByText(/S\/N:/).first().isVisible(), 'the serial number is shown');
  await page.getByRole('button', { name: 'Disagree', exact: true }).click();
  const comment = page.getByLabel('Why do you disagree?');
  await comment.waitFor();
  // An empty comment is refused before anything is sent.
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.locator('#alert', { hasText: 'Write a comment' }).waitFor();
  await comment.fill('I would rather have a refund: I bought another camera meanwhile.');
  await j.screen('disagree');
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await waitStatus(page, 'You disagreed');
  await page.locator('#timeline blockquote', { hasText: 'I would rather have a refund' }).waitFor();
  assert(!(await page.getByRole('button', { name: 'Agree', exact: true }).count()), 'no Agree once disagreed');
  await j.shot('disagreed');

  await backToList(j);
  await enter(j, b.number);
  await page.getByRole('button', { name: 'Agree', exact: true }).click();
  await waitStatus(page, 'Confirmed');
  await page.getByRole('button', { name: 'Standard Replacement', exact: true }).waitFor();
  await j.shot('method-choice');
  await page.getByRole('button', { name: 'Advanced Replacement', exact: true }).click();
  await waitStatus(page, 'Waiting for the PayPal pre-authorization');
  await j.shot('advanced-chosen');
  await editAddress(j);
  await tamperCountry(j);
  // The address kept is the one saved before.
  await page.reload();
  await page.locator('section.address address', { hasText: '1 Test Street' }).waitFor();
  await logout(j);
}
answers.viewport = PHONE;

// A PDF renamed .jpg is refused by the portal before sending, and by the
// service (415) when the portal's check is bypassed; the limits of count
// and size are checked before sending too.
export async function rejectedUpload(j) {
  if (!(await hasEndpoint('PUT', '/api/v1/rmas/RMA-2026-000001/attachments/shipping_label'))) {
    throw new Skip('the service has no PUT /api/v1/rmas/{number}/attachments/{kind} yet');
  }
  const page = j.page;
  const email = uniqueEmail('portal-upload');
  const c = await createCase(email, 'replacement');
  await login(j, email);
  await enter(j, c.number);
  await page.getByRole('button', { name: 'Agree', exact: true }).click();
  await page.getByRole('button', { name: 'Standard Replacement', exact: true }).click();
  await waitStatus(page, 'Waiting for your return');
  await page.locator('#return-form').waitFor();

  const puts = [];
  page.on('request', (r) => { if (r.method() === 'PUT' && r.url().includes('/attachments/')) puts.push(r.url()); });
  const label = page.getByLabel('Photo of the shipping label');
  await label.setInputFiles({ name: 'label.jpg', mimeType: 'image/jpeg', buffer: pdf() });
  await page.locator('#alert', { hasText: 'label.jpg is not a JPEG, PNG or WEBP picture' }).waitFor();
  assertEq(await label.getAttribute('aria-invalid'), 'true', 'the file input is marked invalid');
  await j.shot('pdf-refused-by-portal');
  await page.getByLabel('Carrier').fill('UPS');
  await page.getByLabel('Tracking number').fill('1Z999AA10123456784');
  await page.getByLabel('Postage receipt').setInputFiles(
    { name: 'receipt.png', mimeType: 'image/png', buffer: png() });
  await page.locator('#return-form').getByRole('button', { name: 'Submit', exact: true }).click();
  await page.locator('#alert', { hasText: 'is not a JPEG, PNG or WEBP picture' }).waitFor();
  assertEq(puts.length, 0, 'nothing was sent');

  // 10 MiB passes the portal's check, one byte more does not.
  const limit = 10 * 1024 * 1024;
  const verdict = (buf, name) => page.evaluate(async ({ bytes, name }) => {
    const { checkImage } = await import('/js/images.js?v=1');
    const file = new File([new Uint8Array(bytes)], name, { type: 'image/jpeg' });
    return checkImage(file);
  }, { bytes: [...buf], name });
  const small = await verdict(jpegLike(64), 'small.jpg');
  assert(small.ok, 'a small JPEG-looking file passes the portal\'s check');
  await label.setInputFiles({ name: 'big.jpg', mimeType: 'image/jpeg', buffer: jpegLike(limit + 1) });
  await page.locator('#alert', { hasText: 'big.jpg is 10.0 MB: a picture may be at most 10 MB' }).waitFor();
  await label.setInputFiles({ name: 'exact.jpg', mimeType: 'image/jpeg', buffer: jpegLike(limit) });
  await page.waitForTimeout(300);
  assertEq(await label.getAttribute('aria-invalid'), null, 'exactly 10 MiB passes the portal\'s check');
  // A sixth picture: label + receipt + 4 photos.
  await label.setInputFiles({ name: 'label.png', mimeType: 'image/png', buffer: png(32, 32, 9) });
  await page.getByLabel('Product photos (optional)').setInputFiles([1, 2, 3, 4].map((i) => (
    { name: `photo${i}.png`, mimeType: 'image/png', buffer: png(16, 16, i) })));
  await page.locator('#alert', { hasText: 'You chose 6 pictures: send at most 5 at once' }).waitFor();
  await j.shot('six-pictures-refused');
  assertEq(puts.length, 0, 'still nothing was sent');

  // The portal's check bypassed: the service refuses the PDF with 415 and
  // the portal's uploader reports the service's message.
  j.expectHttpError(415);
  const bypass = await page.evaluate(async ({ number, bytes }) => {
    const api = await import('/js/api.js?v=1');
    try {
      await api.uploadAttachment(number, 'shipping_label', new Blob([new Uint8Array(bytes)]), 'image/jpeg');
      return { status: 201 };
    } catch (err) {
      return { status: err.status, message: err.message, code: err.code };
    }
  }, { number: c.number, bytes: [...pdf()] });
  assertEq(bypass.status, 415, `the service refuses a PDF sent as image/jpeg (${bypass.message})`);
  assert(bypass.message && !/answered 415/.test(bypass.message), `the service says why: ${bypass.message}`);

  // A file that looks like a JPEG to the portal but is not one: sent, and
  // the service's refusal shown next to the form.
  await page.getByLabel('Product photos (optional)').setInputFiles([]);
  await label.setInputFiles({ name: 'fake.jpg', mimeType: 'image/jpeg', buffer: jpegLike(2048) });
  await page.waitForTimeout(200);
  await page.getByLabel(/data on the device may be erased/).check();
  j.expectHttpError(415);
  await page.locator('#return-form').getByRole('button', { name: 'Submit', exact: true }).click();
  await page.locator('#upload-progress li.failed').waitFor();
  const shown = await page.locator('#alert').textContent();
  assert(/^The shipping label \(fake\.jpg\): only JPEG, PNG and WEBP pictures are accepted/.test(shown),
    `the service's refusal is shown, naming the file: ${shown}`);
  await j.shot('fake-jpeg-refused-by-service');
  assertEq(await statusText(page), 'Waiting for your return', 'nothing was submitted');
}
rejectedUpload.viewport = DESKTOP;

// The advanced replacement end to end: Agree, Advanced Replacement, the
// address, the agreement, Continue to PayPal, "Approve" on the simulator's
// page, back with the hold and the deadline, the return information, a
// make-up payment.  At 1280 px; main screens also at 360 px.
export async function advanced(j) {
  if (!(await hasEndpoint('POST', '/api/v1/rmas/RMA-2026-000001/preauthorization'))) {
    throw new Skip('the service has no POST /api/v1/rmas/{number}/preauthorization yet');
  }
  const page = j.page;
  const email = uniqueEmail('portal-advanced');
  const c = await createCase(email, 'replacement', { value: '129.99' });
  await login(j, email, { screens: true });
  await j.screen('list');
  await enter(j, c.number);
  await j.screen('detail');
  await page.getByRole('button', { name: 'Agree', exact: true }).click();
  await page.getByRole('button', { name: 'Advanced Replacement', exact: true }).waitFor();
  await j.screen('method');
  await page.getByRole('button', { name: 'Advanced Replacement', exact: true }).click();
  await waitStatus(page, 'Waiting for the PayPal pre-authorization');
  await editAddress(j, { screens: true });

  const go = page.getByRole('button', { name: 'Continue to PayPal', exact: true });
  await go.waitFor();
  assert(await page.locator('#agreement').isVisible(), 'the agreement text is shown');
  await j.screen('preauthorization');
  await go.click();
  await page.locator('#alert', { hasText: 'Accept the pre-authorization agreement' }).waitFor();
  await page.getByLabel(/I have read and accept the pre-authorization agreement/).check();
  // First the customer changes their mind on PayPal's page ...
  await go.click();
  await page.waitForURL((u) => u.origin === new URL(SIM()).origin);
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await page.locator('#alert', { hasText: 'You cancelled on PayPal, so no hold was placed' }).waitFor();
  await waitStatus(page, 'Waiting for the PayPal pre-authorization');
  assert(!(await page.locator('#hold-amount').count()) ||
    !/On hold/.test(await page.locator('#hold-status').textContent()), 'no hold after Cancel');
  await j.shot('paypal-cancelled');
  // ... then approves.
  await page.getByLabel(/I have read and accept the pre-authorization agreement/).check();
  await go.click();
  await page.waitForURL((u) => u.origin === new URL(SIM()).origin);
  const approve = page.getByRole('button', { name: 'Approve', exact: true });
  await approve.waitFor();
  assert(/129\.99/.test(await page.locator('#amount').textContent()), 'PayPal shows the hold amount');
  await j.shot('paypal-approval');
  await approve.click();
  await page.waitForURL((u) => u.origin === new URL(BASE()).origin && u.hash.includes(c.number));
  await page.locator('#hold-amount').waitFor();
  assertEq(await page.locator('#hold-amount').textContent(), '$129.99', 'the hold amount');
  const deadline = page.locator('#deadline');
  const utc = await deadline.getAttribute('datetime');
  assert(/Z$/.test(utc), `the deadline is UTC: ${utc}`);
  assert((await deadline.getAttribute('title')).includes(utc), 'the UTC deadline is in the tooltip');
  const days = (Date.parse(utc) - Date.now()) / 86400e3;
  assert(days > 24 && days <= 25.01, `the deadline is 25 days away (${days.toFixed(2)})`);
  assert(/^2[45] days \d+ hours? left$/.test(await page.locator('#countdown').textContent()),
    'the deadline counts down');
  await j.screen('hold');

  // The warehouse ships the replacement; then the return is due.
  const ship = await staff('warehouse', 'POST', `/api/v1/staff/rmas/${c.number}/shipments`,
    { carrier: 'UPS', tracking_number: '1Z999AA10000000001' });
  if (ship.status === 404 && /no such endpoint/.test(ship.text)) {
    throw new Skip('verified up to the hold; the service has no staff shipments endpoint yet');
  }
  assert(ship.status >= 200 && ship.status < 300, `shipping: ${ship.status} ${ship.text}`);
  if (!(await hasEndpoint('POST', '/api/v1/rmas/RMA-2026-000001/return-shipment'))) {
    throw new Skip('verified up to the shipment; the service has no return-shipment endpoint yet');
  }
  await page.reload();
  await page.locator('#return-form').waitFor();
  // The replacement's parcel, with the carrier's tracking link.
  const parcel = page.locator('#shipments').getByRole('link', { name: /1Z999AA10000000001/ });
  assertEq(await parcel.getAttribute('href'), 'https://www.ups.com/track?tracknum=1Z999AA10000000001',
    'the tracking link');
  await j.screen('return');
  await submitReturn(j);
  await j.screen('timeline');
}
advanced.viewport = DESKTOP;

// A make-up payment: the customer paid the vendor (the simulator records
// the payment), submits the transaction id and a screenshot, and sees the
// reconciliation outcome.
export async function makeup(j) {
  if (!(await hasEndpoint('POST', '/api/v1/rmas/RMA-2026-000001/makeup-payment'))) {
    throw new Skip('the service has no POST /api/v1/rmas/{number}/makeup-payment yet');
  }
  const page = j.page;
  const email = uniqueEmail('portal-makeup');
  const c = await createCase(email, 'replacement', { makeup: '9.99' });
  await login(j, email);
  await enter(j, c.number);
  await page.getByRole('button', { name: 'Agree', exact: true }).click();
  await page.getByRole('button', { name: 'Standard Replacement', exact: true }).click();
  await waitStatus(page, 'Waiting for your return');
  const actions = await page.evaluate(async (n) =>
    (await (await fetch('/api/v1/rmas/' + n)).json()).actions, c.number);
  assert(actions.includes('submit_makeup_payment'),
    `the detail's actions offer submit_makeup_payment, for which the portal shows the form (${actions})`);
  await page.locator('#makeup-form').waitFor();
  // The portal names who to pay (makeup_payee) and links the invoice.
  assert((await page.locator('#makeup-payee').textContent()).includes('payments@vendor.example'),
    'the make-up payment names the payee');
  assertEq(await page.getByRole('link', { name: 'Get an invoice for this payment' }).getAttribute('href'),
    'https://vendor.example/rma-invoice', 'the invoice link');
  const paid = await fetch(SIM() + '/sim/payments', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ amount: { currency_code: 'USD', value: '9.99' }, payer_email: email }),
  }).then((r) => r.json());
  await page.getByLabel('PayPal transaction ID').fill(paid.buyer_transaction_id || paid.seller_transaction_id);
  await page.getByLabel('Screenshot of the payment').setInputFiles(
    { name: 'paid.png', mimeType: 'image/png', buffer: png(300, 160, 5) });
  await j.screen('makeup');
  await page.locator('#makeup-form').getByRole('button', { name: 'Submit', exact: true }).click();
  await page.locator('#makeup-outcome').waitFor();
  await j.shot('makeup-outcome');
}
makeup.viewport = PHONE;

// A refund: Agree, then the return information; the refund follows the
// return.
export async function refund(j) {
  const page = j.page;
  const email = uniqueEmail('portal-refund');
  const c = await createCase(email, 'refund', { value: '89.99' });
  await login(j, email);
  await enter(j, c.number);
  assertEq(await page.locator('#amount-refund').textContent(), '$89.99', 'the refund amount');
  assert(!(await page.getByRole('button', { name: 'Edit Address', exact: true }).count()), 'a refund has no shipping address');
  await page.getByRole('button', { name: 'Agree', exact: true }).click();
  await waitStatus(page, 'Waiting for your return');
  await j.shot('refund-agreed');
  if (!(await hasEndpoint('POST', '/api/v1/rmas/RMA-2026-000001/return-shipment')) ||
      !(await hasEndpoint('PUT', '/api/v1/rmas/RMA-2026-000001/attachments/shipping_label'))) {
    throw new Skip('verified up to Agree; the service has no attachments or return-shipment endpoints yet');
  }
  // Where to send it, and how to pack it.
  await page.locator('#packing-guidance summary').click();
  assert(/original box/.test(await page.locator('#packing-guidance').textContent()), 'the packing guidance');
  assert((await page.locator('.ship-to').textContent()).includes(c.number), 'the parcel is marked with the RMA number');
  await submitReturn(j);
  const rec = await staff('warehouse', 'POST', `/api/v1/staff/rmas/${c.number}/receipt`, {
    condition: 'good', serial_number: c.devices[0].serial_number,
  });
  if (rec.status === 404 && /no such endpoint/.test(rec.text)) {
    throw new Skip('verified up to the return; the service has no staff receipt endpoint yet');
  }
  assert(rec.status >= 200 && rec.status < 300, `receipt: ${rec.status} ${rec.text}`);
  await page.reload();
  await page.locator('#rma-status').waitFor();
  assert(/Return received|Refund being paid|Completed/.test(await statusText(page)),
    `after the receipt: ${await statusText(page)}`);
  await j.shot('refund-after-receipt');
  // The order was not paid with PayPal: finance pays it out; the customer
  // sees it paid and the case completed.
  const paid = await staff('finance', 'POST', `/api/v1/staff/rmas/${c.number}/refund-payout`, {
    amount: { currency_code: 'USD', value: '89.99' }, reference: 'BANK-TRANSFER-42',
  });
  assertEq(paid.status, 200, `refund payout: ${paid.text}`);
  await page.reload();
  await waitStatus(page, 'Completed');
  assert(/^Paid.*\$89\.99/.test(await page.locator('#refund-status').textContent()),
    `the refund is shown paid: ${await page.locator('#refund-status').textContent()}`);
  await j.screen('refund-paid');
}
refund.viewport = PHONE;

// Keyboard only: the login form and the list are reachable and operable
// with Tab and Enter, and the focused control is visibly outlined.
export async function keyboard(j) {
  const page = j.page;
  const email = uniqueEmail('portal-keys');
  const c = await createCase(email, 'refund');
  await page.goto(BASE() + '/');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  // The e-mail field has the focus; Enter submits (Send Code).
  assertEq(await page.evaluate(() => document.activeElement.id), 'login-email', 'focus starts on the e-mail');
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { name: document.activeElement.textContent, style: s.outlineStyle, width: s.outlineWidth };
  });
  assertEq(outline.name, 'Send Code', 'Tab reaches Send Code');
  assert(outline.style !== 'none' && outline.width !== '0px', `a visible focus ring (${outline.style} ${outline.width})`);
  await j.shot('focus-send-code');
  await page.keyboard.press('Enter');
  await page.getByLabel('Code from the e-mail').waitFor();
  assertEq(await page.evaluate(() => document.activeElement.id), 'login-code', 'focus moves to the code');
  await page.keyboard.type(await mailedCode(email));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your RMA solutions' }).waitFor();
  // Tab until "Enter" of the case, then Enter opens it.
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    const name = await page.evaluate(() => document.activeElement.textContent);
    if (name === 'Enter') break;
  }
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: c.number }).waitFor();
  await j.shot('entered-by-keyboard');
  // Every control has an accessible name.
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('button, input, textarea, a[href]')]
    .filter((el) => !el.labels?.length && !el.textContent.trim() && !el.getAttribute('aria-label'))
    .map((el) => el.outerHTML.slice(0, 80)));
  assertEq(unnamed.length, 0, `controls without a name: ${unnamed.join(', ')}`);
}
keyboard.viewport = DESKTOP;

// An out-of-warranty repair: the warehouse quotes it; the customer sees the
// price and decides with "Approve Quote" (then a make-up payment is due) or
// "Decline Quote".  At 360 px and, declining, at 1280 px.
async function quoteJourney(j, decision) {
  const page = j.page;
  const email = uniqueEmail('portal-quote');
  const c = await createCase(email, 'repair', { purchase: '2021-01-15' });
  await login(j, email);
  await enter(j, c.number);
  await page.getByRole('button', { name: 'Agree', exact: true }).click();
  await waitStatus(page, 'Waiting for your return');
  const rec = await staff('warehouse', 'POST', `/api/v1/staff/rmas/${c.number}/receipt`, {
    condition: 'used', serial_number: c.devices[0].serial_number,
  });
  assert(rec.status === 200, `receipt: ${rec.status} ${rec.text}`);
  const q = await staff('warehouse', 'POST', `/api/v1/staff/rmas/${c.number}/quote`, {
    amount: { currency_code: 'USD', value: '45.00' }, notes: 'New power board.',
  });
  assert(q.status === 200 || q.status === 201, `quote: ${q.status} ${q.text}`);
  await page.reload();
  await page.locator('#quote-amount').waitFor();
  assertEq(await page.locator('#quote-amount').textContent(), '$45.00', 'the quoted price');
  await j.screen('quote');
  const button = decision === 'approve' ? 'Approve Quote' : 'Decline Quote';
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.locator('#quote-status', { hasText: decision === 'approve' ? 'You approved' : 'You declined' }).waitFor();
  assert(!(await page.getByRole('button', { name: 'Approve Quote', exact: true }).count()),
    'no decision buttons once decided');
  await j.shot('quote-decided');
}

export async function quoteApproved(j) {
  await quoteJourney(j, 'approve');
}
quoteApproved.viewport = PHONE;

export async function quoteDeclined(j) {
  await quoteJourney(j, 'decline');
}
quoteDeclined.viewport = DESKTOP;

// The return that arrives after the hold was charged: the portal still
// takes its information; once the unit is in and inspected, a supervisor
// refunds part of the charge (the agreement's clause 4) and the customer
// sees it.  At 360 px (main screens also at 1280).
export async function lateReturn(j) {
  const page = j.page;
  const email = uniqueEmail('portal-late');
  const c = await createCase(email, 'replacement', { value: '129.99' });
  let r = await staff('agent', 'PUT', `/api/v1/staff/rmas/${c.number}/shipping-address`, {
    name: 'Brenda Browser', line1: '1 Main Street', city: 'Springfield', region: 'IL',
    postal_code: '62701', country: 'US', phone: '+1 217 555 0100',
  });
  assertEq(r.status, 200, `the agent confirms the address: ${r.text}`);
  await login(j, email);
  // The hold, through the API with the page's session.
  const order = await page.evaluate(async (n) => {
    const h = { 'Content-Type': 'application/json', 'X-Requested-With': 'rma-portal' };
    const post = (p, b) => fetch(`/api/v1/rmas/${n}${p}`, { method: 'POST', headers: h, body: b && JSON.stringify(b) });
    await post('/agree');
    const m = await (await post('/replacement-method', { method: 'advanced' })).json();
    const pre = await post('/preauthorization', { accept_terms: true, terms_version: m.preauthorization.terms_version });
    return (await pre.json()).order_id;
  }, c.number);
  assert(order, 'a PayPal order');
  await fetch(SIM() + `/sim/orders/${order}/approve`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
  });
  await page.goto(BASE() + `/api/v1/paypal/return?token=${order}&PayerID=LATE1`);
  await page.locator('#hold-amount').waitFor();
  r = await staff('warehouse', 'POST', `/api/v1/staff/rmas/${c.number}/shipments`,
    { carrier: 'UPS', tracking_number: '1Z999AA10000000002' });
  assertEq(r.status, 200, `shipping: ${r.text}`);
  r = await staff('supervisor', 'POST', `/api/v1/staff/rmas/${c.number}/capture-now`,
    { reason: 'The return did not come.' });
  assertEq(r.status, 200, `capture: ${r.text}`);
  await page.reload();
  await waitStatus(page, 'Hold charged');
  assert(/You can still send the unit back/.test(await page.locator('#next-step').textContent()),
    'the portal says the unit may still come back');
  await j.screen('late-return');
  await submitReturn(j, { status: 'Hold charged' });
  r = await staff('warehouse', 'POST', `/api/v1/staff/rmas/${c.number}/receipt`, {
    condition: 'used', serial_number: c.devices[0].serial_number,
  });
  assertEq(r.status, 200, `receipt: ${r.text}`);
  r = await staff('warehouse', 'POST', `/api/v1/staff/rmas/${c.number}/inspection`, {
    outcome: 'damaged_in_transit', notes: 'Cracked lens.',
  });
  assert(r.status === 200 || r.status === 201, `inspection: ${r.status} ${r.text}`);
  r = await staff('supervisor', 'POST', `/api/v1/staff/rmas/${c.number}/capture-refund`, {
    amount: { currency_code: 'USD', value: '100.00' }, reason: 'Cracked lens: 29.99 kept.',
  });
  assertEq(r.status, 200, `the supervisor's refund: ${r.text}`);
  await page.reload();
  await waitStatus(page, 'Completed');
  assert((await page.locator('.hold').textContent()).includes('$100.00'), 'the refund is shown');
  await j.screen('late-return-refunded');
}
lateReturn.viewport = PHONE;

// An agent asks for a proof of purchase; the customer uploads a picture of
// the receipt from the portal.  At 1280 px (main screens also at 360).
export async function proofOfPurchase(j) {
  const page = j.page;
  const email = uniqueEmail('portal-proof');
  const c = await createCase(email, 'refund', { value: '59.99' });
  const asked = await staff('agent', 'POST', `/api/v1/staff/rmas/${c.number}/request-proof-of-purchase`,
    { note: 'The order number on your receipt does not match ours.' });
  assertEq(asked.status, 200, `the agent asks: ${asked.text}`);
  await login(j, email);
  await enter(j, c.number);
  await page.locator('#proof-form').waitFor();
  assert((await page.locator('#proof-note').textContent()).includes('does not match ours'), "the agent's words");
  await j.screen('proof-of-purchase');
  await page.getByLabel('Receipt or invoice').setInputFiles(
    { name: 'receipt.png', mimeType: 'image/png', buffer: png(400, 600, 9) });
  await page.locator('#proof-form').getByRole('button', { name: 'Upload', exact: true }).click();
  await page.locator('#proof-status', { hasText: 'Received' }).waitFor();
  await j.shot('proof-uploaded');
}
proofOfPurchase.viewport = DESKTOP;

export const journeys = {
  answers, rejectedUpload, advanced, makeup, refund, keyboard, quoteApproved, quoteDeclined,
  lateReturn, proofOfPurchase,
};
