import { parseTenantCode } from '../../lambdas/core/tenant-code';
import { logger } from '../../lambdas/shared/observability';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { flowHarness } from '../support/flow-harness';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from '../support/tfc-fake/server';

/**
 * What TFC says in an error body is not the control plane's to repeat verbatim: a proxy or a Terraform
 * Enterprise plugin may echo the request (its bearer token, a one-time upload URL, a signed query string),
 * and a body may be any length. Whatever leaves the TFC adapter is scrubbed once, so the tenant's
 * lastError, its history, the lifecycle event and the logs all carry the same safe text.
 */
const TOKEN = 'tfc-scrub-token-4f9d2c7a81';
const ATLAS = `Abc123Def456Gh.atlasv1.${'Z9y8X7'.repeat(12)}`;
const UPLOAD_SECRET = 'dmF1bHQ6djE6c2VjcmV0LW9iamVjdA';
const SIGNATURE = 'd2d6c5ea1b0f9e8a7c6b5a4f3e2d1c0b';

let tables: TestTables;
let fake: TfcFake;

beforeAll(async () => {
  tables = await createTestTables();
  fake = await startTfcFake({ ...FAST_TIMINGS, organization: 'acme', token: TOKEN });
});
afterAll(async () => {
  await fake.close();
  await tables.drop();
});

/** The structured lines the Powertools logger writes while `fn` runs. */
async function logged(fn: () => Promise<void>): Promise<string> {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    // The handler middleware puts the configured level (SILENT in tests) back at each invocation's start.
    jest.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined),
  ];
  logger.setLogLevel('DEBUG');
  try {
    await fn();
  } finally {
    logger.setLogLevel('SILENT');
    for (const spy of spies) spy.mockRestore();
  }
  return written.join('');
}

function expectNoSecret(where: string, text: string): void {
  for (const secret of [TOKEN, ATLAS, UPLOAD_SECRET, SIGNATURE, 'Bearer tfc', 'super-secret-password']) {
    expect({ where, leaks: text.includes(secret) ? secret : null }).toEqual({ where, leaks: null });
  }
}

describe('TFC error text leaving the adapter', () => {
  it('is scrubbed and bounded in lastError, history, the lifecycle event and the logs, keeping TFC’s title and detail', async () => {
    const h = flowHarness(tables, fake);
    const code = parseTenantCode(`scrub-${Date.now().toString(36)}`);
    await h.requests.create({ tenantCode: code }, 'api:test');
    const detail =
      `request rejected (Authorization: Bearer ${TOKEN}); token=${TOKEN} or ${ATLAS}; ` +
      `configuration at ${fake.url}/_archivist/v1/object/${UPLOAD_SECRET} ` +
      `and https://blob.example.com/state?X-Amz-Signature=${SIGNATURE}&X-Amz-Expires=60 ` +
      `password: super-secret-password\u0000${'x'.repeat(6000)}`;
    fake.injectFault({
      status: 422,
      method: 'POST',
      path: '/api/v2/runs',
      body: { errors: [{ status: '422', title: 'invalid attribute', detail }] },
    });

    let status = '';
    const logs = await logged(async () => {
      status = (await h.executeLast()).status;
    });

    expect(status).toBe('failed');
    const tenant = await h.repository.get(code);
    const lastError = tenant?.lastError?.message ?? '';
    expect(tenant?.status).toBe('failed');
    expectNoSecret('lastError', lastError);
    expect(lastError).toContain('answered 422: invalid attribute: request rejected');
    expect(lastError.length).toBeLessThanOrEqual(1100);
    const event = h.notifier.events.find((e) => e.tenantCode === code);
    const history = await h.repository.listHistory(code, { limit: 50 });

    expectNoSecret('lifecycle event', JSON.stringify(event));
    expectNoSecret('history', JSON.stringify(history.items));
    expectNoSecret('logs', logs);
    expect(logs).toContain('invalid attribute');
    expect(JSON.stringify(event)).toContain('invalid attribute');
  });
});
