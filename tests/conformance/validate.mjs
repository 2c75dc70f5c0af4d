// validate.mjs - checks recorded PayPal exchanges against PayPal's OpenAPI
// documents: the client's requests (query parameters, PayPal-Request-Id and
// the JSON body) and the simulator's responses (the body for that status).
//
//   node validate.mjs RECORD.jsonl [OPENAPI_DIR]
//
// RECORD is what `paypal-sim --record` writes: one JSON object per line with
// method, path, query, request_headers, request_body, status,
// response_headers, response_body.  Each exchange is mapped to its operation
// by method and path template; $refs resolve within the documents.  Prints
// every violation and a last line "conformance: N passed, N failed"; exits
// 1 on any violation (or when nothing could be checked).
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const here = dirname(fileURLToPath(import.meta.url));
const [recordFile, specDir = join(here, '../../third_party/paypal-openapi')] =
  process.argv.slice(2);
if (!recordFile) {
  console.error('usage: node validate.mjs RECORD.jsonl [OPENAPI_DIR]');
  process.exit(2);
}

function makeAjv(coerce) {
  const ajv = new Ajv({
    strict: false,
    unicodeRegExp: false, // PayPal's patterns are not valid with the u flag
    allErrors: true,
    coerceTypes: coerce,
    validateFormats: true,
    verbose: true, // errors carry the offending value
  });
  addFormats(ajv);
  return ajv;
}
const ajvBody = makeAjv(false);
const ajvParam = makeAjv(true);

// PayPal's own format names: the patterns in the schemas do the checking.
const docs = [];
for (const file of readdirSync(specDir).filter((f) => f.endsWith('.json'))) {
  const doc = JSON.parse(readFileSync(join(specDir, file), 'utf8'));
  const formats = new Set();
  (function walk(o) {
    if (Array.isArray(o)) return o.forEach(walk);
    if (o && typeof o === 'object') {
      if (typeof o.format === 'string') formats.add(o.format);
      Object.values(o).forEach(walk);
    }
  })(doc);
  for (const ajv of [ajvBody, ajvParam])
    for (const f of formats) if (!ajv.formats[f]) ajv.addFormat(f, true);
  const id = `https://rma.invalid/openapi/${file}`;
  ajvBody.addSchema(doc, id);
  ajvParam.addSchema(doc, id);
  docs.push({ file, id, doc });
}

// A $ref ("#/components/...") inside doc, followed.
function deref(doc, o) {
  let seen = 0;
  while (o && o.$ref && seen++ < 20) {
    const parts = o.$ref.replace(/^#\//, '').split('/');
    o = parts.reduce(
      (x, p) => (x ? x[p.replace(/~1/g, '/').replace(/~0/g, '~')] : x),
      doc,
    );
  }
  return o;
}

// Operations by method, with a regular expression for the path template.
const operations = [];
for (const { file, id, doc } of docs) {
  for (const [template, item] of Object.entries(doc.paths || {})) {
    const re = new RegExp(
      '^' +
        template
          .split(/(\{[^}]+\})/)
          .map((s) =>
            s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'),
          )
          .join('') +
        '$',
    );
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (item[method])
        operations.push({ file, id, doc, template, method, re, op: item[method],
                          shared: item.parameters || [] });
    }
  }
}

const validators = new Map();
function validator(ajv, id, pointer) {
  const key = `${ajv === ajvParam ? 'p' : 'b'}|${id}|${pointer}`;
  if (!validators.has(key))
    validators.set(key, ajv.compile({ $ref: `${id}#${pointer}` }));
  return validators.get(key);
}

// JSON pointer of a schema object found by walking doc (for $ref-less
// inline schemas we compile the object's location).
function pointerOf(doc, target) {
  let found = null;
  (function walk(o, path) {
    if (found || !o || typeof o !== 'object') return;
    if (o === target) {
      found = path;
      return;
    }
    for (const [k, v] of Object.entries(o))
      walk(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  })(doc, '');
  return found;
}

let genericErrorValidator = null;
function schemaValidator(ajv, entry, schema) {
  if (schema === genericErrorResponse.content['application/json'].schema) {
    if (!genericErrorValidator) genericErrorValidator = ajv.compile(schema);
    return genericErrorValidator;
  }
  if (schema.$ref && schema.$ref.startsWith('#'))
    return validator(ajv, entry.id, schema.$ref.slice(1));
  return validator(ajv, entry.id, pointerOf(entry.doc, schema));
}

// Parameters arrive as strings: validated (with coercion) as {value: ...}.
function paramValidator(entry, schema) {
  const pointer = schema.$ref ? schema.$ref.slice(1)
                              : pointerOf(entry.doc, schema);
  const key = `param|${entry.id}|${pointer}`;
  if (!validators.has(key))
    validators.set(key, ajvParam.compile({
      type: 'object',
      properties: { value: { $ref: `${entry.id}#${pointer}` } },
    }));
  return validators.get(key);
}

// Deviations of real PayPal from its own documents that NOTES.md records and
// the simulator reproduces on purpose: Transaction Search writes offsets
// without a colon ("2018-06-20T00:17:18+0000", NOTES §9 [RW-TSRESP]).
const notes = new Set();
function tolerated(entry, e) {
  return entry.op.operationId === 'search.get' && e.keyword === 'pattern' &&
    typeof e.data === 'string' &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d{4}$/.test(e.data);
}

// Deviations from the OpenAPI documents that PayPal itself documents
// elsewhere (NOTES.md): such answers are checked against the operation's
// generic error shape (its `default` response) instead of the status's.
//  - 429 RATE_LIMIT_REACHED: PayPal's rate-limiting page; no OAS response.
//  - REAUTHORIZATION_TOO_SOON: PayPal's v2 error page (NOTES §3.2), not in
//    the OAS enums; TOO_MANY_REAUTHORIZATIONS: its v1 counterpart for the
//    count limit (NOTES §3.2 CONFLICT on the count).
const documentedIssues = new Set(['RATE_LIMIT_REACHED',
  'REAUTHORIZATION_TOO_SOON', 'TOO_MANY_REAUTHORIZATIONS']);

// The shape every PayPal error shares (name, message, debug_id, details
// with issue codes), without the per-status enumerations of names that the
// OpenAPI documents list: used for errors documented outside them.
const genericErrorResponse = {
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['name', 'message', 'debug_id'],
        properties: {
          name: { type: 'string', pattern: '^[A-Z_]+$' },
          message: { type: 'string', minLength: 1 },
          debug_id: { type: 'string', minLength: 1 },
          details: {
            type: 'array',
            items: {
              type: 'object',
              required: ['issue'],
              properties: {
                issue: { type: 'string', pattern: '^[A-Z_0-9]+$' },
                description: { type: 'string' },
                field: { type: 'string' },
                value: { type: 'string' },
                location: { type: 'string' },
              },
            },
          },
          links: { type: 'array' },
        },
      },
    },
  },
};

function documentedElsewhere(entry, status, body) {
  if (!entry.op.responses.default) return null;
  const issues = body && Array.isArray(body.details)
    ? body.details.map((d) => d && d.issue) : [];
  const issue = issues.find((i) => documentedIssues.has(i)) ||
    (status === '429' && body && body.name === 'RATE_LIMIT_REACHED'
      ? 'RATE_LIMIT_REACHED' : null);
  return issue || null;
}

function header(headers, name) {
  for (const [k, v] of Object.entries(headers || {}))
    if (k.toLowerCase() === name.toLowerCase()) return v;
  return undefined;
}

function describe(errors) {
  return errors
    .slice(0, 8)
    .map((e) => `${e.instancePath || '/'} ${e.message}` +
      (e.params && e.params.additionalProperty
        ? ` (${e.params.additionalProperty})` : '') +
      (e.params && e.params.allowedValues
        ? ` (${e.params.allowedValues.join(', ')})` : ''))
    .join('; ');
}

const lines = readFileSync(recordFile, 'utf8').split('\n').filter(Boolean);
let passed = 0;
let failed = 0;
let skipped = 0;
const distinct = new Map();
let requestProblems = 0;
let responseProblems = 0;
const covered = new Set();

lines.forEach((line, n) => {
  let ex;
  try {
    ex = JSON.parse(line);
  } catch (e) {
    console.log(`line ${n + 1}: not JSON: ${e.message}`);
    failed++;
    return;
  }
  const method = String(ex.method || '').toLowerCase();
  const path = String(ex.path || '').split('?')[0];
  const label = `line ${n + 1}: ${ex.method} ${path} -> ${ex.status}`;
  const entry = operations.find((o) => o.method === method && o.re.test(path));
  if (!entry) {
    // OAuth2 token and the approval page are outside the OpenAPI documents.
    skipped++;
    return;
  }
  covered.add(`${entry.op.operationId} ${ex.status}`);
  const problems = [];

  // Request: parameters in the query and PayPal-Request-Id.
  const params = [...entry.shared, ...(entry.op.parameters || [])].map((p) =>
    deref(entry.doc, p));
  const query = ex.query && typeof ex.query === 'object' ? ex.query : {};
  for (const p of params) {
    if (!p || !p.schema) continue;
    let value;
    if (p.in === 'query') value = query[p.name];
    else if (p.in === 'header') value = header(ex.request_headers, p.name);
    else continue;
    if (value === undefined) {
      if (p.required && p.in === 'query')
        problems.push(`request: query parameter ${p.name} missing`);
      continue;
    }
    const holder = { value: Array.isArray(value) ? value[0] : value };
    const v = paramValidator(entry, p.schema);
    if (!v(holder))
      problems.push(`request: ${p.in} ${p.name}=${holder.value}: ` +
        describe(v.errors));
  }
  const known = new Set(params.filter((p) => p && p.in === 'query')
    .map((p) => p.name));
  for (const k of Object.keys(query))
    if (!known.has(k)) problems.push(`request: unknown query parameter ${k}`);

  // Request body.
  const rb = deref(entry.doc, entry.op.requestBody);
  const body = ex.request_body;
  const hasBody = body !== null && body !== undefined && body !== '';
  if (rb && rb.content && rb.content['application/json']) {
    if (!hasBody) {
      if (rb.required) problems.push('request: body required');
    } else if (typeof body === 'string') {
      problems.push('request: body is not JSON');
    } else {
      const v = schemaValidator(ajvBody, entry,
        rb.content['application/json'].schema);
      if (!v(body)) problems.push(`request body: ${describe(v.errors)}`);
    }
  } else if (hasBody && !(typeof body === 'object' &&
                          Object.keys(body).length === 0)) {
    problems.push('request: the operation takes no body');
  }

  // Response for that status.
  const status = String(ex.status);
  if (ex.status === 0) {
    // A dropped connection (an injected fault): no response to check.
    if (problems.length === 0) {
      skipped++;
      return;
    }
  } else {
    let resp = deref(entry.doc,
      entry.op.responses[status] || entry.op.responses.default);
    const elsewhere = documentedElsewhere(entry, status, ex.response_body);
    if (elsewhere) {
      resp = genericErrorResponse;
      notes.add(`${entry.op.operationId} ${status}: ${elsewhere} is ` +
        'documented outside the OpenAPI documents; checked against the ' +
        'generic error shape');
    }
    // A documented status without a body schema (e.g. capture's 500):
    // an error body is checked against the default (error) response.
    if (resp && !resp.content && entry.op.responses.default)
      resp = deref(entry.doc, entry.op.responses.default);
    const rbody = ex.response_body;
    const hasRBody = rbody !== null && rbody !== undefined && rbody !== '';
    if (!resp) {
      problems.push(`response: status ${status} not documented`);
    } else if (resp.content && resp.content['application/json']) {
      if (!hasRBody) {
        problems.push('response: body missing');
      } else if (typeof rbody === 'string') {
        problems.push('response: body is not JSON');
      } else {
        const v = schemaValidator(ajvBody, entry,
          resp.content['application/json'].schema);
        if (!v(rbody)) {
          const errors = v.errors.filter((e) => !tolerated(entry, e));
          if (errors.length)
            problems.push(`response body: ${describe(errors)}`);
          else
            notes.add(`${entry.op.operationId}: "+0000" offsets tolerated`);
        }
      }
    } else if (hasRBody) {
      problems.push(`response: status ${status} has no body in the spec`);
    }
    if (ex.status >= 400 && !header(ex.response_headers, 'Paypal-Debug-Id'))
      problems.push('response: no Paypal-Debug-Id header');
  }

  if (problems.length === 0) {
    passed++;
  } else {
    failed++;
    for (const p of problems) {
      if (p.startsWith('request')) requestProblems++;
      else responseProblems++;
      const key = `${entry.op.operationId} ${ex.status}: ${p}`;
      distinct.set(key, (distinct.get(key) || 0) + 1);
    }
    console.log(`${label} (${entry.file} ${entry.op.operationId})`);
    for (const p of problems) console.log(`    ${p}`);
  }
});

console.log(`covered: ${[...covered].sort().join(', ')}`);
if (distinct.size) {
  console.log('distinct violations:');
  for (const [k, n] of [...distinct].sort())
    console.log(`  ${n}x ${k.length > 400 ? k.slice(0, 400) + '...' : k}`);
}
for (const n of notes) console.log(`note: ${n}`);
console.log(`violations: ${requestProblems} in requests (the client), ` +
  `${responseProblems} in responses (the simulator)`);
if (skipped)
  console.log(`skipped (token, approval page, dropped connections): ${skipped}`);
if (passed + failed === 0) {
  console.log('conformance: 0 passed, 1 failed (nothing recorded)');
  process.exit(1);
}
console.log(`conformance: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
