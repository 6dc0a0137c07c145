import type { Action, LifecycleEventName, TenantRequestDetail } from './flows';
import type { TenantStatus } from './lifecycle';
import type { Tenant, TenantError } from './tenant';
import type { TenantCode } from './tenant-code';

/** The fields a transition may change besides status, flowId, version and the audit fields. */
export interface TransitionChanges {
  tier?: Tenant['tier'];
  variables?: Record<string, string>;
  /** `null` removes the date. */
  decommissionDate?: string | null;
}

export interface TransitionRequest {
  tenantCode: TenantCode;
  action: Action;
  flowId: string;
  requestedBy: string;
  now: string;
  changes: TransitionChanges;
}

/** What a transition wrote, and the row before it (absent for a first create) so it can be undone. */
export interface TransitionResult {
  before: Tenant | undefined;
  after: Tenant;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** What a flow records on the row while it runs; each write is guarded by the flow's flowId. */
export interface RunProgress {
  workspaceId?: string;
  runId?: string;
  runStatus?: string;
}

export interface FlowCompletion {
  status: TenantStatus;
  now: string;
  runStatus?: string;
  outputs?: Record<string, unknown>;
  sensitiveOutputs?: string[];
  lastError?: TenantError;
}

export interface TenantRepository {
  get(code: TenantCode): Promise<Tenant | undefined>;
  list(query: { status?: TenantStatus; limit: number; nextToken?: string }): Promise<Page<Tenant>>;
  /** One conditional write: throws TenantNotFoundError / TenantConflictError when the lifecycle forbids it. */
  transition(request: TransitionRequest): Promise<TransitionResult>;
  /** Puts the row back as it was before a transition whose flow could never start. */
  undoTransition(result: TransitionResult): Promise<void>;
  /**
   * Marks the flowId as taken by one execution. Returns false when another execution already holds it
   * (a duplicated event); throws FlowSupersededError when the row belongs to another flow.
   */
  claimFlow(
    code: TenantCode,
    flowId: string,
    executionId: string,
  ): Promise<{ claimed: boolean; tenant: Tenant }>;
  recordProgress(code: TenantCode, flowId: string, progress: RunProgress, now: string): Promise<void>;
  /** Writes the terminal status; throws FlowSupersededError unless the row still carries `flowId`. */
  completeFlow(code: TenantCode, flowId: string, completion: FlowCompletion): Promise<Tenant>;
  /** Tenants whose decommission date is on or before `date`, read through the sparse date index. */
  listDueForDecommission(date: string, nextToken?: string): Promise<Page<Tenant>>;
}

export interface EventPublisher {
  publish(action: Action, detail: TenantRequestDetail): Promise<void>;
}

export interface LifecycleEvent {
  event: LifecycleEventName;
  tenantCode: string;
  flowId: string;
  action: Action;
  status: TenantStatus;
  at: string;
  outputs?: Record<string, unknown>;
  error?: TenantError;
}

export interface LifecycleNotifier {
  notify(event: LifecycleEvent): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function isoDate(clock: Clock): string {
  return clock.now().toISOString().slice(0, 10);
}
