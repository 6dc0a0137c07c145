import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import type { FlowInput } from '../core/flows';
import type { AdmissionRef, AdmitInput } from '../use-cases/admission';
import type {
  CheckInput,
  FinalizeInput,
  FinalizeResult,
  RunRef,
  TriggerInput,
} from '../use-cases/tenant-flow';
import { FLOW_DEFINITION_FILE, FLOW_SUBSTITUTIONS } from '../handlers/flow/contract';

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
  admit(input: AdmitInput): Promise<AdmissionRef>;
  trigger(input: TriggerInput): Promise<RunRef>;
  check(input: CheckInput): Promise<RunRef>;
  finalize(input: FinalizeInput): Promise<FinalizeResult>;
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
    context: { Execution: { Id: options.executionId } },
    overrides: {
      taskResourceLocalHandlers: {
        Admit: (i) => tasks.admit(i as unknown as AdmitInput) as unknown as Promise<JSONValue>,
        Trigger: (i) => tasks.trigger(i as unknown as TriggerInput) as unknown as Promise<JSONValue>,
        Check: (i) => tasks.check(i as unknown as CheckInput) as unknown as Promise<JSONValue>,
        Finalize: (i) =>
          tasks.finalize((i as unknown as { input: FinalizeInput }).input) as unknown as Promise<JSONValue>,
      },
      waitTimeOverrides: {
        Wait: options.waitMs,
        ...(options.queuedWaitMs === 'definition' ? {} : { Queued: options.queuedWaitMs ?? options.waitMs }),
      },
      // Without an override, retries back off as the definition says (interval, rate, jitter).
      ...(retryMs === undefined
        ? {}
        : {
            retryIntervalOverrides: { Admit: retryMs, Trigger: retryMs, Check: retryMs, Finalize: retryMs },
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
