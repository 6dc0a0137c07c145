/**
 * A run's status as a pure function of its record and the time (computed lazily on every read).
 *
 * run.mdx "Run States": pending → planning → (planned, waiting for confirmation when the run may not
 * auto-apply) → applying → applied; `planned_and_finished` for plan-only runs and plans without
 * changes; `errored`, `discarded`, `canceled` otherwise. The plan takes the first half of the run's
 * duration and the apply the second; runs without an apply phase plan for the whole duration.
 *
 * A run that needs a person (`planned`/`cost_estimated`/`policy_checked` while confirmable,
 * `policy_override`, `post_plan_awaiting_decision`) stops at the end of its plan and stays there until
 * an apply action (confirmable ones only) or a discard: TFC never moves it by itself.
 */
import type { ResolvedOutcome, RunRecord } from './records';
import type { FakeRunStatus, NeedsAttentionStatus } from './types';

export interface RunEvent {
  status: FakeRunStatus;
  at: number;
}

const TERMINAL: ReadonlySet<FakeRunStatus> = new Set([
  'applied',
  'planned_and_finished',
  'errored',
  'canceled',
  'force_canceled',
  'discarded',
  'policy_soft_failed',
]);

export function isTerminal(status: FakeRunStatus): boolean {
  return TERMINAL.has(status);
}

/** Statuses that hold a slot of the organization's concurrency: Terraform is running. */
export function isExecuting(status: FakeRunStatus): boolean {
  return status === 'planning' || status === 'applying';
}

/**
 * run.mdx "Apply a Run": "runs in the 'needs confirmation' and 'policy checked' states"; a cost
 * estimate is confirmable the same way. A `policy_override` needs the override first, and a
 * `post_plan_awaiting_decision` a run-task decision (assumed: the apply action is refused for both).
 */
export function isConfirmable(status: FakeRunStatus): boolean {
  return status === 'planned' || status === 'cost_estimated' || status === 'policy_checked';
}

/**
 * run.mdx "Discard a Run": "pending", "needs confirmation", "policy checked" and "policy override";
 * assumed the same for `cost_estimated` and `post_plan_awaiting_decision`, the other paused states.
 */
export function isDiscardable(status: FakeRunStatus): boolean {
  return (
    status === 'pending' ||
    isConfirmable(status) ||
    status === 'policy_override' ||
    status === 'post_plan_awaiting_decision'
  );
}

/** run.mdx "Cancel a Run": only a run that is planning or applying. */
export function isCancelable(status: FakeRunStatus): boolean {
  return isExecuting(status);
}

/** Where the run stops after its plan, if anywhere: the outcome's halt, or `planned` without auto-apply. */
export function haltOf(run: RunRecord): NeedsAttentionStatus | undefined {
  const { outcome } = run;
  if (outcome === undefined) return undefined;
  if (outcome.halt !== undefined) return outcome.halt;
  return hasApplyPhase(outcome) && !run.autoApply ? 'planned' : undefined;
}

/** True when the outcome goes through an apply phase. */
export function hasApplyPhase(outcome: ResolvedOutcome): boolean {
  return (
    outcome.halt !== undefined ||
    outcome.status === 'applied' ||
    (outcome.status === 'errored' && outcome.phase === 'apply')
  );
}

function naturalEvents(run: RunRecord): RunEvent[] {
  const events: RunEvent[] = [{ status: 'pending', at: run.createdAt }];
  const { startedAt, outcome } = run;
  if (startedAt === undefined || outcome === undefined) return events;
  events.push({ status: 'planning', at: startedAt });
  if (!hasApplyPhase(outcome)) {
    events.push({ status: outcome.status, at: startedAt + run.durationMs });
    return events;
  }
  const planEnd = startedAt + run.durationMs / 2;
  const halt = haltOf(run);
  if (halt !== undefined) {
    // run.mdx "Apply a Run": such a run waits (without auto-apply: confirmable) until the apply action.
    events.push({ status: halt, at: planEnd });
    if (run.confirmedAt === undefined) return events;
  }
  const applyStart = Math.max(planEnd, run.confirmedAt ?? planEnd);
  events.push({ status: 'applying', at: applyStart });
  events.push({ status: outcome.status, at: applyStart + run.durationMs / 2 });
  return events;
}

/** Every status the run has reached or will reach, in order, honouring a discard or cancel. */
export function runEvents(run: RunRecord): RunEvent[] {
  const events = naturalEvents(run);
  const stop = run.interruption;
  if (stop === undefined) return events;
  const kept = events.filter((event) => event.at <= stop.at && !isTerminal(event.status));
  return [...kept, { status: stop.status, at: stop.at }];
}

/** The run's status at `now`. */
export function runStatusAt(run: RunRecord, now: number): FakeRunStatus {
  let status: FakeRunStatus = 'pending';
  for (const event of runEvents(run)) {
    if (event.at <= now) status = event.status;
  }
  return status;
}

/** When the run reaches (or reached) a terminal status; undefined while that is not yet decided. */
export function terminalAt(run: RunRecord): number | undefined {
  const last = runEvents(run).at(-1);
  return last !== undefined && isTerminal(last.status) ? last.at : undefined;
}

/** run.mdx `status-timestamps`: `<status>-at` for each status reached, plus `plan-queueable-at`. */
export function statusTimestamps(run: RunRecord, now: number): Record<string, number> {
  const stamps: Record<string, number> = { 'plan-queueable-at': run.createdAt };
  for (const event of runEvents(run)) {
    if (event.at <= now && event.status !== 'pending')
      stamps[`${event.status.replace(/_/g, '-')}-at`] = event.at;
  }
  return stamps;
}

export type PhaseStatus = 'pending' | 'running' | 'finished' | 'errored' | 'canceled' | 'unreachable';

/** plans.mdx "Plan States" derived from the run. */
export function planStatus(run: RunRecord, status: FakeRunStatus): PhaseStatus {
  if (status === 'pending') return run.interruption === undefined ? 'pending' : 'unreachable';
  if (status === 'planning') return 'running';
  if (status === 'errored' && run.outcome?.phase !== 'apply') return 'errored';
  if (status === 'canceled' && run.interruption?.from === 'planning') return 'canceled';
  if (status === 'discarded' && run.interruption?.from === 'pending') return 'unreachable';
  return 'finished';
}

/** applies.mdx "Apply States" derived from the run. */
export function applyStatus(run: RunRecord, status: FakeRunStatus): PhaseStatus {
  switch (status) {
    case 'pending':
    case 'planning':
    case 'planned':
    case 'cost_estimated':
    case 'policy_checked':
    case 'policy_override':
    case 'post_plan_awaiting_decision':
      return 'pending';
    case 'applying':
      return 'running';
    case 'applied':
      return 'finished';
    case 'errored':
      return run.outcome?.phase === 'apply' ? 'errored' : 'unreachable';
    case 'canceled':
      return run.interruption?.from === 'applying' ? 'canceled' : 'unreachable';
    default:
      return 'unreachable';
  }
}
