import { ACTIONS, FAILURE_STATUS, FLOWS, type Action } from './flows';

export const TENANT_STATUSES = ['creating', 'updating', 'deleting', 'ready', 'failed', 'deleted'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const IN_PROGRESS_STATUSES: readonly TenantStatus[] = ACTIONS.map((a) => FLOWS[a].inProgressStatus);
export const TERMINAL_STATUSES: readonly TenantStatus[] = ['ready', FAILURE_STATUS, 'deleted'];

/** `absent` stands for "no row for this tenant code". */
export type CurrentState = TenantStatus | 'absent';

/**
 * The lifecycle as one table: for each request, the states it may start from. The status it moves to is
 * the flow's in-progress status. Anything else is a conflict naming the current status.
 */
export const ALLOWED_FROM: { readonly [A in Action]: readonly CurrentState[] } = {
  create: ['absent', 'deleted'],
  update: ['ready', 'failed'],
  delete: ['ready', 'failed'],
};

export type TransitionOutcome =
  { allowed: true; next: TenantStatus } | { allowed: false; reason: 'not-found' | 'conflict' };

/** Decides a request against the current state without throwing; the repository enforces the same rule. */
export function decide(current: CurrentState, request: Action): TransitionOutcome {
  if (ALLOWED_FROM[request].includes(current)) {
    return { allowed: true, next: FLOWS[request].inProgressStatus };
  }
  return { allowed: false, reason: current === 'absent' ? 'not-found' : 'conflict' };
}

export function isInProgress(status: TenantStatus): boolean {
  return IN_PROGRESS_STATUSES.includes(status);
}
