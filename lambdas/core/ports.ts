import type { RunEnd } from './flow-state';
import type { Action, FlowDefinition, LifecycleEventName, TenantRequestDetail } from './flows';
import type { HistoryItem } from './history';
import type { TenantStatus } from './lifecycle';
import type { RetryNotice } from './retry-reporting';
import type {
  Rollout,
  RolloutCounts,
  RolloutEventName,
  RolloutItem,
  RolloutItemState,
  RolloutStatus,
} from './rollout';
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
  /** Decommission: only while the row's decommissionDate is on or before this date (YYYY-MM-DD). */
  dueBy?: string;
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
  /** The flow whose Trigger asked (or may have asked) Terraform for a run: a retry then searches for it. */
  runRequestedFor?: string;
  workspaceId?: string;
  runId?: string;
  runStatus?: string;
  /** The module version of the flow's run (the tenant's `moduleVersion` once it succeeds). */
  runModuleVersion?: string;
  /** When the flow joined the admission queue; `null` clears it (admitted). */
  queuedAt?: string | null;
}

export interface FlowCompletion {
  status: TenantStatus;
  now: string;
  runStatus?: string;
  outputs?: Record<string, unknown>;
  sensitiveOutputs?: string[];
  /** The module version the flow's successful run applied. */
  moduleVersion?: string;
  lastError?: TenantError;
}

export interface TenantRepository extends HistoryReader {
  get(code: TenantCode): Promise<Tenant | undefined>;
  list(query: {
    status?: TenantStatus;
    moduleVersion?: string;
    limit: number;
    nextToken?: string;
  }): Promise<Page<Tenant>>;
  /** One conditional write: throws TenantNotFoundError / TenantConflictError when the lifecycle forbids it. */
  transition(request: TransitionRequest): Promise<TransitionResult>;
  /** Puts the row back as it was before a transition whose flow could never start (at `now`, default: the clock). */
  undoTransition(result: TransitionResult, now?: string): Promise<void>;
  /**
   * Marks the flowId as taken by one execution. Returns false when another execution already holds it
   * (a duplicated event); throws FlowSupersededError when the row belongs to another flow.
   */
  claimFlow(
    code: TenantCode,
    flowId: string,
    executionId: string,
  ): Promise<{ claimed: boolean; tenant: Tenant }>;
  /** Records the flow's progress; also removes a retry the row shows (the flow got past it). */
  recordProgress(code: TenantCode, flowId: string, progress: RunProgress, now: string): Promise<void>;
  /**
   * Shows on the row that the flow retries a failing TFC request (`retrying`), while the row is in progress
   * under `flowId`; the outage's `since` is kept from a retry already shown. Throws FlowSupersededError
   * when the row moved on.
   */
  recordRetry(code: TenantCode, flowId: string, retry: RetryNotice, now: string): Promise<void>;
  /** Removes the retry the row shows for `flowId` (TFC answers again); writes nothing when there is none. */
  clearRetry(code: TenantCode, flowId: string, now: string): Promise<void>;
  /** Writes the terminal status; throws FlowSupersededError unless the row still carries `flowId`. */
  completeFlow(code: TenantCode, flowId: string, completion: FlowCompletion): Promise<Tenant>;
  /**
   * Tenants whose decommission date is on or before `date`, read through the sparse date index, at most
   * `limit` per page. `scannedCount` is how many items the query read to answer the page.
   */
  listDueForDecommission(
    date: string,
    nextToken?: string,
    limit?: number,
  ): Promise<Page<Tenant> & { scannedCount?: number }>;
  /**
   * Tenants in one in-progress status, read through the status index, each with the execution that
   * claimed its flowId (absent when no execution has picked the flow up).
   */
  listInProgress(
    status: FlowDefinition['inProgressStatus'],
    page?: { nextToken?: string; limit?: number },
  ): Promise<Page<{ tenant: Tenant; claimedBy?: string }>>;
  /**
   * Frees the flowId for a new execution: removes the claim, provided the row is still in progress under
   * `flowId` and claimed by `claimedBy` (unclaimed when undefined). False when the row has moved on.
   */
  releaseClaim(code: TenantCode, flowId: string, claimedBy: string | undefined): Promise<boolean>;
  /**
   * Marks a flow no execution will finish as failed, under the same guard as {@link releaseClaim}.
   * Undefined when the row has moved on.
   */
  failLostFlow(
    code: TenantCode,
    flowId: string,
    claimedBy: string | undefined,
    error: TenantError,
  ): Promise<Tenant | undefined>;
  /**
   * Stores the task token of the flow's wait for its run's end, provided the row is in progress under
   * `flowId` with `runId` recorded. False when the row has moved on (nothing written).
   */
  recordRunWaiter(
    code: TenantCode,
    flowId: string,
    runId: string,
    taskToken: string,
    now: string,
  ): Promise<boolean>;
  /** The flow waiting for the tenant's run to end, if any. */
  getRunWaiter(code: TenantCode): Promise<RunWaiter | undefined>;
}

/** A flow waiting for its run's end: the task token a notification of that run may use to wake it. */
export interface RunWaiter {
  tenantCode: TenantCode;
  flowId: string;
  runId: string;
  taskToken: string;
  since: string;
}

/**
 * Wakes a flow that waits for its run's end: Step Functions' task-token callback in AWS, the local engine's
 * emulation of it locally.
 */
export interface FlowWaker {
  /**
   * Completes the waiting task with the run's end. False when the token can no longer be used (already
   * used, timed out, or its execution is over): there is nothing left to wake.
   */
  wake(taskToken: string, end: RunEnd): Promise<boolean>;
}

/** How many tenants hold each status (the dashboard's gauge). */
export interface TenantCounter {
  countByStatus(status: TenantStatus, pageSize?: number): Promise<number>;
}

/** What the fleet summary reads: counts per status, and the module version of each row in a status. */
export interface FleetReader extends TenantCounter {
  moduleVersionsByStatus(status: TenantStatus): Promise<(string | null)[]>;
}

/** A tenant's history, newest first. Every write above appends what it did, in the same transaction. */
export interface HistoryReader {
  listHistory(code: TenantCode, page: { limit: number; nextToken?: string }): Promise<Page<HistoryItem>>;
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

/** A run the backend started for one flow. `runId` is absent when there was nothing to run. */
export interface StartedRun {
  workspaceId?: string;
  runId?: string;
  /** The run (if any) is already in a terminal status. */
  status?: string;
  /** The module version the run applies. */
  moduleVersion?: string;
  /**
   * The run's end will be notified to the receiver (a notification configuration covering its workspace is
   * registered, or the local runner notifies): the flow may wait for it instead of polling.
   */
  notified?: boolean;
}

export interface RunState {
  id: string;
  status: string;
  /** The run may be confirmed by a person (TFC `actions.is-confirmable`). */
  isConfirmable?: boolean;
  /** Where a person sees the run. */
  url?: string;
  /** For a failed run: what happened and where to look, for a person. */
  reason?: string;
}

export interface TerraformOutputs {
  /** Non-sensitive outputs only. */
  values: Record<string, unknown>;
  /** Names of sensitive outputs; their values never reach the control plane's storage. */
  sensitive: string[];
}

export interface StartRunRequest {
  tenant: Tenant;
  flowId: string;
  destroy: boolean;
  /**
   * A previous attempt of this flow's Trigger may have started the run without recording it: look for a
   * run of `flowId` before starting one. @default false
   */
  recover?: boolean;
}

export interface RunLocator {
  runId: string;
  workspaceId?: string;
  tenantCode: TenantCode;
}

/**
 * Where Terraform runs: Terraform Cloud / Enterprise in production, the local `terraform` CLI in the
 * local control plane. The flow drives both the same way.
 */
export interface TerraformBackend {
  /**
   * Makes sure the tenant's workspace, variables and configuration exist, then starts the flow's run.
   * With `recover`, a run already started for `flowId` is returned instead of starting a second one.
   */
  startRun(request: StartRunRequest): Promise<StartedRun>;
  getRun(run: RunLocator): Promise<RunState>;
  /** Discards a run that waits for a person, so the workspace's queue moves on; a finished run is left. */
  discardRun(run: RunLocator & { comment: string }): Promise<void>;
  /** The workspace's outputs after `run` (its final status tells whether an apply wrote state). */
  getOutputs(workspaceId: string, run?: { status?: string }): Promise<TerraformOutputs>;
  /** Deletes the tenant's workspace; refuses one the control plane does not manage. */
  deleteWorkspace(workspaceId: string, tenantCode: TenantCode): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function isoDate(clock: Clock): string {
  return clock.now().toISOString().slice(0, 10);
}

/** A flow's place in the admission queue, or the slot it holds. */
export interface AdmissionEntry {
  flowId: string;
  tenantCode: string;
  /** Order of arrival: lower tickets are admitted first. */
  ticket: number;
  /**
   * `waiting` in the queue; `admitted`: holds a slot; `released`: done (the slot is free again; a late
   * duplicate of the flow passes without a slot); `dropped`: left the queue unseen for too long (it
   * queues again, at the back, if it comes back).
   */
  state: 'waiting' | 'admitted' | 'released' | 'dropped';
  enqueuedAt: string;
  /** When the waiting flow last asked (a heartbeat); stale entries are dropped. */
  lastSeenAt: string;
  admittedAt?: string;
}

/**
 * The admission queue and its slots, shared by every flow (all actions) of one control plane. Each write is
 * conditional, so racing flows and duplicate executions can never take more slots than the cap nor one
 * flowId two slots. The rules (who goes next, when an entry is stale) are the use case's.
 */
export interface AdmissionQueue {
  get(flowId: string): Promise<AdmissionEntry | undefined>;
  /** Gives the flow a ticket at the back of the queue; returns the existing entry if it has one. */
  enqueue(flowId: string, tenantCode: string, now: string): Promise<AdmissionEntry>;
  /** Records that the waiting flow is still there. False when it is no longer waiting. */
  heartbeat(entry: AdmissionEntry, now: string): Promise<boolean>;
  /** Slots taken, and the first `limit` waiting entries in ticket order. */
  head(limit: number): Promise<{ held: number; waiting: AdmissionEntry[] }>;
  /**
   * Moves a waiting entry into a slot if fewer than `cap` are held. `full`: no slot free; `gone`: the entry
   * is no longer waiting (admitted by another flow, released or dropped).
   */
  admit(entry: AdmissionEntry, cap: number, now: string): Promise<'admitted' | 'full' | 'gone'>;
  /** Takes a waiting entry whose heartbeat is still `entry.lastSeenAt` out of the queue. */
  drop(entry: AdmissionEntry): Promise<boolean>;
  /** Frees the flow's slot or queue place (whichever it has); false when it had neither. */
  release(flowId: string, now: string): Promise<boolean>;
  /** Every entry holding a slot. */
  holders(): Promise<AdmissionEntry[]>;
}

/** What a tenant's end in a rollout is: its outcome and, for a failure or a skip, why. */
export interface RolloutItemOutcome {
  state: Extract<RolloutItemState, 'succeeded' | 'failed' | 'skipped'>;
  reason?: string;
}

/** Changes that go with a rollout's status change. */
export interface RolloutStatusChange {
  haltReason?: string | null;
  startedAt?: string;
  endedAt?: string;
  /** Frees the module version for another rollout, in the same write. */
  releaseLock?: boolean;
}

/**
 * Rollouts and their tenants. Every write is conditional and moves the rollout's counts in the same
 * transaction as the tenant's state, so the counts are exact whoever races (two executions watching one
 * tenant, a resume while the last wave drains).
 */
export interface RolloutStore {
  /**
   * Writes the rollout, its tenants and its module version's lock; RolloutConflictError naming the other
   * rollout when one of that version is still active.
   */
  create(rollout: Rollout, items: readonly RolloutItem[]): Promise<void>;
  get(rolloutId: string): Promise<Rollout | undefined>;
  /** Newest first. */
  list(page: { limit: number; nextToken?: string }): Promise<Page<Rollout>>;
  /** Every tenant of the rollout, in order. */
  items(rolloutId: string): Promise<RolloutItem[]>;
  getItem(rolloutId: string, code: TenantCode): Promise<RolloutItem | undefined>;
  /** Failures and skips with their reasons, at most `limit` of each. */
  notes(rolloutId: string, limit: number): Promise<{ failures: RolloutNote[]; skipped: RolloutNote[] }>;
  /** Moves the rollout from one of `from` to `to`; undefined (nothing written) when its status is not in `from`. */
  setStatus(
    rolloutId: string,
    from: readonly RolloutStatus[],
    to: RolloutStatus,
    now: string,
    change?: RolloutStatusChange,
  ): Promise<Rollout | undefined>;
  /**
   * Takes one of the rollout's `maxConcurrent` places for a pending tenant (pending → inProgress), only while
   * the rollout is running. `full`: every place is taken; `gone`: the tenant is not pending or the rollout
   * not running.
   */
  startItem(rolloutId: string, code: TenantCode, now: string): Promise<'started' | 'full' | 'gone'>;
  /** Records the update flow the rollout started for an in-progress tenant. */
  setItemFlow(rolloutId: string, code: TenantCode, flowId: string, now: string): Promise<void>;
  /** Gives an in-progress tenant whose update never started its place back (inProgress → pending). */
  unstartItem(rolloutId: string, code: TenantCode, now: string): Promise<void>;
  /** Counts one more time the pending tenant was found busy with another flow; returns the count. */
  noteBusy(rolloutId: string, code: TenantCode, now: string): Promise<number>;
  /**
   * Ends a tenant's part (`from` → outcome). Returns the rollout after the write, or undefined when the
   * tenant was no longer in `from` (another execution recorded it first).
   */
  finishItem(
    rolloutId: string,
    code: TenantCode,
    from: 'pending' | 'inProgress',
    outcome: RolloutItemOutcome,
    now: string,
  ): Promise<Rollout | undefined>;
  /** Puts every failed tenant back to pending (a resume retries them); returns how many. */
  requeueFailed(rolloutId: string, now: string): Promise<number>;
}

export interface RolloutNote {
  tenantCode: string;
  reason: string;
  at: string;
}

export interface RolloutEvent {
  event: RolloutEventName;
  rolloutId: string;
  moduleVersion: string;
  status: RolloutStatus;
  counts: RolloutCounts;
  at: string;
  reason?: string;
}

/** Lifecycle events of rollouts, on the same topic as the tenants'. */
export interface RolloutNotifier {
  notifyRollout(event: RolloutEvent): Promise<void>;
}

/** Starts an execution of the rollout state machine for a rollout (its record says what is left). */
export interface RolloutStarter {
  start(rolloutId: string, executionName: string): Promise<void>;
}

/**
 * What Step Functions says about an execution. `UNKNOWN`: no such execution (never started here, or
 * its history has expired).
 */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'UNKNOWN';

/** Reads an execution's status; `executionId` is what the trigger recorded as `claimedBy`. */
export interface ExecutionInspector {
  describe(executionId: string): Promise<ExecutionStatus>;
}

/** Structured log lines the operations use cases write; the handlers pass the Powertools logger. */
export interface OpsLog {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
}

export const silentLog: OpsLog = { info: () => undefined, warn: () => undefined };
