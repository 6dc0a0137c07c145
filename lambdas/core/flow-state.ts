import * as z from 'zod';
import { ACTIONS, LIFECYCLE_EVENTS } from './flows';
import { TENANT_STATUSES } from './lifecycle';
import { TenantCodeSchema } from './tenant-code';

/**
 * The shared flow's execution state, typed once: what `statemachines/tenant-flow.asl.json` carries between
 * its states and what each task receives through its `Parameters`. Every task parses its input here once;
 * a test walks every JSONPath of the definition and proves it resolves in {@link FlowExecutionStateSchema}.
 */

/** The per-flow constants an input transformer injects (`flowConstants`). */
export const FlowConstantsSchema = z.object({
  action: z.enum(ACTIONS),
  destroy: z.boolean(),
  successStatus: z.enum(['ready', 'deleted']),
  successEvent: z.enum(LIFECYCLE_EVENTS),
});

/** How a run stands as far as the flow is concerned (`classifyRunStatus`). */
export const RUN_OUTCOMES = ['running', 'succeeded', 'failed'] as const;

/** How a waiting flow's run ended, as far as the flow needs to know: the only outcomes a wake carries. */
export const RUN_END_OUTCOMES = ['succeeded', 'failed', 'needs-attention'] as const;
export type RunEndOutcome = (typeof RUN_END_OUTCOMES)[number];

/**
 * What wakes a flow waiting for its run (the callback's output, at `$.run.end`): the run, its status and
 * class, and how the end was learned — a TFC notification, or the wait's own read of the run.
 */
export const RunEndSchema = z.object({
  runId: z.string(),
  runStatus: z.string(),
  outcome: z.enum(RUN_END_OUTCOMES),
  via: z.enum(['notification', 'read']),
  /** When the run's end was learned. */
  at: z.string(),
});
export type RunEnd = z.infer<typeof RunEndSchema>;

/** A failed task as a state's Catch records it: Step Functions' error name and cause. */
export const TaskErrorSchema = z.object({ Error: z.string().optional(), Cause: z.string().optional() });
export type TaskError = z.infer<typeof TaskErrorSchema>;

/** What Trigger and Check answer, at `$.run`. */
export const RunRefSchema = z.object({
  duplicate: z.boolean(),
  workspaceId: z.string().optional(),
  runId: z.string().optional(),
  runStatus: z.string().optional(),
  outcome: z.enum(RUN_OUTCOMES),
  reason: z.string().optional(),
  /** The module version the run applies. */
  moduleVersion: z.string().optional(),
  /** The tenant's `lastError.code` when the outcome is `failed` for a reason other than the run's end. */
  errorCode: z.string().optional(),
  /**
   * Seconds the Wait state lasts before the next Check (the fallback interval while notifications are on);
   * fractions locally (`LOCAL_WAIT_SECONDS`), whole seconds in AWS.
   */
  waitSeconds: z.number().min(0),
  pollsLeft: z.number().int(),
  /**
   * Seconds the AwaitRun state may wait for the run's notification before falling back to polling; 0 when
   * notifications are off, and the flow polls as before.
   */
  awaitSeconds: z.number().min(0),
});
export type RunRef = z.infer<typeof RunRefSchema>;

/**
 * `$.run` as Finalize sees it: the run reference (absent when Admit or Trigger failed), and what the states
 * after Trigger added — the wake's run end, a wait that timed out, a Catch's error.
 */
export const FlowRunSchema = RunRefSchema.partial().extend({
  end: RunEndSchema.optional(),
  timeout: TaskErrorSchema.optional(),
  error: TaskErrorSchema.optional(),
});
export type FlowRun = z.infer<typeof FlowRunSchema>;

const TaskBase = { tenantCode: TenantCodeSchema, flowId: z.string().min(1) };

export const AdmitInputSchema = z.object({
  ...TaskBase,
  flow: FlowConstantsSchema,
  executionId: z.string().min(1),
});
/** A task's input as the state machine sends it, before parsing (the tenant code is a plain string). */
export type AdmitRequest = z.input<typeof AdmitInputSchema>;

export const TriggerInputSchema = AdmitInputSchema;
export type TriggerRequest = z.input<typeof TriggerInputSchema>;

export const CheckInputSchema = z.object({ ...TaskBase, flow: FlowConstantsSchema, run: RunRefSchema });
export type CheckRequest = z.input<typeof CheckInputSchema>;

/** AwaitRun's payload: the run to wait for and the task token that wakes the state. */
export const AwaitInputSchema = z.object({
  ...TaskBase,
  run: RunRefSchema,
  taskToken: z.string().min(1),
});
export type AwaitRequest = z.input<typeof AwaitInputSchema>;

/** Finalize's selected fields: the run as far as it went (and the error of a task that failed). */
export const FinalizeInputSchema = z.object({ ...TaskBase, flow: FlowConstantsSchema, run: FlowRunSchema });
export type FinalizeInput = z.infer<typeof FinalizeInputSchema>;
export type FinalizeRequest = z.input<typeof FinalizeInputSchema>;

/** What Admit answers, at `$.admission`. */
export const AdmissionRefSchema = z.object({
  /** Another execution already holds this flowId (a duplicated event): end without touching anything. */
  duplicate: z.boolean(),
  /** The flow holds a run slot (or needs none): go on to Trigger. */
  admitted: z.boolean(),
  /**
   * Seconds the `Queued` state waits before asking again: `waitSeconds` near the head of the queue, up to
   * `MAX_WAIT_MULTIPLE` times that for a flow whole rounds of slots behind it (see `askAgainIn`).
   */
  waitSeconds: z.number().min(0),
  /** The flow's place in the queue, while it waits. */
  ticket: z.number().int().optional(),
});
export type AdmissionRef = z.infer<typeof AdmissionRefSchema>;

/** What Finalize answers: the tenant's terminal status (or `superseded`) and the event it published. */
export const FinalizeResultSchema = z.object({
  status: z.union([z.enum(TENANT_STATUSES), z.literal('superseded')]),
  event: z.enum(LIFECYCLE_EVENTS).optional(),
  /** The tenant's `lastError.message`, when it failed. */
  reason: z.string().optional(),
});
export type FinalizeResult = z.infer<typeof FinalizeResultSchema>;

/**
 * The whole execution state: the execution input (request detail, flow constants and an empty `run`, as
 * the input transformers write it), then what the states add.
 */
export const FlowExecutionStateSchema = z.object({
  tenantCode: z.string(),
  flowId: z.string(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  flow: FlowConstantsSchema,
  admission: AdmissionRefSchema.optional(),
  run: FlowRunSchema,
  /** Finalize's answer: the execution's output. */
  result: FinalizeResultSchema.optional(),
});

/** The Step Functions context object, as far as the definition reads it. */
export const FlowContextSchema = z.object({
  Execution: z.object({ Id: z.string() }),
  Task: z.object({ Token: z.string() }),
});

/**
 * Finalize's error when the tenant ended `failed`: the execution fails with it (the definition does not
 * retry it), so a failed tenant is a failed execution without a Choice state after Finalize.
 */
export class TenantFailedError extends Error {
  public override readonly name = 'TenantFailed';
}

/** Finalize's answer to the state machine: a failed tenant fails the execution, naming its reason. */
export function finalizeAnswer(result: FinalizeResult): FinalizeResult {
  if (result.status === 'failed') throw new TenantFailedError(result.reason ?? 'the tenant failed');
  return result;
}
