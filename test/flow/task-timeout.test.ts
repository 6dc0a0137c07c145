import { parseTenantCode } from '../../lambdas/core/tenant-code';
import type { FlowTasks } from '../../lambdas/local/state-machine';
import { executeFlow } from '../../lambdas/local/state-machine';
import { flowInput } from '../../lambdas/core/flows';
import { flowHarness } from '../support/flow-harness';
import { useFlowFixtures } from '../support/flow-fixtures';

const f = useFlowFixtures({ runDurationMs: 60 });

/** How Lambda reports an invocation that ran out of time (the Node.js runtimes' error type). */
function timedOut(name: string): Error {
  const error = new Error('Task timed out after 240.00 seconds');
  error.name = name;
  return error;
}

describe('a task whose function times out', () => {
  it.each(['Sandbox.Timedout', 'Lambda.Unknown'])(
    'Trigger timing out (%s) after starting the run is retried: one run, tenant ready',
    async (errorName) => {
      const h = flowHarness(f.tables, f.fake);
      const code = parseTenantCode(`timeout-${errorName.replace('.', '-').toLowerCase()}`);
      await h.requests.create({ tenantCode: code }, 'api:test');
      const event = h.publisher.events.at(-1)!;
      const runsBefore = f.fake.countBy('POST /api/v2/runs');
      let calls = 0;
      const tasks: FlowTasks = {
        ...h.tasks,
        trigger: async (input) => {
          calls++;
          const run = await h.tasks.trigger(input);
          // The run started, then the invocation ran out of time before answering.
          if (calls === 1) throw timedOut(errorName);
          return run;
        },
      };

      const execution = await executeFlow(flowInput(event.action, event.detail), tasks, {
        executionId: `exec-${code}`,
        waitMs: 20,
        retryMs: 20,
      });

      expect(execution.status).toBe('succeeded');
      expect(calls).toBe(2);
      expect(f.fake.countBy('POST /api/v2/runs') - runsBefore).toBe(1);
      expect((await h.repository.get(code))?.status).toBe('ready');
    },
  );

  it('Check timing out once is retried, the flow ends ready', async () => {
    const h = flowHarness(f.tables, f.fake);
    const code = parseTenantCode('timeout-check');
    await h.requests.create({ tenantCode: code }, 'api:test');
    const event = h.publisher.events.at(-1)!;
    let failed = false;
    const tasks: FlowTasks = {
      ...h.tasks,
      check: async (input) => {
        if (!failed) {
          failed = true;
          throw timedOut('Sandbox.Timedout');
        }
        return h.tasks.check(input);
      },
    };

    const execution = await executeFlow(flowInput(event.action, event.detail), tasks, {
      executionId: `exec-${code}`,
      waitMs: 20,
      retryMs: 20,
    });

    expect(execution.status).toBe('succeeded');
    expect((await h.repository.get(code))?.status).toBe('ready');
  });
});
