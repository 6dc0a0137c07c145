import { randomUUID } from 'node:crypto';
import { flowInput, type Action } from '../../lambdas/core/flows';
import type { Clock } from '../../lambdas/core/ports';
import { parseTenantCode } from '../../lambdas/core/tenant-code';
import type { CheckRequest } from '../../lambdas/core/flow-state';
import { finalizeTask, taskHandler } from '../../lambdas/handlers/flow/wiring';
import { executeFlow, type EventLog, type FlowTasks } from '../../lambdas/local/state-machine';
import { TenantFlow } from '../../lambdas/use-cases/tenant-flow';
import { createTestTables } from '../support/dynamodb';
import { flowHarness } from '../support/flow-harness';
import { startTfcFake } from '../support/tfc-fake/server';
import type { Figure, SectionResult } from './report';
import type { Scope } from './scope';

/** The deployed defaults (lib/constructs/tenant-flows.ts, lambdas/handlers/flow/wiring.ts). */
export const AWS_POLL_INTERVAL_SECONDS = 120;
export const AWS_POLL_BUDGET = 90;

export interface TransitionOptions {
  /** Simulated run durations, in minutes. */
  runMinutes: number[];
}

interface Execution {
  action: Action;
  runMinutes: number;
  status: string;
  entered: number;
  retried: number;
  checks: number;
  simulatedSeconds: number;
  byState: Record<string, number>;
}

/** A clock that only moves when told to: the flow's waits advance it instead of real time passing. */
class SimulatedClock implements Clock {
  public constructor(private ms: number) {}
  public now(): Date {
    return new Date(this.ms);
  }
  public epochMs(): number {
    return this.ms;
  }
  public advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

function countStates(events: readonly EventLog[]): {
  entered: number;
  retried: number;
  byState: Record<string, number>;
} {
  const byState: Record<string, number> = {};
  let entered = 0;
  let retried = 0;
  for (const event of events) {
    if (event.type === 'StateRetried') retried += 1;
    if (event.type !== 'StateEntered') continue;
    entered += 1;
    byState[event.state.name] = (byState[event.state.name] ?? 0) + 1;
  }
  return { entered, retried, byState };
}

/**
 * Figure 3: state transitions per provisioning. The real ASL file runs in-process (aws-local-stepfunctions)
 * over the real flow tasks, DynamoDB Local and the TFC fake; the fake's clock is simulated and advanced by
 * the Wait state's seconds before each Check, so a 20-minute run takes no real minutes.
 */
export async function stateTransitions(options: TransitionOptions, scope: Scope): Promise<SectionResult> {
  const tables = await createTestTables();
  scope.defer('state-transition tables', tables, () => tables.drop());
  const executions: Execution[] = [];
  for (const runMinutes of options.runMinutes) {
    const clock = new SimulatedClock(Date.now());
    const fake = await startTfcFake({
      organization: 'bench',
      token: 'bench-token',
      clock: () => clock.epochMs(),
      runDurationMs: runMinutes * 60_000,
      // The simulated clock stands still between Waits, while the client polls the upload and reads
      // the outputs: process both at once.
      uploadProcessingMs: 0,
      outputsProcessingMs: 0,
      outputs: (name) => [{ name: 'bucket_name', value: `${name}-data` }],
    });
    try {
      const harness = flowHarness(tables, fake);
      const flow = new TenantFlow({
        repository: harness.repository,
        backend: harness.backend,
        notifier: harness.notifier,
        clock,
        admission: harness.admission,
        pollIntervalSeconds: AWS_POLL_INTERVAL_SECONDS,
        pollBudget: AWS_POLL_BUDGET,
      });
      let checks = 0;
      const tasks: FlowTasks = {
        admit: taskHandler((i) => harness.admission.admit(i)),
        trigger: taskHandler((i) => flow.trigger(i)),
        check: taskHandler((i: CheckRequest) => {
          // The Wait state before this Check lasted `run.waitSeconds` in AWS: let that much time pass.
          clock.advance(i.run.waitSeconds);
          checks += 1;
          return flow.check(i);
        }),
        awaitRun: taskHandler((i) => flow.awaitRun(i)),
        finalize: finalizeTask(() => flow),
      };
      const code = parseTenantCode(`transitions-${runMinutes}m`);
      for (const action of ['create', 'delete'] as const) {
        const started = clock.epochMs();
        checks = 0;
        if (action === 'create') await harness.requests.create({ tenantCode: code }, 'bench');
        else await harness.requests.delete(code, 'bench');
        const event = harness.publisher.events.at(-1);
        if (!event) throw new Error(`no ${action} event was published`);
        const execution = await executeFlow(flowInput(event.action, event.detail), tasks, {
          executionId: `bench-${randomUUID()}`,
          waitMs: 0,
          retryMs: 0,
        });
        const tenant = await harness.repository.get(code);
        executions.push({
          action,
          runMinutes,
          status: `${execution.status}/${tenant?.status ?? 'absent'}`,
          ...countStates(execution.events),
          checks,
          simulatedSeconds: (clock.epochMs() - started) / 1000,
        });
      }
    } finally {
      await fake.close();
    }
  }

  const method = (e: Execution) =>
    `StateEntered events in the execution event log of the real ASL file run locally (aws-local-stepfunctions) for one ${e.action} flow, with the AWS defaults Wait ${AWS_POLL_INTERVAL_SECONDS}s and poll budget ${AWS_POLL_BUDGET}; TFC fake run lasting ${e.runMinutes} min of simulated time (fake clock advanced by the Wait's seconds before each Check); retries would add to it (StateRetried: ${e.retried})`;
  const figures: Figure[] = executions.map((e) => ({
    name: `stateTransitions.${e.action}.${e.runMinutes}min`,
    values: {
      stateTransitions: e.entered,
      checks: e.checks,
      simulatedSeconds: e.simulatedSeconds,
      retries: e.retried,
      outcome: e.status,
    },
    unit: 'transitions/flow',
    method: method(e),
  }));
  const problems = executions
    .filter((e) => !/^succeeded\/(ready|deleted)$/.test(e.status))
    .map((e) => `${e.action} flow with a ${e.runMinutes}-minute run ended ${e.status}`);
  return {
    title: `3. State transitions per flow (Wait ${AWS_POLL_INTERVAL_SECONDS}s, simulated run time)`,
    figures,
    tables: [
      {
        columns: ['flow', 'run (min)', 'transitions', 'Check polls', 'simulated s', 'outcome', 'per state'],
        rows: executions.map((e) => [
          e.action,
          e.runMinutes,
          e.entered,
          e.checks,
          e.simulatedSeconds,
          e.status,
          Object.entries(e.byState)
            .map(([state, n]) => `${state}:${n}`)
            .join(' '),
        ]),
      },
    ],
    problems,
    notes: [
      'Step Functions Standard bills every state transition; a Choice or Succeed state counts like a Task.',
    ],
  };
}
