// api.js - the portal's only way to the service (SPEC §7): JSON requests
// under /api/v1 and image uploads with progress.  Every mutating request
// carries X-Requested-With: rma-portal (SPEC §12, CSRF).

const BASE = '/api/v1';
const CSRF = { 'X-Requested-With': 'rma-portal' };

// An error answered by the service (or the network), with the §7 envelope's
// code, message and field when there was one.
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

// Called with the error when the service answers 401 (the session ended).
let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

function fromEnvelope(status, body, retryAfter) {
  const e = body && body.error ? body.error : null;
  let message = e && e.message ? e.message : `the service answered ${status}`;
  if (status === 429 && retryAfter) {
    message += ` (try again in ${retryAfter} s)`;
  }
  return new ApiError(status, e ? e.code : 'http_' + status, message,
    e ? e.field : null);
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
    if (res.status === 401 && !path.startsWith('/auth/')) {
      onUnauthenticated(error);
    }
    throw error;
  }
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);

export const rmaPath = (number, rest = '') =>
  '/rmas/' + encodeURIComponent(number) + rest;

// Uploads one image as the raw body of PUT .../attachments/{kind}, calling
// onProgress(loaded, total) as it goes.  Resolves with {id, sha256, bytes,
// media_type}; rejects with ApiError (the server's message when it refused).
export function uploadAttachment(number, kind, blob, mediaType, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', BASE + rmaPath(number, '/attachments/' + encodeURIComponent(kind)));
    xhr.setRequestHeader('X-Requested-With', CSRF['X-Requested-With']);
    xhr.setRequestHeader('Content-Type', mediaType || 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (ev) => {
      if (onProgress) onProgress(ev.loaded, ev.lengthComputable ? ev.total : blob.size);
    });
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch (err) {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(blob.size, blob.size);
        resolve(data);
        return;
      }
      const error = fromEnvelope(xhr.status, data, xhr.getResponseHeader('Retry-After'));
      if (xhr.status === 413 && !(data && data.error)) {
        error.message = 'the file is too large for the service';
      }
      if (xhr.status === 401) onUnauthenticated(error);
      reject(error);
    });
    xhr.addEventListener('error', () =>
      reject(new ApiError(0, 'network', 'the upload failed: check your connection and try again')));
    xhr.addEventListener('abort', () =>
      reject(new ApiError(0, 'aborted', 'the upload was cancelled')));
    xhr.send(blob);
  });
}
