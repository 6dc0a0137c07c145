import { TransientError } from '../../lambdas/core/errors';
import type { TerraformBackend } from '../../lambdas/core/ports';
import { parseTenantCode } from '../../lambdas/core/tenant-code';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { flowHarness } from '../support/flow-harness';
import { startTfcFake, type TfcFake } from '../support/tfc-fake/server';

let tables: TestTables;
let fake: TfcFake;
let n = 0;
const newCode = (prefix = 'runs') => parseTenantCode(`${prefix}-${Date.now().toString(36)}-${n++}`);
const RUNS_LIST = 'GET /api/v2/workspaces/:id/runs';

beforeAll(async () => {
  tables = await createTestTables();
  fake = await startTfcFake({ organization: 'acme', token: 'tfc-test-token-123', runDurationMs: 60 });
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
    expect(fake.countBy('POST /api/v2/runs')).toBe(3);
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
    expect(fake.countBy('POST /api/v2/runs')).toBe(1);
    expect(fake.countBy(RUNS_LIST)).toBe(1);
    const tenant = await h.repository.get(code);
    expect(fake.run(tenant?.runId ?? '')?.message).toContain(tenant?.flowId);
  });
});

describe('runs that wait for a person', () => {
  /**
   * The fake answers the run's reads with `status` (and `is-confirmable`) until the run is discarded,
   * as TFC does for a run held by a soft-mandatory policy or waiting for confirmation (run.mdx).
   */
  async function pausedRunFake(status: string, isConfirmable: boolean) {
    const discarded = new Set<string>();
    const paused = await startTfcFake({
      organization: 'acme',
      token: 'tfc-test-token-123',
      runDurationMs: 60_000,
      faultHook: (request) => {
        const action = /^\/api\/v2\/runs\/([^/]+)\/actions\/discard$/.exec(request.path);
        if (request.method === 'POST' && action?.[1]) {
          discarded.add(action[1]);
          return { status: 202 };
        }
        const read = /^\/api\/v2\/runs\/([^/]+)$/.exec(request.path);
        if (request.method !== 'GET' || !read?.[1]) return undefined;
        const id = read[1];
        const attributes = {
          status: discarded.has(id) ? 'discarded' : status,
          'is-destroy': false,
          message: '',
          actions: { 'is-confirmable': !discarded.has(id) && isConfirmable, 'is-discardable': true },
        };
        return { status: 200, body: { data: { id, type: 'runs', attributes } } };
      },
    });
    return { paused, discarded };
  }

  it.each([
    ['policy_override', false],
    ['post_plan_awaiting_decision', false],
    ['planned', true],
    ['cost_estimated', true],
    ['policy_checked', true],
  ])(
    '%s (confirmable: %s) fails at the first Check with RunNeedsAttention and is discarded',
    async (status, confirmable) => {
      const { paused, discarded } = await pausedRunFake(status, confirmable);
      try {
        const h = flowHarness(tables, paused);
        const code = newCode();
        await h.requests.create({ tenantCode: code }, 'api:test');

        const execution = await h.executeLast();

        const checks = execution.events.filter(
          (e) => 'state' in e && e.type === 'StateEntered' && e.state.name === 'Check',
        );
        expect(checks).toHaveLength(1);
        const tenant = await h.repository.get(code);
        expect(tenant?.status).toBe('failed');
        expect(tenant?.lastError?.code).toBe('RunNeedsAttention');
        expect(tenant?.lastError?.message).toContain(tenant?.runId ?? 'no run id');
        expect(tenant?.lastError?.message).toContain(status);
        expect([...discarded]).toEqual([tenant?.runId]);
      } finally {
        await paused.close();
      }
    },
  );

  it('with onRunNeedsAttention=leave, fails the same way and leaves the run for a person', async () => {
    const { paused, discarded } = await pausedRunFake('policy_override', false);
    try {
      const h = flowHarness(tables, paused, { onRunNeedsAttention: 'leave' });
      const code = newCode();
      await h.requests.create({ tenantCode: code }, 'api:test');

      await h.executeLast();

      expect((await h.repository.get(code))?.lastError).toMatchObject({
        code: 'RunNeedsAttention',
        message: expect.stringContaining('left for a person') as unknown,
      });
      expect(discarded.size).toBe(0);
    } finally {
      await paused.close();
    }
  });

  it('a confirmable status TFC adds later still counts as running', async () => {
    const { paused, discarded } = await pausedRunFake('pre_apply_awaiting_something_new', true);
    try {
      const h = flowHarness(tables, paused, { pollBudget: 2 });
      const code = newCode();
      await h.requests.create({ tenantCode: code }, 'api:test');

      await h.executeLast();

      expect((await h.repository.get(code))?.lastError?.code).toBe('PollBudgetExhausted');
      expect(discarded.size).toBe(0);
    } finally {
      await paused.close();
    }
  });
});
