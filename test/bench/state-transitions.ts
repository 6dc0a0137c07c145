import { randomUUID } from 'node:crypto';
import { flowInput, type Action } from '../../lambdas/core/flows';
import type { Clock } from '../../lambdas/core/ports';
import { RunNotifications } from '../../lambdas/use-cases/run-notifications';
import { parseTenantCode } from '../../lambdas/core/tenant-code';
import { DEFAULT_NOTIFICATION_WAIT_SECONDS } from '../../lambdas/core/defaults';
import type { AwaitRequest, CheckRequest } from '../../lambdas/core/flow-state';
import { finalizeTask, taskHandler } from '../../lambdas/handlers/flow/wiring';
import { executeFlow, type EventLog, type FlowTasks } from '../../lambdas/local/state-machine';
import { TenantFlow } from '../../lambdas/use-cases/tenant-flow';
import { createTestTables } from '../support/dynamodb';
import { ENVIRONMENT, flowHarness } from '../support/flow-harness';
import { NotificationDestination } from '../support/notification-destination';
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

/** How the flow learns that its run ended: TFC's run notification (AwaitRun), or polling (Wait/Check). */
type Completion = 'notification' | 'polling';

interface Execution {
  completion: Completion;
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

/** One create and one delete of a tenant whose runs last `runMinutes` simulated minutes. */
async function transitionsOf(
  tables: Awaited<ReturnType<typeof createTestTables>>,
  completion: Completion,
  runMinutes: number,
  hmac: string,
): Promise<Execution[]> {
  const executions: Execution[] = [];
  const clock = new SimulatedClock(Date.now());
  let harness: ReturnType<typeof flowHarness> | undefined;
  // The receiver, as in AWS: verifies the signature, maps the run id to the waiting flow, wakes it.
  const destination = await new NotificationDestination((body, signature) => {
    if (!harness) return Promise.resolve({ statusCode: 503, body: '{}' });
    return new RunNotifications({
      repository: harness.repository,
      waker: harness.waker,
      token: () => Promise.resolve(hmac),
      environment: ENVIRONMENT,
      clock,
    }).receive({ body, ...(signature ? { signature } : {}) });
  }).start();
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
    const notifications = completion === 'notification';
    harness = flowHarness(tables, fake, {
      ...(notifications
        ? {
            notifications: { url: () => destination.url, token: () => Promise.resolve(hmac) },
            awaitRun: { timeoutMs: 60_000 },
          }
        : {}),
    });
    const h = harness;
    const flow = new TenantFlow({
      repository: h.repository,
      backend: h.backend,
      notifier: h.notifier,
      clock,
      admission: h.admission,
      pollIntervalSeconds: AWS_POLL_INTERVAL_SECONDS,
      pollBudget: AWS_POLL_BUDGET,
      awaitSeconds: notifications ? DEFAULT_NOTIFICATION_WAIT_SECONDS : 0,
      waker: h.waker,
    });
    let checks = 0;
    const tasks: FlowTasks = {
      admit: taskHandler((i) => h.admission.admit(i)),
      trigger: taskHandler((i) => flow.trigger(i)),
      check: taskHandler((i: CheckRequest) => {
        // The Wait state before this Check lasted `run.waitSeconds` in AWS: let that much time pass.
        clock.advance(i.run.waitSeconds);
        checks += 1;
        return flow.check(i);
      }),
      awaitRun: taskHandler(async (i: AwaitRequest) => {
        const waiting = await flow.awaitRun(i);
        // The run goes on while the flow waits: its end reaches the receiver as TFC's notification.
        clock.advance(runMinutes * 60);
        return waiting;
      }),
      finalize: finalizeTask(() => flow),
    };
    const code = parseTenantCode(`transitions-${completion.slice(0, 5)}-${runMinutes}m`);
    for (const action of ['create', 'delete'] as const) {
      const started = clock.epochMs();
      checks = 0;
      if (action === 'create') await h.requests.create({ tenantCode: code }, 'bench');
      else await h.requests.delete(code, 'bench');
      const event = h.publisher.events.at(-1);
      if (!event) throw new Error(`no ${action} event was published`);
      const execution = await executeFlow(flowInput(event.action, event.detail), tasks, {
        executionId: `bench-${randomUUID()}`,
        waitMs: 0,
        retryMs: 0,
        ...(notifications ? { awaitRun: { waker: h.waker, timeoutMs: 60_000 } } : {}),
      });
      const tenant = await h.repository.get(code);
      executions.push({
        completion,
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
    await destination.close();
  }
  return executions;
}

/**
 * Figure 3: state transitions per provisioning, with run notifications (AwaitRun woken by the receiver)
 * and without (the Wait/Check loop). The real ASL file runs in-process (aws-local-stepfunctions) over the
 * real flow tasks, DynamoDB Local and the TFC fake; the fake's clock is simulated and advanced by the Wait
 * state's seconds before each Check (or by the run's length while AwaitRun waits), so a 20-minute run
 * takes no real minutes.
 */
export async function stateTransitions(options: TransitionOptions, scope: Scope): Promise<SectionResult> {
  const tables = await createTestTables();
  scope.defer('state-transition tables', tables, () => tables.drop());
  const executions: Execution[] = [];
  const hmac = 'bench-notification-token';
  for (const completion of ['notification', 'polling'] as const) {
    for (const runMinutes of options.runMinutes) {
      executions.push(...(await transitionsOf(tables, completion, runMinutes, hmac)));
    }
  }

  const method = (e: Execution) =>
    `StateEntered events in the execution event log of the real ASL file run locally (aws-local-stepfunctions) for one ${e.action} flow, ${e.completion === 'notification' ? "run notifications on: AwaitRun woken by the receiver when the TFC fake's signed notification arrives" : 'run notifications off'}, with the AWS defaults Wait ${AWS_POLL_INTERVAL_SECONDS}s and poll budget ${AWS_POLL_BUDGET}; TFC fake run lasting ${e.runMinutes} min of simulated time (fake clock advanced by the Wait's seconds before each Check, or by the run's length while AwaitRun waits); retries would add to it (StateRetried: ${e.retried})`;
  const figures: Figure[] = executions.map((e) => ({
    name: `stateTransitions.${e.completion}.${e.action}.${e.runMinutes}min`,
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
    .map((e) => `${e.action} flow (${e.completion}) with a ${e.runMinutes}-minute run ended ${e.status}`);
  // Event-driven completion: the same count whatever the run's length, and at most six.
  for (const action of ['create', 'delete'] as const) {
    const counts = new Set(
      executions.filter((e) => e.completion === 'notification' && e.action === action).map((e) => e.entered),
    );
    if (counts.size > 1 || [...counts].some((c) => c > 6))
      problems.push(
        `${action} with notifications: ${[...counts].join('/')} transitions (expected ≤ 6, the same for every run length)`,
      );
  }
  return {
    title: `3. State transitions per flow (Wait ${AWS_POLL_INTERVAL_SECONDS}s, simulated run time)`,
    figures,
    tables: [
      {
        columns: [
          'completion',
          'flow',
          'run (min)',
          'transitions',
          'Check polls',
          'simulated s',
          'outcome',
          'per state',
        ],
        rows: executions.map((e) => [
          e.completion,
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
