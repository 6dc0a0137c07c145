import type { Tenant, TenantRetry } from '../../lambdas/core/tenant';
import { parseTenantCode, type TenantCode } from '../../lambdas/core/tenant-code';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { flowHarness } from '../support/flow-harness';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from '../support/tfc-fake/server';

/**
 * TFC unreachable (the fake stops listening: connections are refused, as when TFC or the network to it is
 * down): the tenant shows that its flow retries and why while it happens, and says which network error
 * when it gives up.
 */
let tables: TestTables;
let fake: TfcFake;
let n = 0;
const newCode = () => parseTenantCode(`outage-${Date.now().toString(36)}-${n++}`);
const TOKEN = 'tfc-outage-token-123';

beforeAll(async () => {
  tables = await createTestTables();
  // Runs long enough that a run's status can stay put across an outage.
  fake = await startTfcFake({ ...FAST_TIMINGS, runDurationMs: 2500, organization: 'acme', token: TOKEN });
});
afterEach(async () => {
  await fake.goOnline().catch(() => undefined);
});
afterAll(async () => {
  await fake.close();
  await tables.drop();
});

/** Polls the row until `seen` holds, or fails naming what it last saw. */
async function rowUntil(
  get: () => Promise<Tenant | undefined>,
  seen: (t: Tenant | undefined) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<Tenant | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tenant = await get();
    if (seen(tenant)) return tenant;
    if (Date.now() > deadline) throw new Error(`waited for ${what}; last row: ${JSON.stringify(tenant)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Slow enough HTTP retries (≈1 s per step attempt, 7 step attempts) that a test sees them happen. */
const VISIBLE_RETRIES = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 400 };

describe('TFC unreachable', () => {
  it('shows the retries on the tenant while TFC refuses connections, then clears them when it is back', async () => {
    const h = flowHarness(tables, fake, { retry: VISIBLE_RETRIES });
    const code: TenantCode = newCode();
    await h.requests.create({ tenantCode: code }, 'api:test');
    await fake.goOffline();

    const done = h.executeLast();
    const first = await rowUntil(
      () => h.repository.get(code),
      (t) => (t?.retrying?.attempt ?? 0) >= 1,
      'a first retry',
    );
    const later = await rowUntil(
      () => h.repository.get(code),
      (t) => t?.retrying !== undefined && t.retrying.at !== first?.retrying?.at,
      'a later retry',
    );
    await fake.goOnline();
    const execution = await done;

    const expected: Partial<TenantRetry> = {
      reason: `connection refused (ECONNREFUSED) at 127.0.0.1:${fake.port}`,
      maxAttempts: 5,
    };
    expect(first?.status).toBe('creating');
    expect(first?.retrying).toMatchObject(expected);
    expect(later?.retrying).toMatchObject({ ...expected, since: first?.retrying?.since });
    expect(later?.retrying?.attempt).toBeGreaterThanOrEqual(1);
    expect(execution.status).toBe('succeeded');
    const tenant = await h.repository.get(code);
    expect(tenant?.status).toBe('ready');
    expect(tenant?.retrying).toBeUndefined();
    expect(tenant?.lastError).toBeUndefined();
  });

  it('clears the retry once Check reads the run again, while the flow is still running', async () => {
    const h = flowHarness(tables, fake, { retry: VISIBLE_RETRIES });
    const code = newCode();
    await h.requests.create({ tenantCode: code }, 'api:test');
    const done = h.executeLast();
    await rowUntil(
      () => h.repository.get(code),
      (t) => t?.runId !== undefined,
      'the run',
    );

    await fake.goOffline();
    const retrying = await rowUntil(
      () => h.repository.get(code),
      (t) => t?.retrying !== undefined,
      'a retry of Check',
    );
    await fake.goOnline();
    const recovered = await rowUntil(
      () => h.repository.get(code),
      (t) => t?.retrying === undefined,
      'the retry to be cleared',
    );

    // The outage lands between requests (refused) or on one in flight (reset, closed): the fake's goOffline.
    expect(retrying?.retrying?.reason).toMatch(
      new RegExp(`\\((ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET)\\) at 127\\.0\\.0\\.1:${fake.port}$`),
    );
    expect(recovered?.status).toBe('creating');
    expect((await done).status).toBe('succeeded');
    expect(await h.repository.get(code)).toMatchObject({ status: 'ready' });
  });

  it('fails the tenant naming the network error, the host and the attempts when TFC never comes back', async () => {
    const h = flowHarness(tables, fake, { retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
    const code = newCode();
    await h.requests.create({ tenantCode: code }, 'api:test');
    await fake.goOffline();

    const execution = await h.executeLast();

    expect(execution.status).toBe('failed');
    const tenant = await h.repository.get(code);
    expect(tenant?.status).toBe('failed');
    expect(tenant?.retrying).toBeUndefined();
    const message = tenant?.lastError?.message ?? '';
    expect(message).toMatch(
      new RegExp(
        `^TFC unreachable: connect ECONNREFUSED 127\\.0\\.0\\.1:${fake.port} after 3 attempts ` +
          `\\((GET|POST|PATCH) /api/v2/\\S+ at 127\\.0\\.0\\.1:${fake.port}\\)$`,
      ),
    );
    expect(message).not.toContain(TOKEN);
    const failed = h.notifier.events.find((e) => e.tenantCode === code);
    expect(failed).toMatchObject({ event: 'TenantFailed', error: { message } });
  });
});
