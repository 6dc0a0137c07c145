import { join } from 'node:path';
import type { StateMachine } from 'aws-local-stepfunctions';
import type { RolloutStarter, RolloutStore } from '../core/ports';
import { RolloutStepEventSchema } from '../core/rollout';
import { ROLLOUT_DEFINITION_FILE, ROLLOUT_SUBSTITUTIONS } from '../handlers/rollouts/contract';
import { runRolloutStep, type Rollouts } from '../use-cases/rollouts';
import { loadDefinitionFile } from './state-machine';

export const ROLLOUT_DEFINITION_PATH = join(__dirname, '..', '..', ROLLOUT_DEFINITION_FILE);

type JSONValue = Parameters<StateMachine['run']>[0];

/** The rollout definition's Task states, each served locally by the one step function. */
const TASK_STATES = ['Plan', 'Apply', 'Watch', 'ItemFailed', 'Finish', 'Stopped'] as const;

export interface LocalRolloutEngineOptions {
  /** Milliseconds each Wait state lasts instead of its SecondsPath. @default the definition's */
  waitMs?: number;
  /** Milliseconds between retries instead of the definition's backoff (tests). */
  retryMs?: number;
  warn: (line: string) => void;
}

/**
 * The rollout state machine, locally: the real ASL file executed by `aws-local-stepfunctions` (Map with
 * MaxConcurrencyPath included), its tasks served by the same step function as the Lambda. Executions are
 * not journaled: the rollout record is the truth, and {@link resume} starts one for every rollout that was
 * running when the control plane stopped.
 */
export class LocalRolloutEngine implements RolloutStarter {
  private rollouts: Rollouts | undefined;
  private machine: Promise<StateMachine> | undefined;
  private readonly running = new Map<string, Promise<void>>();
  private readonly aborts = new Set<() => void>();
  /** Steps still running, also those of aborted executions. */
  private readonly steps = new Set<Promise<unknown>>();
  private stopped = false;

  public constructor(private readonly options: LocalRolloutEngineOptions) {}

  /** The use case whose steps the executions run (it needs this engine as its starter). */
  public bind(rollouts: Rollouts): void {
    this.rollouts = rollouts;
  }

  public async start(rolloutId: string, executionName: string): Promise<void> {
    if (this.stopped) throw new Error('the local control plane is shutting down');
    const rollouts = this.rollouts;
    if (!rollouts) throw new Error('the rollout engine is not bound to its use case');
    this.machine ??= import('aws-local-stepfunctions').then(
      ({ StateMachine }) =>
        new StateMachine(loadDefinitionFile(ROLLOUT_DEFINITION_PATH, ROLLOUT_SUBSTITUTIONS), {
          validationOptions: { checkArn: true },
        }),
    );
    const machine = await this.machine;
    const step = (input: unknown) => {
      const done = Promise.resolve()
        .then(() => runRolloutStep(rollouts, RolloutStepEventSchema.parse(input)))
        .then((output) => output as JSONValue);
      // An aborted execution settles at once, but a step it was running goes on: stop() waits for it.
      this.steps.add(done);
      const forget = () => void this.steps.delete(done);
      done.then(forget, forget);
      return done;
    };
    const execution = machine.run(
      { rolloutId },
      {
        context: { Execution: { Id: `local:rollout:${executionName}`, Name: executionName } },
        overrides: {
          taskResourceLocalHandlers: Object.fromEntries(TASK_STATES.map((s) => [s, step])),
          ...(this.options.waitMs === undefined
            ? {}
            : {
                waitTimeOverrides: { WaitForTenant: this.options.waitMs, WaitForTurn: this.options.waitMs },
              }),
          ...(this.options.retryMs === undefined
            ? {}
            : {
                retryIntervalOverrides: Object.fromEntries(
                  TASK_STATES.map((s) => [s, this.options.retryMs as number]),
                ),
              }),
        },
      },
    );
    const abort = () => execution.abort();
    this.aborts.add(abort);
    const done = execution.result
      .then(
        () => undefined,
        (error: unknown) => {
          if (!this.stopped) this.options.warn(`rollout execution ${executionName} failed: ${String(error)}`);
        },
      )
      .finally(() => {
        this.aborts.delete(abort);
        this.running.delete(executionName);
      });
    this.running.set(executionName, done);
  }

  /**
   * Starts an execution for every rollout that is running (or canceled but not ended): those a stop
   * interrupted. Returns how many.
   */
  public async resume(store: RolloutStore): Promise<number> {
    let resumed = 0;
    let nextToken: string | undefined;
    do {
      const page = await store.list({ limit: 100, ...(nextToken ? { nextToken } : {}) });
      for (const rollout of page.items) {
        const interrupted =
          rollout.status === 'running' || (rollout.status === 'canceled' && rollout.endedAt === null);
        if (!interrupted) continue;
        await this.start(rollout.rolloutId, `${rollout.rolloutId}-restart-${Date.now()}`);
        resumed++;
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return resumed;
  }

  /** Waits for every execution to end (tests). */
  public async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /**
   * Stops every execution where it is; the rollout records keep what is left for the next start. Steps
   * already running finish first (DynamoDB is still there): a tenant update a step has begun is either
   * started or undone, never left half-done for the reconciler.
   */
  public async stop(): Promise<void> {
    this.stopped = true;
    for (const abort of this.aborts) abort();
    await Promise.all(this.running.values());
    await Promise.allSettled([...this.steps]);
  }
}
