import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { FakeRunView } from '../support/tfc-fake/server';
import { parseTenantCode, type TenantCode } from '../../lambdas/core/tenant-code';
import { createTestTables, type TestTables } from '../support/dynamodb';
import type { TerraformBackend } from '../../lambdas/core/ports';
import { flowHarness } from '../support/flow-harness';
import { startTfcFake, type TfcFake } from '../support/tfc-fake/server';

const CAP = 3;

let tables: TestTables;
let fake: TfcFake;
beforeAll(async () => {
  tables = await createTestTables();
  // The request budget has its own suite (rate-budget.test.ts): here the fake's rate limit stays out of the way.
  fake = await startTfcFake({
    organization: 'acme',
    token: 'tfc-test-token-123',
    runDurationMs: 150,
    uploadProcessingMs: 20,
    outputsProcessingMs: 20,
    rateLimitPerSecond: 10_000,
  });
});
afterAll(async () => {
  await fake.close();
  await tables.drop();
});

/** Most runs in flight at once in TFC: created and not yet finished. */
function peakInFlight(runs: readonly FakeRunView[]): number {
  const events = runs.flatMap((r) => [
    { at: r.createdAt, delta: 1 },
    { at: r.finishedAt ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  // At equal times, a run that ends frees its place before the next one counts.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let inFlight = 0;
  let peak = 0;
  for (const e of events) {
    inFlight += e.delta;
    peak = Math.max(peak, inFlight);
  }
  return peak;
}

/** The admission records of every flow so far, in ticket order. */
async function admissions() {
  const out = await tables.doc.send(
    new QueryCommand({
      TableName: tables.coordinationTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :flow)',
      ExpressionAttributeValues: { ':pk': 'admission', ':flow': 'flow#' },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? [])
    .map((i) => i as { flowId: string; ticket: number; state: string; admittedAt?: string })
    .sort((a, b) => a.ticket - b.ticket);
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 45_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('admission control over the real flow (ASL file, DynamoDB Local, TFC fake over HTTP)', () => {
  it(`runs ${3 * CAP} tenants created at once at most ${CAP} at a time, in FIFO order, all ready`, async () => {
    const h = flowHarness(tables, fake, { maxConcurrentRuns: CAP });
    const stamp = Date.now().toString(36);
    const codes: TenantCode[] = Array.from({ length: 3 * CAP }, (_, i) =>
      parseTenantCode(`adm-${stamp}-${i}`),
    );
    for (const code of codes) await h.requests.create({ tenantCode: code }, 'api:test');
    const events = [...h.publisher.events];

    const executions = Promise.all(events.map((e) => h.execute(e.action, e.detail)));
    // While the first ones run, the others show that they wait in the queue.
    const queued = await eventually(
      async () => (await Promise.all(codes.map((c) => h.repository.get(c)))).filter((t) => t?.queuedAt),
      (ts) => ts.length >= 2 * CAP,
    );
    expect(queued.length).toBeGreaterThanOrEqual(2 * CAP);
    const results = await executions;

    expect(results.map((r) => r.status)).toEqual(events.map(() => 'succeeded'));
    const tenants = await Promise.all(codes.map((c) => h.repository.get(c)));
    expect(tenants.map((t) => t?.status)).toEqual(codes.map(() => 'ready'));
    expect(tenants.filter((t) => t?.queuedAt !== undefined)).toEqual([]);
    expect(peakInFlight(fake.runs)).toBeLessThanOrEqual(CAP);
    expect(peakInFlight(fake.runs)).toBe(CAP); // the cap is used, not just respected

    // FIFO: slots were handed out in ticket order, and every slot is free again.
    const records = await admissions();
    expect(records).toHaveLength(3 * CAP);
    const admittedAt = records.map((r) => r.admittedAt ?? '');
    expect(admittedAt).toEqual([...admittedAt].sort());
    expect(records.every((r) => r.state === 'released')).toBe(true);
    expect(await h.admissionQueue.holders()).toEqual([]);
  });

  it('holds the cap across creates, updates and deletes together, and a duplicated event takes no slot', async () => {
    const h = flowHarness(tables, fake, { maxConcurrentRuns: CAP });
    const stamp = Date.now().toString(36);
    const existing = Array.from({ length: 4 }, (_, i) => parseTenantCode(`mix-${stamp}-${i}`));
    for (const code of existing) {
      await h.requests.create({ tenantCode: code }, 'api:test');
      await h.executeLast();
    }
    fake.clearRequests();
    const runsBefore = new Set(fake.runs.map((r) => r.id));

    await h.requests.update(existing[0] as TenantCode, { variables: { greeting: 'hi' } }, 'api:test');
    await h.requests.update(existing[1] as TenantCode, { variables: { greeting: 'hi' } }, 'api:test');
    await h.requests.delete(existing[2] as TenantCode, 'api:test');
    await h.requests.delete(existing[3] as TenantCode, 'api:test');
    for (let i = 0; i < 3; i += 1) {
      await h.requests.create({ tenantCode: parseTenantCode(`mix-${stamp}-new-${i}`) }, 'api:test');
    }
    const events = [...h.publisher.events.slice(-7)];
    const first = events[0];
    if (!first) throw new Error('no events');
    // EventBridge delivers at least once: the first event twice.
    const results = await Promise.all([...events, first].map((e) => h.execute(e.action, e.detail)));

    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    const newRuns = fake.runs.filter((r) => !runsBefore.has(r.id));
    expect(newRuns).toHaveLength(7);
    expect(peakInFlight(newRuns)).toBeLessThanOrEqual(CAP);
    expect(await h.admissionQueue.holders()).toEqual([]);
  });

  it('frees the slot as soon as Check sees the run over, before Finalize waits for the outputs', async () => {
    let holdersAtOutputs: string[] | undefined;
    const h = flowHarness(tables, fake, {
      maxConcurrentRuns: CAP,
      wrapBackend: (backend): TerraformBackend => ({
        ...backend,
        startRun: (request) => backend.startRun(request),
        getRun: (run) => backend.getRun(run),
        deleteWorkspace: (id, code) => backend.deleteWorkspace(id, code),
        discardRun: (run) => backend.discardRun(run),
        getOutputs: async (id) => {
          holdersAtOutputs = (await h.admissionQueue.holders()).map((e) => e.flowId);
          return backend.getOutputs(id);
        },
      }),
    });
    const code = parseTenantCode(`slot-${Date.now().toString(36)}`);
    const tenant = await h.requests.create({ tenantCode: code }, 'api:test');

    expect((await h.executeLast()).status).toBe('succeeded');
    expect(holdersAtOutputs).toBeDefined();
    expect(holdersAtOutputs).not.toContain(tenant.flowId);
    expect((await h.repository.get(code))?.status).toBe('ready');
  });
});
