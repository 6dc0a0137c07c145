import { request } from 'undici';
import type { ApiEvent } from '../../../../lambdas/handlers/api/http';
import { startApiServer, type LocalApiServer } from '../../../../lambdas/local/http-server';
import { allTablesSnapshot, apiOver, bodyOf, event, fixedClock } from '../../../support/api';
import { createTestTables, type TestTables } from '../../../support/dynamodb';

/**
 * Hundreds of bad requests, each sent both to the route handlers and over HTTP to the local server:
 * none answers 5xx, every answer is a JSON error naming what is wrong, and the tables are unchanged.
 */
const clock = fixedClock('2026-11-23T10:00:00.000Z');
const EXISTING = 'existing-tenant';
let tables: TestTables;
let api: ReturnType<typeof apiOver>;
let server: LocalApiServer;

type Route = 'create' | 'update' | 'delete' | 'get' | 'list' | 'history';
interface Case {
  name: string;
  route: Route;
  /** Path parameter (already decoded, as API Gateway passes it). */
  code?: string;
  body?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** The field the error must name (`''`: the body as a whole). */
  field: string;
}

const cases: Case[] = [];
const add = (c: Case) => cases.push(c);
const create = (name: string, body: unknown, field: string, headers?: Record<string, string>) =>
  add({
    name: `POST ${name}`,
    route: 'create',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    field,
    ...(headers ? { headers } : {}),
  });
const patch = (name: string, body: unknown, field: string, code = EXISTING) =>
  add({
    name: `PATCH ${name}`,
    route: 'update',
    code,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    field,
  });

// Bodies that are not a JSON object.
const notObjects = [
  '{',
  '}',
  '{"tenantCode":',
  '{"tenantCode": "abc",}',
  "{'tenantCode': 'abc'}",
  '{tenantCode: "abc"}',
  'undefined',
  'NaN',
  '[]',
  '[{}]',
  '"string"',
  '42',
  'true',
  'null',
  '\u0000',
  '{"a":1}{"b":2}',
  '{"tenantCode":"abc"',
  '\ufeff{"tenantCode":"abc-def"}x',
  '{"tenantCode":"abc\\u"}',
  '{"tenantCode":"\\x41"}',
  '<xml/>',
  'tenantCode=abc',
  '{"tenantCode":"abc" "tier":"small"}',
  '{"tenantCode":01}',
  '{"tenantCode":.5}',
];
notObjects.forEach((b, i) => create(`body not a JSON object #${i}`, b, ''));
notObjects.slice(0, 12).forEach((b, i) => patch(`body not a JSON object #${i}`, b, ''));

// tenantCode of every wrong shape.
const badCodes = [
  '',
  'ab',
  'a',
  'A-bc',
  'ABC',
  '1abc',
  '-abc',
  'abc_def',
  'abc def',
  'abc.def',
  'abc/def',
  'a'.repeat(33),
  'ab\u0000c',
  'äbc',
  'abc\n',
  ' abc',
  'abc ',
  'ab%20c',
  '..',
  '../etc',
  'abc\\def',
  'ab😀c',
];
badCodes.forEach((c, i) =>
  create(`tenantCode ${JSON.stringify(c).slice(0, 40)} #${i}`, { tenantCode: c }, 'tenantCode'),
);
[1, true, null, [], {}, 1.5, -1].forEach((c, i) =>
  create(`tenantCode of type ${typeof c} #${i}`, { tenantCode: c }, 'tenantCode'),
);
create('no tenantCode', {}, 'tenantCode');
create('no tenantCode, only tier', { tier: 'small' }, 'tenantCode');

// Unknown fields, top level.
[
  'owner',
  'status',
  'flowId',
  'version',
  'outputs',
  'TenantCode',
  'tenant_code',
  'runId',
  'lastError',
  'requestedBy',
].forEach((f) => create(`unknown field ${f}`, { tenantCode: 'fine-code', [f]: 'x' }, ''));
['status', 'flowId', 'tenantCode', 'outputs'].forEach((f) => patch(`unknown field ${f}`, { [f]: 'x' }, ''));

// Tiers.
['huge', 'SMALL', 'Small', '', ' small', 'small ', 'xl', 'tiny'].forEach((t) => {
  create(`tier ${JSON.stringify(t)}`, { tenantCode: 'fine-code', tier: t }, 'tier');
  patch(`tier ${JSON.stringify(t)}`, { tier: t }, 'tier');
});
[1, null, true, ['small'], { name: 'small' }].forEach((t, i) =>
  create(`tier of wrong type #${i}`, { tenantCode: 'fine-code', tier: t }, 'tier'),
);

// Variables: not a string map.
['a=1', 1, true, ['a'], [['a', '1']]].forEach((v, i) => {
  create(`variables not an object #${i}`, { tenantCode: 'fine-code', variables: v }, 'variables');
  patch(`variables not an object #${i}`, { variables: v }, 'variables');
});
patch('variables null', { variables: null }, 'variables');
[1, true, null, ['8888'], { port: '8888' }, 8888.5].forEach((v, i) =>
  create(
    `variable value of wrong type #${i}`,
    { tenantCode: 'fine-code', variables: { notebook_port: v } },
    'variables.notebook_port',
  ),
);
create(
  'variable value too long',
  { tenantCode: 'fine-code', variables: { s3_prefix: 'a'.repeat(4097) } },
  'variables.s3_prefix',
);

// Variable names: malformed, reserved, built-in, not a tenant input.
['bad-name', '1abc', 'a b', 'a.b', 'ä', '', 'a'.repeat(65), '$ref', 'a/b', 'a\u0000'].forEach((n, i) =>
  create(
    `variable name malformed #${i}`,
    { tenantCode: 'fine-code', variables: { [n]: 'x' } },
    `variables.${n}`,
  ),
);
['tenant_code', 'tier', 'environment'].forEach((n) => {
  create(`reserved variable ${n}`, { tenantCode: 'fine-code', variables: { [n]: 'x' } }, `variables.${n}`);
  patch(`reserved variable ${n}`, { variables: { [n]: 'x' } }, `variables.${n}`);
});
[
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
].forEach((n) => {
  create(
    `built-in variable name ${n}`,
    `{"tenantCode":"fine-code","variables":{"${n}":"x"}}`,
    `variables.${n}`,
  );
  patch(`built-in variable name ${n}`, `{"variables":{"${n}":"x"}}`, `variables.${n}`);
});
create('__proto__ at the top level', '{"tenantCode":"fine-code","__proto__":{"tier":"large"}}', '__proto__');
[
  'admin_role_arn',
  'permissions_boundary_arn',
  'ami_id',
  'subnet_id',
  'force_destroy',
  'root_volume_size_gb',
  'notebook_allowed_cidrs',
  'notebook_allowed_cidrs_max_share',
  'egress_https_cidrs',
  'kms_deletion_window_days',
  'aws_region',
  'tags',
  'notebok_port',
  'Notebook_Port',
  'region',
  'owner',
].forEach((n) => {
  create(
    `variable ${n} not a tenant input`,
    { tenantCode: 'fine-code', variables: { [n]: '1' } },
    `variables.${n}`,
  );
  patch(`variable ${n} not a tenant input`, { variables: { [n]: '1' } }, `variables.${n}`);
});
[
  ['notebook_port', '80a'],
  ['notebook_port', ''],
  ['notebook_port', '123'],
  ['notebook_port', '-8000'],
  ['notebook_scheme', 'ftp'],
  ['notebook_scheme', 'HTTPS'],
  ['enable_compute', 'yes'],
  ['enable_compute', '1'],
  ['glacier_transition_days', '0'],
  ['glacier_transition_days', '1e3'],
  ['noncurrent_version_expiration_days', '-1'],
  ['s3_prefix', '../x'],
  ['s3_prefix', '/abs'],
  ['s3_prefix', 'a//b'],
  ['s3_prefix', 'a*'],
  ['fail', 'maybe'],
].forEach(([n, v]) =>
  create(
    `variable ${n}=${JSON.stringify(v)} breaks its constraint`,
    { tenantCode: 'fine-code', variables: { [n as string]: v } },
    `variables.${n}`,
  ),
);
create(
  'too many variables',
  {
    tenantCode: 'fine-code',
    variables: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`v${i}`, 'x'])),
  },
  'variables',
);

// Decommission dates.
[
  '2026-01-01',
  '2026-11-23',
  '2026-11-22',
  'next week',
  '2027-02-30',
  '2027-13-01',
  '2027-00-10',
  '2027-1-1',
  '27-01-01',
  '2027/01/01',
  '2027-01-01T00:00:00Z',
  ' 2027-01-01',
  '2027-01-01 ',
  '20270101',
  '',
  '0000-00-00',
  '+2027-01-01',
  '2027-02-29',
  '9999-99-99',
  '2027-01-32',
].forEach((d) => {
  create(
    `decommissionDate ${JSON.stringify(d)}`,
    { tenantCode: 'fine-code', decommissionDate: d },
    'decommissionDate',
  );
  patch(`decommissionDate ${JSON.stringify(d)}`, { decommissionDate: d }, 'decommissionDate');
});
[20270101, true, ['2027-01-01'], { date: '2027-01-01' }].forEach((d, i) =>
  create(
    `decommissionDate of wrong type #${i}`,
    { tenantCode: 'fine-code', decommissionDate: d },
    'decommissionDate',
  ),
);

// Oversize.
create('body over 32 KB', { tenantCode: 'fine-code', variables: { s3_prefix: 'x'.repeat(33 * 1024) } }, '');
create('whitespace padding over 32 KB', `${' '.repeat(33 * 1024)}{"tenantCode":"fine-code"}`, '');
patch('body over 32 KB', { variables: { s3_prefix: 'x'.repeat(33 * 1024) } }, '');

// Idempotency-Key headers.
['has spaces', '', 'ünïcode', 'a'.repeat(256), 'tab\there', 'new\nline'].forEach((k, i) =>
  create(`bad Idempotency-Key #${i}`, { tenantCode: 'fine-code' }, '', { 'Idempotency-Key': k }),
);

// Paths.
const badPathCodes = [
  'x',
  'AB',
  'Existing-Tenant',
  '1abc',
  '-abc',
  'a'.repeat(33),
  'ab c',
  'ab_c',
  'ab.c',
  'äbc',
  '%00',
  'ab\u0000c',
  '..',
];
for (const code of badPathCodes) {
  add({ name: `GET /tenants/${JSON.stringify(code)}`, route: 'get', code, field: 'code' });
  add({ name: `DELETE /tenants/${JSON.stringify(code)}`, route: 'delete', code, field: 'code' });
  patch(`/tenants/${JSON.stringify(code)}`, { tier: 'small' }, 'code', code);
  add({ name: `GET /tenants/${JSON.stringify(code)}/history`, route: 'history', code, field: 'code' });
}

// Query strings.
['sleeping', 'READY', '', ' ready', 'ready,failed', 'absent', 'in-progress', '*'].forEach((s) =>
  add({
    name: `GET /tenants?status=${JSON.stringify(s)}`,
    route: 'list',
    query: { status: s },
    field: 'status',
  }),
);
[
  '0',
  '-1',
  '1.5',
  'ten',
  '',
  '101',
  '1000000',
  'NaN',
  'Infinity',
  '1e9',
  '0x10',
  '5 5',
  ' 5',
  '1e1',
  '+5',
  '05',
].forEach((l) =>
  add({
    name: `GET /tenants?limit=${JSON.stringify(l)}`,
    route: 'list',
    query: { limit: l },
    field: 'limit',
  }),
);
['owner', 'Status', 'next_token', 'page', 'sort'].forEach((q) =>
  add({ name: `GET /tenants?${q}=x`, route: 'list', query: { [q]: 'x' }, field: '' }),
);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const forged: Array<[string, string]> = [
  ['empty object', b64({})],
  ['array', b64(['acme-lab'])],
  ['number', b64(7)],
  ['not base64 JSON', 'bm90IGpzb24'],
  ['garbage', '!!!!'],
  ['tenantCode a number', b64({ tenantCode: 7 })],
  ['tenantCode empty', b64({ tenantCode: '' })],
  ['tenantCode malformed', b64({ tenantCode: 'NOT VALID' })],
  ['extra key', b64({ tenantCode: 'acme-lab', x: 'y' })],
  ['status key without status query', b64({ tenantCode: 'acme-lab', status: 'ready' })],
  ['huge tenantCode', b64({ tenantCode: 'a'.repeat(1400) })],
  ['nested value', b64({ tenantCode: { S: 'acme-lab' } })],
  ['too long', 'a'.repeat(2049)],
];
forged.forEach(([what, token]) =>
  add({
    name: `GET /tenants?nextToken=<${what}>`,
    route: 'list',
    query: { nextToken: token },
    field: 'nextToken',
  }),
);
const statusForged: Array<[string, Record<string, unknown>]> = [
  ['another status', { tenantCode: 'acme-lab', status: 'failed' }],
  ['an unknown status', { tenantCode: 'acme-lab', status: 'sleeping' }],
  ['no status', { tenantCode: 'acme-lab' }],
  ['a malformed tenantCode', { tenantCode: '-', status: 'ready' }],
  [
    'a decommission key',
    { tenantCode: 'acme-lab', decommissionBucket: 'scheduled', decommissionDate: '2026-01-01' },
  ],
];
statusForged.forEach(([what, key]) =>
  add({
    name: `GET /tenants?status=ready&nextToken=<${what}>`,
    route: 'list',
    query: { status: 'ready', nextToken: b64(key) },
    field: 'nextToken',
  }),
);

// A tenant's history: the same limits, and a page token of that tenant's history only.
['0', '-1', '1.5', 'ten', '', '101', 'NaN', '0x10', ' 5', '1e1', '+5', '05'].forEach((l) =>
  add({
    name: `GET /tenants/existing-tenant/history?limit=${JSON.stringify(l)}`,
    route: 'history',
    code: EXISTING,
    query: { limit: l },
    field: 'limit',
  }),
);
['status', 'since', 'next_token'].forEach((q) =>
  add({
    name: `GET /tenants/existing-tenant/history?${q}=x`,
    route: 'history',
    code: EXISTING,
    query: { [q]: 'x' },
    field: '',
  }),
);
const historyForged: Array<[string, string]> = [
  ['empty object', b64({})],
  ['array', b64([EXISTING])],
  ['garbage', '!!!!'],
  ['another tenant’s', b64({ tenantCode: 'other-one', sk: '2026-11-23T10:00:00.000Z#0000000001#0#abcdef' })],
  ['no sort key', b64({ tenantCode: EXISTING })],
  ['an empty sort key', b64({ tenantCode: EXISTING, sk: '' })],
  ['a sort key of 300 characters', b64({ tenantCode: EXISTING, sk: 'x'.repeat(300) })],
  ['a numeric sort key', b64({ tenantCode: EXISTING, sk: 7 })],
  ['an extra key', b64({ tenantCode: EXISTING, sk: 'a', x: 'y' })],
  ['a status-list token', b64({ tenantCode: EXISTING, status: 'ready' })],
  ['too long', 'a'.repeat(2049)],
];
historyForged.forEach(([what, token]) =>
  add({
    name: `GET /tenants/existing-tenant/history?nextToken=<${what}>`,
    route: 'history',
    code: EXISTING,
    query: { nextToken: token },
    field: 'nextToken',
  }),
);

function toEvent(c: Case): ApiEvent {
  return event({
    ...(c.body === undefined ? {} : { body: c.body }),
    ...(c.code === undefined ? {} : { code: c.code }),
    ...(c.query ? { query: c.query } : {}),
    ...(c.headers ? { headers: c.headers } : {}),
  });
}

const METHOD: Record<Route, string> = {
  create: 'POST',
  list: 'GET',
  get: 'GET',
  update: 'PATCH',
  delete: 'DELETE',
  history: 'GET',
};

/** The same case as an HTTP request to the local server, or undefined when HTTP cannot carry it. */
function toHttp(c: Case): { path: string; init: Parameters<typeof request>[1] } | undefined {
  // eslint-disable-next-line no-control-regex -- HTTP cannot carry control characters in a path
  if (c.code !== undefined && /[\u0000-\u001f]/.test(c.code)) return undefined;
  // A URL resolves '.' and '..' segments before any route sees them.
  if (c.code === '.' || c.code === '..') return undefined;
  if (c.headers && Object.values(c.headers).some((v) => /[^\x20-\x7e]/.test(v))) return undefined;
  const tenant = c.code === undefined ? '/tenants' : `/tenants/${encodeURIComponent(c.code)}`;
  const path = c.route === 'history' ? `${tenant}/history` : tenant;
  const query = c.query ? `?${new URLSearchParams(c.query).toString()}` : '';
  return {
    path: `${path}${query}`,
    init: {
      method: METHOD[c.route] as 'GET',
      headers: { 'content-type': 'application/json', ...c.headers },
      ...(c.body === undefined ? {} : { body: c.body }),
    },
  };
}

beforeAll(async () => {
  tables = await createTestTables();
  api = apiOver(tables, clock);
  const res = await api.api.create(
    event({ body: { tenantCode: EXISTING, variables: { notebook_port: '8001' } } }),
  );
  const { flowId } = bodyOf(res) as { flowId: string };
  await api.repository.completeFlow(EXISTING as never, flowId, {
    status: 'ready',
    now: clock.now().toISOString(),
  });
  for (const code of ['other-one', 'other-two', 'other-three'])
    await api.api.create(event({ body: { tenantCode: code } }));
  api.publisher.events.length = 0;
  server = await startApiServer(api.api, { host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server.close();
  await tables.drop();
});

/** What is wrong with an answer to a bad request; undefined when it is a 400 JSON error naming the field. */
function problemWith(status: number, contentType: unknown, body: string, c: Case): string | undefined {
  if (status >= 500) return `${c.name}: ${status}`;
  if (contentType !== 'application/json') return `${c.name}: content-type ${String(contentType)}`;
  let parsed: { error?: { code?: unknown; message?: unknown; details?: Array<{ path: string }> } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return `${c.name}: not JSON: ${body.slice(0, 80)}`;
  }
  const { error } = parsed;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') return `${c.name}: no error body`;
  if (status !== 400) return `${c.name}: ${status} ${error.message}`;
  const paths = (error.details ?? []).map((d) => d.path);
  if (!paths.includes(c.field)) return `${c.name}: names ${JSON.stringify(paths)}, not '${c.field}'`;
  return undefined;
}

describe('bad input, at the handlers and over HTTP', () => {
  it('has at least 250 distinct requests', () => {
    expect(new Set(cases.map((c) => JSON.stringify({ ...c, name: undefined }))).size).toBeGreaterThanOrEqual(
      250,
    );
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it('answers each with a 4xx JSON error naming the problem, never 5xx, and writes nothing', async () => {
    const before = await allTablesSnapshot(tables);
    let overHttp = 0;
    const problems: string[] = [];
    for (const c of cases) {
      const direct = await api.api[c.route](toEvent(c));
      const p1 = problemWith(direct.statusCode, direct.headers?.['content-type'], direct.body, c);
      if (p1) problems.push(`handler ${p1}`);

      const http = toHttp(c);
      if (!http) continue;
      overHttp++;
      const res = await request(`${server.url}${http.path}`, http.init);
      const p2 = problemWith(res.statusCode, res.headers['content-type'], await res.body.text(), c);
      if (p2) problems.push(`http ${p2}`);
    }
    expect(problems).toEqual([]);
    expect(overHttp).toBeGreaterThanOrEqual(250);
    expect(await allTablesSnapshot(tables)).toEqual(before);
    expect(api.publisher.events).toHaveLength(0);
  });

  it.each([
    ['PUT', '/tenants', 405],
    ['DELETE', '/tenants', 405],
    ['POST', '/tenants/existing-tenant', 405],
    ['GET', '/tenant', 404],
    ['GET', '/tenants/existing-tenant/outputs', 404],
    ['GET', '/', 404],
    ['POST', '/rollout', 404],
  ] as const)('%s %s → %i with a JSON error naming the route', async (method, path, status) => {
    const before = await allTablesSnapshot(tables);
    const res = await request(`${server.url}${path}`, { method });
    const body = JSON.parse(await res.body.text()) as { error: { message: string } };
    expect(res.statusCode).toBe(status);
    expect(body.error.message).toContain(path);
    expect(await allTablesSnapshot(tables)).toEqual(before);
  });
});
