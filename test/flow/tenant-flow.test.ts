import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { parseTenantCode } from '../../lambdas/core/tenant-code';
import { workspaceName } from '../../lambdas/core/workspace';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { ENVIRONMENT, flowHarness } from '../support/flow-harness';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from '../support/tfc-fake/server';

/** Fast runs; the runs list is not limited per minute while Trigger still lists runs on every call. */
const FAKE_TIMINGS = { ...FAST_TIMINGS, runsListRateLimitPerMinute: Infinity } as const;

let tables: TestTables;
let fake: TfcFake;
let n = 0;
const newCode = (prefix = 'flow') => parseTenantCode(`${prefix}-${Date.now().toString(36)}-${n++}`);

beforeAll(async () => {
  tables = await createTestTables();
  fake = await startTfcFake({
    organization: 'acme',
    token: 'tfc-test-token-123',
    ...FAKE_TIMINGS,
    runDurationMs: 60,
    outputs: (_ws, vars) => [
      { name: 'bucket_name', value: `${vars.tenant_code}-${vars.greeting ?? 'none'}` },
      { name: 'admin_password', value: 'hunter2-secret', sensitive: true },
    ],
    runOutcome: (ws, run) => {
      if (ws.name.includes('broken') && !run.isDestroy)
        return { status: 'errored', message: 'Error: creating S3 bucket: AccessDenied' };
      if (ws.name.includes('noop')) return 'planned_and_finished';
      return undefined;
    },
  });
});
afterAll(async () => {
  await fake.close();
  await tables.drop();
});
afterEach(() => fake.clearFaults());

async function rawRow(code: string) {
  const out = await tables.doc.send(
    new GetCommand({ TableName: tables.tenantTable, Key: { tenantCode: code } }),
  );
  return out.Item;
}

describe('shared flow, executed from the ASL file', () => {
  it('create → ready with outputs; sensitive values never stored', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    await h.requests.create({ tenantCode: code, variables: { greeting: 'hello' } }, 'api:test');

    const execution = await h.executeLast();

    expect(execution.status).toBe('succeeded');
    const tenant = await h.repository.get(code);
    expect(tenant).toMatchObject({
      status: 'ready',
      runStatus: 'applied',
      outputs: { bucket_name: `${code}-hello` },
      sensitiveOutputs: ['admin_password'],
    });
    expect(JSON.stringify(await rawRow(code))).not.toContain('hunter2-secret');
    expect(h.notifier.events).toEqual([
      expect.objectContaining({ event: 'TenantReady', tenantCode: code, action: 'create', status: 'ready' }),
    ]);
    expect(JSON.stringify(h.notifier.events)).not.toContain('hunter2-secret');
    const ws = fake.workspace(workspaceName(ENVIRONMENT, code));
    expect(ws?.tagBindings).toEqual(
      expect.arrayContaining([
        { key: 'managed-by', value: 'tenant-control-plane' },
        { key: 'tenant', value: code },
      ]),
    );
    // Tenant inputs travel with the run (run-specific variables), not on the workspace.
    expect(ws?.variables.find((v) => v.key === 'greeting')).toBeUndefined();
    expect(fake.run(tenant?.runId ?? '')?.variables).toMatchObject({
      greeting: 'hello',
      tenant_code: code,
      tier: 'small',
      environment: ENVIRONMENT,
    });
  });

  it('update → ready with the new outputs, reusing the uploaded configuration', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    await h.requests.create({ tenantCode: code, variables: { greeting: 'hello' } }, 'api:test');
    await h.executeLast();
    const uploadsBefore = fake.countBy('PUT /_archivist/*');

    await h.requests.update(code, { variables: { greeting: 'bonjour' } }, 'api:test');
    const execution = await h.executeLast();

    expect(execution.status).toBe('succeeded');
    expect(await h.repository.get(code)).toMatchObject({
      status: 'ready',
      outputs: { bucket_name: `${code}-bonjour` },
    });
    expect(fake.countBy('PUT /_archivist/*')).toBe(uploadsBefore);
  });

  it('delete → deleted, destroy run applied and workspace gone', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    await h.requests.create({ tenantCode: code }, 'api:test');
    await h.executeLast();
    const wsName = workspaceName(ENVIRONMENT, code);
    expect(fake.workspace(wsName)).toBeDefined();

    await h.requests.delete(code, 'api:test');
    const execution = await h.executeLast();

    expect(execution.status).toBe('succeeded');
    const tenant = await h.repository.get(code);
    expect(tenant).toMatchObject({ status: 'deleted' });
    expect(tenant?.outputs).toBeUndefined();
    expect(fake.workspace(wsName)).toBeUndefined();
    expect(fake.runs.filter((r) => r.workspaceName === wsName && r.isDestroy)).toHaveLength(1);
    expect(h.notifier.events.at(-1)).toMatchObject({ event: 'TenantDeleted', status: 'deleted' });
  });

  it('errored run → failed with the run as the reason, execution failed', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode('broken');
    await h.requests.create({ tenantCode: code }, 'api:test');

    const execution = await h.executeLast();

    expect(execution.status).toBe('failed');
    const tenant = await h.repository.get(code);
    expect(tenant?.status).toBe('failed');
    expect(tenant?.runStatus).toBe('errored');
    expect(tenant?.lastError?.code).toBe('RunFailed');
    expect(tenant?.lastError?.message).toContain(`Terraform run ${tenant?.runId} ended errored`);
    expect(h.notifier.events.at(-1)).toMatchObject({ event: 'TenantFailed', status: 'failed' });
  });

  it('a failed tenant is retried with an update', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode('broken');
    await h.requests.create({ tenantCode: code }, 'api:test');
    await h.executeLast();
    expect((await h.repository.get(code))?.status).toBe('failed');

    await h.requests.update(code, { tier: 'medium' }, 'api:test');
    await h.executeLast();

    expect((await h.repository.get(code))?.lastError?.code).toBe('RunFailed');
    await h.requests.delete(code, 'api:test');
    expect((await h.executeLast()).status).toBe('succeeded');
    expect((await h.repository.get(code))?.status).toBe('deleted');
  });

  it('no-change run (planned_and_finished) → ready', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode('noop');
    await h.requests.create({ tenantCode: code }, 'api:test');

    expect((await h.executeLast()).status).toBe('succeeded');
    expect(await h.repository.get(code)).toMatchObject({
      status: 'ready',
      runStatus: 'planned_and_finished',
    });
  });

  it('poll budget exhausted → failed, never left in progress', async () => {
    const slow = await startTfcFake({
      organization: 'acme',
      token: 't0k3n',
      ...FAKE_TIMINGS,
      runDurationMs: 60_000,
    });
    try {
      const h = flowHarness(tables, slow, { pollBudget: 3 });
      const code = newCode();
      await h.requests.create({ tenantCode: code }, 'api:test');

      const execution = await h.executeLast();

      expect(execution.status).toBe('failed');
      const tenant = await h.repository.get(code);
      expect(tenant?.status).toBe('failed');
      expect(tenant?.lastError?.code).toBe('PollBudgetExhausted');
      const checks = execution.events.filter(
        (e) => 'state' in e && e.type === 'StateEntered' && e.state.name === 'Check',
      );
      expect(checks).toHaveLength(3);
    } finally {
      await slow.close();
    }
  });

  it('TFC 429 storm and 5xx → still ready', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    await h.requests.create({ tenantCode: code }, 'api:test');
    const rateLimited = { status: 429, times: 3, headers: { 'X-RateLimit-Reset': '0.05' } };
    fake.injectFault(
      { ...rateLimited, method: 'POST', path: '/api/v2/organizations/:org/workspaces' },
      { ...rateLimited, method: 'GET', path: '/api/v2/workspaces/:id/vars' },
      { ...rateLimited, method: 'POST', path: '/api/v2/runs' },
      { status: 503, times: 2, method: 'GET', path: '/api/v2/runs/:id' },
      { ...rateLimited, method: 'GET', path: '/api/v2/workspaces/:id/current-state-version-outputs' },
    );

    const execution = await h.executeLast();

    expect(execution.status).toBe('succeeded');
    expect((await h.repository.get(code))?.status).toBe('ready');
    expect(fake.pendingFaults).toBe(0);
    expect(fake.requests.filter((r) => r.answeredBy === 'fault').length).toBe(14);
  });

  it('a Check that keeps failing lands in Finalize: failed with the cause, not stuck', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    await h.requests.create({ tenantCode: code }, 'api:test');
    fake.injectFault({ status: 500, times: Infinity, method: 'GET', path: '/api/v2/runs/:id' });

    const execution = await h.executeLast();

    expect(execution.status).toBe('failed');
    const tenant = await h.repository.get(code);
    expect(tenant?.status).toBe('failed');
    expect(tenant?.lastError?.code).toBe('TransientError');
    expect(tenant?.lastError?.message).not.toContain('tfc-test-token-123');
    const retries = execution.events.filter((e) => e.type === 'StateRetried');
    expect(retries.length).toBe(6);
  });

  it('the same request event delivered twice → exactly one run', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    await h.requests.create({ tenantCode: code }, 'api:test');
    const event = h.publisher.events.at(-1)!;
    const runsBefore = fake.countBy('POST /api/v2/runs');

    const [a, b] = await Promise.all([
      h.execute(event.action, event.detail, 'exec-first'),
      h.execute(event.action, event.detail, 'exec-second'),
    ]);

    expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
    expect(fake.countBy('POST /api/v2/runs') - runsBefore).toBe(1);
    expect((await h.repository.get(code))?.status).toBe('ready');
    expect(h.notifier.events.filter((e) => e.tenantCode === code)).toHaveLength(1);
  });

  it('a stale execution cannot overwrite a newer flow', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    await h.requests.create({ tenantCode: code }, 'api:test');
    const stale = h.publisher.events.at(-1)!;
    await h.executeLast();
    await h.requests.update(code, { tier: 'large' }, 'api:test');

    const replay = await h.execute(stale.action, stale.detail);

    expect(replay.status).toBe('succeeded');
    expect((await h.repository.get(code))?.status).toBe('updating');
  });
});
