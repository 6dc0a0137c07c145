import { createTestTables, type TestTables } from '../../../support/dynamodb';
import { apiOver, bodyOf, event, fixedClock, tableSnapshot } from '../../../support/api';
import type { ApiEvent } from '../../../../lambdas/handlers/api/http';

const clock = fixedClock('2026-11-23T10:00:00.000Z');
let tables: TestTables;
let api: ReturnType<typeof apiOver>;
const EXISTING = 'existing-tenant';

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
  api.publisher.events.length = 0;
});
afterAll(() => tables.drop());

type Route = 'create' | 'update' | 'delete' | 'get' | 'list' | 'fleet';
interface Case {
  name: string;
  route: Route;
  event: ApiEvent;
  /** The field the error must name (`''` for the body as a whole). */
  field: string;
}

const big = 'x'.repeat(33 * 1024);
const create = (body: unknown, headers?: Record<string, string>): ApiEvent =>
  event({ body, ...(headers ? { headers } : {}) });
const patch = (body: unknown, code = EXISTING): ApiEvent => event({ body, code });

const cases: Case[] = [
  { name: 'create: no body', route: 'create', event: event({}), field: '' },
  { name: 'create: empty body', route: 'create', event: create(''), field: '' },
  { name: 'create: malformed JSON', route: 'create', event: create('{"tenantCode": "abc",'), field: '' },
  { name: 'create: JSON array', route: 'create', event: create([1, 2]), field: '' },
  { name: 'create: JSON null', route: 'create', event: create('null'), field: '' },
  {
    name: 'create: body over 32 KB',
    route: 'create',
    event: create({ tenantCode: 'big-one', variables: { v: big } }),
    field: '',
  },
  {
    name: 'create: missing tenantCode',
    route: 'create',
    event: create({ tier: 'small' }),
    field: 'tenantCode',
  },
  {
    name: 'create: tenantCode a number',
    route: 'create',
    event: create({ tenantCode: 123 }),
    field: 'tenantCode',
  },
  {
    name: 'create: tenantCode uppercase',
    route: 'create',
    event: create({ tenantCode: 'Acme' }),
    field: 'tenantCode',
  },
  {
    name: 'create: tenantCode too short',
    route: 'create',
    event: create({ tenantCode: 'ab' }),
    field: 'tenantCode',
  },
  {
    name: 'create: tenantCode too long',
    route: 'create',
    event: create({ tenantCode: 'a'.repeat(33) }),
    field: 'tenantCode',
  },
  {
    name: 'create: tenantCode starts with digit',
    route: 'create',
    event: create({ tenantCode: '1abc' }),
    field: 'tenantCode',
  },
  {
    name: 'create: tenantCode with underscore',
    route: 'create',
    event: create({ tenantCode: 'ab_c' }),
    field: 'tenantCode',
  },
  {
    name: 'create: unknown field',
    route: 'create',
    event: create({ tenantCode: 'fine-code', owner: 'me' }),
    field: '',
  },
  {
    name: 'create: tier not in list',
    route: 'create',
    event: create({ tenantCode: 'fine-code', tier: 'huge' }),
    field: 'tier',
  },
  {
    name: 'create: tier wrong type',
    route: 'create',
    event: create({ tenantCode: 'fine-code', tier: 2 }),
    field: 'tier',
  },
  {
    name: 'create: variables not an object',
    route: 'create',
    event: create({ tenantCode: 'fine-code', variables: 'a=1' }),
    field: 'variables',
  },
  {
    name: 'create: variable value a number',
    route: 'create',
    event: create({ tenantCode: 'fine-code', variables: { notebook_port: 1 } }),
    field: 'variables.notebook_port',
  },
  {
    name: 'create: variable value nested',
    route: 'create',
    event: create({ tenantCode: 'fine-code', variables: { notebook_port: { b: 'c' } } }),
    field: 'variables.notebook_port',
  },
  {
    name: 'create: variable name invalid',
    route: 'create',
    event: create({ tenantCode: 'fine-code', variables: { 'bad-name': 'x' } }),
    field: 'variables.bad-name',
  },
  {
    name: 'create: reserved variable',
    route: 'create',
    event: create({ tenantCode: 'fine-code', variables: { tenant_code: 'other' } }),
    field: 'variables.tenant_code',
  },
  {
    name: 'create: too many variables',
    route: 'create',
    event: create({
      tenantCode: 'fine-code',
      variables: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`v${i}`, 'x'])),
    }),
    field: 'variables',
  },
  {
    name: 'create: decommissionDate in the past',
    route: 'create',
    event: create({ tenantCode: 'fine-code', decommissionDate: '2026-01-01' }),
    field: 'decommissionDate',
  },
  {
    name: 'create: decommissionDate today',
    route: 'create',
    event: create({ tenantCode: 'fine-code', decommissionDate: '2026-11-23' }),
    field: 'decommissionDate',
  },
  {
    name: 'create: decommissionDate not a date',
    route: 'create',
    event: create({ tenantCode: 'fine-code', decommissionDate: 'next week' }),
    field: 'decommissionDate',
  },
  {
    name: 'create: decommissionDate impossible',
    route: 'create',
    event: create({ tenantCode: 'fine-code', decommissionDate: '2027-02-30' }),
    field: 'decommissionDate',
  },
  {
    name: 'create: decommissionDate with time',
    route: 'create',
    event: create({ tenantCode: 'fine-code', decommissionDate: '2027-02-01T00:00:00Z' }),
    field: 'decommissionDate',
  },
  {
    name: 'create: bad Idempotency-Key',
    route: 'create',
    event: create({ tenantCode: 'fine-code' }, { 'Idempotency-Key': 'has spaces in it' }),
    field: '',
  },
  {
    name: 'update: bad tenant code in path',
    route: 'update',
    event: patch({ tier: 'small' }, 'BAD CODE'),
    field: 'code',
  },
  { name: 'update: no body', route: 'update', event: event({ code: EXISTING }), field: '' },
  { name: 'update: variables null', route: 'update', event: patch({ variables: null }), field: 'variables' },
  {
    name: 'update: tenantCode in body',
    route: 'update',
    event: patch({ tenantCode: 'other-code' }),
    field: '',
  },
  { name: 'update: tier wrong', route: 'update', event: patch({ tier: 'xl' }), field: 'tier' },
  {
    name: 'update: past decommissionDate',
    route: 'update',
    event: patch({ decommissionDate: '2020-05-05' }),
    field: 'decommissionDate',
  },
  { name: 'update: malformed JSON', route: 'update', event: patch('{tier: small}'), field: '' },
  { name: 'update: oversize body', route: 'update', event: patch({ variables: { v: big } }), field: '' },
  {
    name: 'delete: bad tenant code in path',
    route: 'delete',
    event: event({ code: '-nope' }),
    field: 'code',
  },
  { name: 'get: bad tenant code in path', route: 'get', event: event({ code: 'x' }), field: 'code' },
  {
    name: 'list: unknown status',
    route: 'list',
    event: event({ query: { status: 'sleeping' } }),
    field: 'status',
  },
  { name: 'list: limit zero', route: 'list', event: event({ query: { limit: '0' } }), field: 'limit' },
  {
    name: 'list: limit not a number',
    route: 'list',
    event: event({ query: { limit: 'ten' } }),
    field: 'limit',
  },
  { name: 'list: limit too big', route: 'list', event: event({ query: { limit: '1000' } }), field: 'limit' },
  {
    name: 'list: unknown query parameter',
    route: 'list',
    event: event({ query: { owner: 'me' } }),
    field: '',
  },
  {
    name: 'list: malformed module version',
    route: 'list',
    event: event({ query: { moduleVersion: 'latest' } }),
    field: 'moduleVersion',
  },
  {
    name: 'list: module version with uppercase hex',
    route: 'list',
    event: event({ query: { moduleVersion: '0123456789AB' } }),
    field: 'moduleVersion',
  },
  {
    name: 'list: module version with a bad label',
    route: 'list',
    event: event({ query: { moduleVersion: '-x+0123456789ab' } }),
    field: 'moduleVersion',
  },
  {
    name: 'fleet: unknown query parameter',
    route: 'fleet',
    event: event({ query: { all: '1' } }),
    field: '',
  },
  {
    name: 'list: forged nextToken',
    route: 'list',
    event: event({ query: { nextToken: 'e30' } }),
    field: 'nextToken',
  },
];

describe('tenant API bad input', () => {
  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    '%s → 400 naming the field, nothing written',
    async (_name, c) => {
      const before = await tableSnapshot(tables);

      const res = await api.api[c.route](c.event);

      expect(res.statusCode).toBe(400);
      expect(res.headers?.['content-type']).toBe('application/json');
      const { error } = bodyOf(res);
      expect(error?.code).toBe('VALIDATION_ERROR');
      expect(typeof error?.message).toBe('string');
      const paths = (error?.details as Array<{ path: string }>).map((d) => d.path);
      expect(paths).toContain(c.field);
      expect(await tableSnapshot(tables)).toEqual(before);
      expect(api.publisher.events).toHaveLength(0);
    },
  );
});
