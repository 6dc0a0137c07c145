/** How the flow reads a Terraform run's status (DESIGN.md, "The shared flow definition"). */
export type RunOutcome = 'running' | 'succeeded' | 'failed';

export const SUCCESS_RUN_STATUSES: readonly string[] = ['applied', 'planned_and_finished'];
export const FAILURE_RUN_STATUSES: readonly string[] = [
  'errored',
  'canceled',
  'force_canceled',
  'discarded',
  'policy_soft_failed',
];

/** Terminal statuses are listed; anything else, including statuses TFC adds later, counts as running. */
export function classifyRunStatus(status: string): RunOutcome {
  if (SUCCESS_RUN_STATUSES.includes(status)) return 'succeeded';
  if (FAILURE_RUN_STATUSES.includes(status)) return 'failed';
  return 'running';
}
