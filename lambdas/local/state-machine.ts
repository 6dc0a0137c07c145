import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import type {
  AdmissionRef,
  AdmitRequest,
  AwaitRequest,
  CheckRequest,
  FinalizeRequest,
  FinalizeResult,
  RunRef,
  TriggerRequest,
} from '../core/flow-state';
import type { FlowInput } from '../core/flows';
import { FLOW_DEFINITION_FILE, FLOW_SUBSTITUTIONS } from '../handlers/flow/contract';
import type { LocalFlowWaker } from './flow-waker';

// aws-local-stepfunctions uses Promise.withResolvers (Node 22+); Node 20 needs it provided.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

type JSONValue = Parameters<StateMachine['run']>[0];
type Execution = ReturnType<StateMachine['run']>;
/** One entry of an execution's event log (state entered/exited/retried/caught, execution ended). */
export type EventLog = Execution['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export const DEFINITION_PATH = join(__dirname, '..', '..', FLOW_DEFINITION_FILE);

/** The placeholders of the shared definition; the CDK fills them with function ARNs. */
export const DEFINITION_PLACEHOLDERS = FLOW_SUBSTITUTIONS;

/** The shared definition with its placeholders replaced, as `definitionSubstitutions` does in AWS. */
export function loadDefinition(substitutions?: Record<string, string>): StateMachineDefinition {
  return loadDefinitionFile(DEFINITION_PATH, DEFINITION_PLACEHOLDERS, substitutions);
}

/** An ASL file with its `${Placeholders}` replaced (by local function ARNs unless given). */
export function loadDefinitionFile(
  path: string,
  placeholders: readonly string[],
  substitutions?: Record<string, string>,
): StateMachineDefinition {
  let text = readFileSync(path, 'utf8');
  for (const name of placeholders) {
    const value = substitutions?.[name] ?? `arn:aws:lambda:us-east-1:000000000000:function:local-${name}`;
    text = text.replaceAll(`\${${name}}`, value);
  }
  return JSON.parse(text) as StateMachineDefinition;
}

let machine: Promise<StateMachine> | undefined;

/** Parsing and validating the definition costs ~0.3 s of CPU: done once per process, not per execution. */
function sharedMachine(): Promise<StateMachine> {
  machine ??= import('aws-local-stepfunctions').then(
    ({ StateMachine }) => new StateMachine(loadDefinition(), { validationOptions: { checkArn: true } }),
  );
  return machine;
}

export interface FlowTasks {
  admit(input: AdmitRequest): Promise<AdmissionRef>;
  trigger(input: TriggerRequest): Promise<RunRef>;
  check(input: CheckRequest): Promise<RunRef>;
  /** The AwaitRun state's function: stores the task token, reads the run once. */
  awaitRun(input: AwaitRequest): Promise<unknown>;
  finalize(input: FinalizeRequest): Promise<FinalizeResult>;
}

/**
 * The AwaitRun state's callback, emulated (aws-local-stepfunctions has no `.waitForTaskToken`): the
 * state's handler opens a wait on the waker, hands its token to the await task, and resolves with the
 * run's end once the receiver (or the task's own read) wakes it — or fails `States.Timeout` after
 * `timeoutMs`, which the definition's Catch turns into the polling fallback, as in AWS.
 */
export interface LocalAwait {
  waker: LocalFlowWaker;
  timeoutMs: number;
}

export interface LocalExecutionOptions {
  executionId: string;
  /** Milliseconds each Wait state lasts instead of its SecondsPath. */
  waitMs: number;
  /**
   * Milliseconds the Queued state lasts instead of its SecondsPath, or `definition` to keep the
   * SecondsPath (the ask interval the Admit task chose). @default waitMs
   */
  queuedWaitMs?: number | 'definition';
  /** Milliseconds between retries instead of the definition's backoff (tests). @default the definition's */
  retryMs?: number;
  /** Stops the execution where it is (a shutdown); it ends `aborted`. */
  signal?: AbortSignal;
  /** How the AwaitRun state waits locally. @default a wait that times out at once (the flow polls) */
  awaitRun?: LocalAwait;
}

export interface LocalExecution {
  /** As Step Functions would report the execution. */
  status: 'succeeded' | 'failed' | 'aborted';
  output: JSONValue | undefined;
  error?: string;
  events: EventLog[];
}

/**
 * Executes the real shared ASL file in-process with `aws-local-stepfunctions`, its Task states served by
 * the given flow tasks: the same definition, Retry, Catch and Choice logic as in AWS.
 */
export async function executeFlow(
  input: FlowInput,
  tasks: FlowTasks,
  options: LocalExecutionOptions,
): Promise<LocalExecution> {
  const machine = await sharedMachine();
  const retryMs = options.retryMs;
  const execution = machine.run(input as unknown as JSONValue, {
    // The token is the local waker's, made per wait by the AwaitRun handler.
    context: { Execution: { Id: options.executionId }, Task: { Token: 'local' } },
    overrides: {
      taskResourceLocalHandlers: {
        Admit: (i) => tasks.admit(i as unknown as AdmitRequest),
        Trigger: (i) => tasks.trigger(i as unknown as TriggerRequest),
        Check: (i) => tasks.check(i as unknown as CheckRequest),
        AwaitRun: (i) =>
          awaitRun(
            (i as unknown as { Payload: AwaitRequest }).Payload,
            tasks,
            options.awaitRun,
            options.signal,
          ) as unknown as Promise<JSONValue>,
        Finalize: (i) => tasks.finalize(i as unknown as FinalizeRequest),
      },
      waitTimeOverrides: {
        Wait: options.waitMs,
        ...(options.queuedWaitMs === 'definition' ? {} : { Queued: options.queuedWaitMs ?? options.waitMs }),
      },
      // Without an override, retries back off as the definition says (interval, rate, jitter).
      ...(retryMs === undefined
        ? {}
        : {
            retryIntervalOverrides: {
              Admit: retryMs,
              Trigger: retryMs,
              Check: retryMs,
              AwaitRun: retryMs,
              Finalize: retryMs,
            },
          }),
    },
  });
  const onAbort = () => execution.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  try {
    const output = await execution.result;
    await collecting;
    return { status: 'succeeded', output, events };
  } catch (error) {
    await collecting.catch(() => undefined);
    if (options.signal?.aborted) return { status: 'aborted', output: undefined, events };
    return {
      status: 'failed',
      output: undefined,
      error: error instanceof Error ? error.message : String(error),
      events,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** A task failing with this name is caught as the state's own timeout (`States.Timeout`). */
class LocalTimeoutError extends Error {
  public override readonly name = 'States.Timeout';
}

/** The AwaitRun state locally: see {@link LocalAwait}. */
async function awaitRun(
  payload: AwaitRequest,
  tasks: FlowTasks,
  local: LocalAwait | undefined,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  if (!local) throw new LocalTimeoutError('no local waker: the flow polls');
  const wait = local.waker.open();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await tasks.awaitRun({ ...payload, taskToken: wait.token });
    return await Promise.race([
      wait.woken,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new LocalTimeoutError(`no notification within ${local.timeoutMs} ms`)),
          local.timeoutMs,
        );
        onAbort = () => reject(new Error('the execution was stopped'));
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    wait.close();
  }
}
