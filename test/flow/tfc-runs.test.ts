import { TransientError } from '../../lambdas/core/errors';
import type { TerraformBackend } from '../../lambdas/core/ports';
import { parseTenantCode } from '../../lambdas/core/tenant-code';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { flowHarness } from '../support/flow-harness';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from '../support/tfc-fake/server';

let tables: TestTables;
let fake: TfcFake;
let n = 0;
const newCode = (prefix = 'runs') => parseTenantCode(`${prefix}-${Date.now().toString(36)}-${n++}`);
const RUNS_LIST = 'GET /api/v2/workspaces/:id/runs';
/** Runs of this tenant's workspace only: a flow of an earlier test may still be finishing on the shared fake. */
const runsOf = (code: string) => fake.runs.filter((run) => run.workspaceName.endsWith(`-${code}`));

beforeAll(async () => {
  tables = await createTestTables();
  fake = await startTfcFake({ ...FAST_TIMINGS, organization: 'acme', token: 'tfc-test-token-123' });
});
afterAll(async () => {
  await fake.close();
  await tables.drop();
});

describe('runs: recorded, not listed', () => {
  it('a create, an update and a delete list no runs', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    fake.clearRequests();

    await h.requests.create({ tenantCode: code, variables: { greeting: 'hi' } }, 'api:test');
    expect((await h.executeLast()).status).toBe('succeeded');
    await h.requests.update(code, { variables: { greeting: 'hello' } }, 'api:test');
    expect((await h.executeLast()).status).toBe('succeeded');
    await h.requests.delete(code, 'api:test');
    expect((await h.executeLast()).status).toBe('succeeded');

    expect((await h.repository.get(code))?.status).toBe('deleted');
    expect(runsOf(code)).toHaveLength(3);
    expect(fake.countBy(RUNS_LIST)).toBe(0);
  });

  it('a Trigger retried after its run was created finds that run by flowId instead of starting another', async () => {
    let crashes = 1;
    const h = flowHarness(tables, fake, {
      // The run is created, then the task dies before the run id is recorded (a timeout, a crash).
      wrapBackend: (backend): TerraformBackend => ({
        ...backend,
        getRun: (run) => backend.getRun(run),
        getOutputs: (id) => backend.getOutputs(id),
        deleteWorkspace: (id, code) => backend.deleteWorkspace(id, code),
        discardRun: (run) => backend.discardRun(run),
        startRun: async (request) => {
          const started = await backend.startRun(request);
          if (crashes-- > 0) throw new TransientError('the task timed out after starting the run');
          return started;
        },
      }),
    });
    const code = newCode();
    fake.clearRequests();
    await h.requests.create({ tenantCode: code }, 'api:test');

    const execution = await h.executeLast();

    expect(execution.status).toBe('succeeded');
    expect(await h.repository.get(code)).toMatchObject({ status: 'ready' });
    expect(runsOf(code)).toHaveLength(1);
    // Recovery lists the runs (a repeat after a lost or throttled answer is harmless).
    expect(fake.countBy(RUNS_LIST)).toBeGreaterThanOrEqual(1);
    const tenant = await h.repository.get(code);
    expect(fake.run(tenant?.runId ?? '')?.message).toContain(tenant?.flowId);
  });
});

describe('runs that wait for a person', () => {
  /** Runs of tenants `na<tag>-…` stop at that status after their plan (run.mdx "Run States"). */
  const NEEDS_PERSON = {
    policy_override: 'po',
    post_plan_awaiting_decision: 'ppad',
    planned: 'pl',
    cost_estimated: 'ce',
    policy_checked: 'pc',
  } as const;
  type NeedsPerson = keyof typeof NEEDS_PERSON;
  const statuses = Object.keys(NEEDS_PERSON) as NeedsPerson[];
  let paused: TfcFake;
  beforeAll(async () => {
    paused = await startTfcFake({
      ...FAST_TIMINGS,
      runDurationMs: 0,
      organization: 'acme',
      token: 'tfc-test-token-123',
      runOutcome: (ws) => statuses.find((status) => ws.name.includes(`-na${NEEDS_PERSON[status]}-`)),
    });
  });
  afterAll(() => paused.close());

  it.each(statuses)('%s fails at the first Check with RunNeedsAttention and is discarded', async (status) => {
    const h = flowHarness(tables, paused);
    const code = newCode(`na${NEEDS_PERSON[status]}`);
    await h.requests.create({ tenantCode: code }, 'api:test');
    const execution = await h.executeLast();

    const checks = execution.events.filter(
      (e) => 'state' in e && e.type === 'StateEntered' && e.state.name === 'Check',
    );
    const tenant = await h.repository.get(code);
    expect(tenant?.status).toBe('failed');
    expect(tenant?.lastError?.code).toBe('RunNeedsAttention');
    expect(tenant?.lastError?.message).toContain(tenant?.runId ?? 'no run id');
    expect(tenant?.lastError?.message).toContain(status);
    // The run pauses as soon as it plans (no run duration): the first Check already fails the flow.
    expect(checks).toHaveLength(1);
    expect(paused.run(tenant?.runId ?? '')?.status).toBe('discarded');
    // One discard takes effect; a repeat after a lost answer is harmless (409) and allowed.
    const discards = paused.requests.filter(
      (e) => e.method === 'POST' && e.path === `/api/v2/runs/${tenant?.runId ?? ''}/actions/discard`,
    );
    expect(discards.filter((e) => e.status === 202)).toHaveLength(1);
  });

  it('with onRunNeedsAttention=leave, fails the same way and leaves the run for a person', async () => {
    const h = flowHarness(tables, paused, { onRunNeedsAttention: 'leave' });
    const code = newCode('napo');
    await h.requests.create({ tenantCode: code }, 'api:test');

    await h.executeLast();

    const tenant = await h.repository.get(code);
    expect(tenant?.lastError).toMatchObject({
      code: 'RunNeedsAttention',
      message: expect.stringContaining('left for a person') as unknown,
    });
    expect(paused.run(tenant?.runId ?? '')?.status).toBe('policy_override');
  });
});
