// api.js - the console's only way to the service: the staff API (SPEC §7,
// §15) with the console's session cookie (HttpOnly: the browser sends it,
// scripts never see it).  Every mutating request carries
// X-Requested-With: rma-console (CSRF).

const BASE = '/api/v1/staff';
const CSRF = { 'X-Requested-With': 'rma-console' };

// An error answered by the service (or the network), with the §7
// envelope's code, message and field when there was one.
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

function fromEnvelope(status, body, retryAfter) {
  const e = body && body.error ? body.error : null;
  let message = e && e.message ? e.message : `the service answered ${status}`;
  if (status === 429 && retryAfter) message += ` (try again in ${retryAfter} s)`;
  return new ApiError(status, e ? e.code : 'http_' + status, message, e ? e.field : null);
}

// method path [body]: the parsed JSON answer, null for 204; throws ApiError.
export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET') Object.assign(headers, CSRF);
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (err) {
    throw new ApiError(0, 'network', 'the service cannot be reached: check your connection and try again');
  }
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (res.status !== 204 && type.includes('application/json')) {
    try {
      data = await res.json();
    } catch (err) {
      data = null;
    }
  }
  if (!res.ok) {
    const error = fromEnvelope(res.status, data, res.headers.get('Retry-After'));
    if (res.status === 401 && !path.startsWith('/auth/')) onUnauthenticated(error);
    throw error;
  }
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);
export const patch = (path, body) => request('PATCH', path, body);
export const del = (path) => request('DELETE', path);

export const rmaPath = (number, rest = '') =>
  '/rmas/' + encodeURIComponent(number) + rest;
export const attachmentUrl = (number, id) =>
  BASE + rmaPath(number, '/attachments/' + encodeURIComponent(id));
export const exportUrl = (kind) => BASE + '/exports/' + encodeURIComponent(kind) + '.csv';
// The warehouse's paper: HTML pages the service answers, printed from a tab
// of their own.
export const packingSlipUrl = (number) => BASE + rmaPath(number, '/packing-slip');
export const pickListUrl = BASE + '/pick-list';
