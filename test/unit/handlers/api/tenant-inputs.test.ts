import { createTestTables, type TestTables } from '../../../support/dynamodb';
import { apiOver, bodyOf, event, fixedClock, tableSnapshot } from '../../../support/api';

const clock = fixedClock('2026-11-23T10:00:00.000Z');
let tables: TestTables;
let api: ReturnType<typeof apiOver>;
let n = 0;
const code = () => `inputs-${Date.now().toString(36)}-${n++}`;

beforeAll(async () => {
  tables = await createTestTables();
  api = apiOver(tables, clock);
});
afterAll(() => tables.drop());
beforeEach(() => {
  api.publisher.events.length = 0;
});

async function readyTenant(tenantCode: string): Promise<void> {
  const created = await api.api.create(event({ body: { tenantCode } }));
  expect(created.statusCode).toBe(202);
  const { flowId } = bodyOf(created) as { flowId: string };
  await api.repository.completeFlow(tenantCode as never, flowId, {
    status: 'ready',
    now: clock.now().toISOString(),
  });
  api.publisher.events.length = 0;
}

/** A 400 naming `field`, with nothing written and no flow started. */
async function expectRejected(send: () => Promise<{ statusCode: number; body: string }>, field: string) {
  const before = await tableSnapshot(tables);
  const res = await send();
  expect(res.statusCode).toBe(400);
  const { error } = bodyOf(res);
  expect(error?.code).toBe('VALIDATION_ERROR');
  expect((error?.details as Array<{ path: string }>).map((d) => d.path)).toContain(field);
  expect(error?.message).toContain(field);
  expect(await tableSnapshot(tables)).toEqual(before);
  expect(api.publisher.events).toHaveLength(0);
}

describe('tenant inputs at the edge', () => {
  const securityInputs: Record<string, string> = {
    admin_role_arn: 'arn:aws:iam::123456789012:role/attacker',
    permissions_boundary_arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    ami_id: 'ami-0123456789abcdef0',
    subnet_id: 'subnet-0123456789abcdef0',
    force_destroy: 'true',
    root_volume_size_gb: '16384',
    notebook_allowed_cidrs: '0.0.0.0/1,128.0.0.0/1',
    egress_https_cidrs: '0.0.0.0/0',
    kms_deletion_window_days: '7',
    aws_region: 'us-east-1',
    tags: '{}',
    notebok_port: '8888',
  };

  it.each(Object.entries(securityInputs))('POST with %s → 400 naming it', async (name, value) => {
    await expectRejected(
      () => api.api.create(event({ body: { tenantCode: code(), variables: { [name]: value } } })),
      `variables.${name}`,
    );
  });

  it.each(Object.entries(securityInputs))('PATCH with %s → 400 naming it', async (name, value) => {
    const tenantCode = code();
    await readyTenant(tenantCode);
    await expectRejected(
      () => api.api.update(event({ code: tenantCode, body: { variables: { [name]: value } } })),
      `variables.${name}`,
    );
  });

  it.each([
    ['notebook_port', '80a'],
    ['notebook_scheme', 'ftp'],
    ['enable_compute', 'yes'],
    ['glacier_transition_days', '0'],
    ['s3_prefix', '../other'],
  ])('a tenant input that breaks its constraint (%s=%s) → 400', async (name, value) => {
    await expectRejected(
      () => api.api.create(event({ body: { tenantCode: code(), variables: { [name]: value } } })),
      `variables.${name}`,
    );
  });

  it('accepts the inputs the module lets a tenant set', async () => {
    const res = await api.api.create(
      event({
        body: {
          tenantCode: code(),
          variables: {
            notebook_port: '8888',
            notebook_scheme: 'http',
            enable_compute: 'false',
            fail: 'false',
          },
        },
      }),
    );
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res).variables).toEqual({
      notebook_port: '8888',
      notebook_scheme: 'http',
      enable_compute: 'false',
      fail: 'false',
    });
  });
});

describe('variable names an object already answers to', () => {
  const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

  it.each(names)('POST with a variable named %s → 400 naming it, never 500 nor dropped', async (name) => {
    await expectRejected(
      () => api.api.create(event({ body: `{"tenantCode":"${code()}","variables":{"${name}":"x"}}` })),
      `variables.${name}`,
    );
  });

  it.each(names)('PATCH with a variable named %s → 400 naming it', async (name) => {
    const tenantCode = code();
    await readyTenant(tenantCode);
    await expectRejected(
      () => api.api.update(event({ code: tenantCode, body: `{"variables":{"${name}":"x"}}` })),
      `variables.${name}`,
    );
  });
});

describe('Idempotency-Key over canonical JSON', () => {
  it('the same JSON with other key order and whitespace returns the first answer, not 422', async () => {
    const tenantCode = code();
    const headers = { 'Idempotency-Key': `key-${tenantCode}` };
    const first = await api.api.create(
      event({
        body: `{"tenantCode":"${tenantCode}","tier":"small","variables":{"notebook_port":"8888","notebook_scheme":"http"}}`,
        headers,
      }),
    );
    const again = await api.api.create(
      event({
        body: `{\n  "variables": { "notebook_scheme": "http",  "notebook_port": "8888" },\n  "tier": "small",\n  "tenantCode": "${tenantCode}"\n}`,
        headers,
      }),
    );

    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(bodyOf(again)).toEqual(bodyOf(first));
    expect(api.publisher.events).toHaveLength(1);
  });

  it('a different request under the same key is still 422', async () => {
    const tenantCode = code();
    const headers = { 'Idempotency-Key': `key-${tenantCode}` };
    await api.api.create(event({ body: { tenantCode, tier: 'small' }, headers }));
    const other = await api.api.create(event({ body: { tenantCode, tier: 'large' }, headers }));
    expect(other.statusCode).toBe(422);
  });
});
