/** How the flow reads a Terraform run's status (DESIGN.md, "The shared flow definition"). */
export type RunOutcome = 'running' | 'succeeded' | 'failed';

/** A run's class: an outcome, or waiting for a person (which the flow turns into a failure). */
export type RunClass = RunOutcome | 'needs-attention';

export const SUCCESS_RUN_STATUSES: readonly string[] = ['applied', 'planned_and_finished'];
export const FAILURE_RUN_STATUSES: readonly string[] = [
  'errored',
  'canceled',
  'force_canceled',
  'discarded',
  'policy_soft_failed',
];

/**
 * Statuses that wait for a person whatever else the run says: a soft-mandatory policy failed and can be
 * overridden (run.mdx "Run States": `policy_override`), or a post-plan run task or policy evaluation
 * awaits a decision (go-tfe run.go: `RunPostPlanAwaitingDecision`). Neither ends by itself, and each
 * holds the head of the workspace's run queue.
 */
export const NEEDS_PERSON_RUN_STATUSES: readonly string[] = [
  'policy_override',
  'post_plan_awaiting_decision',
];

/**
 * Statuses at which a run that may not auto-apply pauses for confirmation; it then has
 * `actions.is-confirmable` true (run.mdx "Apply a Run": runs "paused waiting for confirmation after a
 * plan", in the "needs confirmation" and "policy checked" states).
 */
export const CONFIRMATION_PAUSE_RUN_STATUSES: readonly string[] = [
  'planned',
  'cost_estimated',
  'policy_checked',
];

/** What a person may be asked to do about a run that needs one. */
export const RUN_NEEDS_ATTENTION_ACTIONS = ['discard', 'leave'] as const;
export type RunNeedsAttentionAction = (typeof RUN_NEEDS_ATTENTION_ACTIONS)[number];
export const DEFAULT_RUN_NEEDS_ATTENTION_ACTION: RunNeedsAttentionAction = 'discard';

/** Terminal statuses are listed; anything else, including statuses TFC adds later, counts as running. */
export function classifyRunStatus(status: string): RunOutcome {
  if (SUCCESS_RUN_STATUSES.includes(status)) return 'succeeded';
  if (FAILURE_RUN_STATUSES.includes(status)) return 'failed';
  return 'running';
}

/**
 * Like {@link classifyRunStatus}, and a run that waits for a person is `needs-attention`: one of
 * {@link NEEDS_PERSON_RUN_STATUSES}, or paused at one of {@link CONFIRMATION_PAUSE_RUN_STATUSES} while
 * it is confirmable.
 */
export function classifyRun(run: { status: string; isConfirmable?: boolean }): RunClass {
  if (NEEDS_PERSON_RUN_STATUSES.includes(run.status)) return 'needs-attention';
  if (run.isConfirmable === true && CONFIRMATION_PAUSE_RUN_STATUSES.includes(run.status)) {
    return 'needs-attention';
  }
  return classifyRunStatus(run.status);
}
