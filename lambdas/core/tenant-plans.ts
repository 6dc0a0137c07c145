import {
  DecommissionNotDueError,
  FlowSupersededError,
  TenantConflictError,
  TenantNotFoundError,
} from './errors';
import { FAILURE_STATUS, FLOWS } from './flows';
import { History, type HistoryItem } from './history';
import { ALLOWED_FROM, IN_PROGRESS_STATUSES, TENANT_STATUSES, type TenantStatus } from './lifecycle';
import type { FlowCompletion, RunProgress, RunWaiter, TransitionRequest, TransitionResult } from './ports';
import type { RetryNotice } from './retry-reporting';
import { DEFAULT_TIER, type Tenant, type TenantError } from './tenant';
import type { TenantCode } from './tenant-code';
import {
  applyUpdate,
  Row,
  tenantOf,
  type RemovableAttribute,
  type RowChange,
  type RowCondition,
  type TenantRow,
} from './tenant-row';

/**
 * One write of the tenant lifecycle, decided on the row as read: the condition under which it may land (the
 * row must not have moved since), what it changes, the row it leaves, and the history that describes it.
 * Every store writes the change and its history together, or neither.
 */
export interface RowWrite<R> {
  condition: RowCondition;
  change: RowChange;
  /** The row once written; undefined when the write deletes it. */
  after: TenantRow | undefined;
  /** The row's version once written: orders the write's history items. */
  version: number;
  history: HistoryItem[];
  /** What the caller gets once the write landed. */
  result: R;
}

/** A write to make, or the answer when the row as read needs none. */
export type Planned<R> = { write: RowWrite<R> } | { settled: R };

/** A lifecycle write: planned again on each fresh read, until it lands or the row keeps moving. */
export interface RowWriteRule<R> {
  plan(before: TenantRow | undefined): Planned<R>;
  /** The answer once {@link MAX_PLAN_ATTEMPTS} writes were refused; `status` is the row's at the last refusal. */
  exhausted(status: string | undefined): R;
}

/** Reads and re-plans after the row moved between the read and the conditional write. */
export const MAX_PLAN_ATTEMPTS = 3;

/** What a store offers a rule: a consistent read of the row, and a conditional write with its history. */
export interface RowStore {
  read(): Promise<TenantRow | undefined>;
  /** Writes unless the condition fails; refused (with the row's status when known) when it does. */
  write(write: RowWrite<unknown>): Promise<{ refused: false } | { refused: true; status?: string }>;
}

/** Read → plan → conditional write, again on a refused write, at most {@link MAX_PLAN_ATTEMPTS} times. */
export async function runRowWrite<R>(rule: RowWriteRule<R>, store: RowStore): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const planned = rule.plan(await store.read());
    if ('settled' in planned) return planned.settled;
    const outcome = await store.write(planned.write);
    if (!outcome.refused) return planned.write.result;
    if (attempt >= MAX_PLAN_ATTEMPTS) return rule.exhausted(outcome.status);
  }
}

/** The row still carries `flowId` and the version it was read at. */
const unchangedFlowRow = (before: TenantRow, flowId: string): RowCondition =>
  Row.all(Row.equals('flowId', flowId), Row.equals('version', before.version));

/** An update of a row a flow owns: the version moves on, the history comes from the rows before and after. */
function flowUpdate<R>(
  before: TenantRow,
  condition: RowCondition,
  set: Partial<TenantRow>,
  remove: RemovableAttribute[],
  describe: (before: Tenant, after: Tenant) => HistoryItem[],
  result: (after: Tenant) => R,
): RowWrite<R> {
  const change: RowChange = { kind: 'update', set: { ...set, version: before.version + 1 }, remove };
  const after = applyUpdate(before, change);
  const shown = tenantOf(after);
  return {
    condition,
    change,
    after,
    version: after.version,
    history: describe(tenantOf(before), shown),
    result: result(shown),
  };
}

const isInProgress = (row: TenantRow | undefined): boolean =>
  row !== undefined && IN_PROGRESS_STATUSES.includes(row.status);

/**
 * A request (create, update, delete, decommission): allowed only from the statuses of the lifecycle table,
 * only on the row as read (its version, or its absence), and for a decommission only while the date it
 * found is still due. The new flow starts clean: the last run, error, claim and queue place belonged to
 * the previous one.
 */
export function planTransition(req: TransitionRequest): RowWriteRule<TransitionResult> {
  const flow = FLOWS[req.action];
  const allowed = ALLOWED_FROM[req.action];
  const from = allowed.filter((s): s is TenantStatus => s !== 'absent');
  return {
    plan(before) {
      if (!allowed.includes(before?.status ?? 'absent')) {
        if (!before) throw new TenantNotFoundError(req.tenantCode);
        throw new TenantConflictError(req.tenantCode, flow.action, before.status);
      }
      const date = before?.decommissionDate;
      if (req.dueBy !== undefined && !(typeof date === 'string' && date <= req.dueBy)) {
        throw new DecommissionNotDueError(req.tenantCode, req.dueBy);
      }
      const set: Partial<TenantRow> = {
        status: flow.inProgressStatus,
        flowId: req.flowId,
        action: req.action,
        requestedBy: req.requestedBy,
        updatedAt: req.now,
        version: (before?.version ?? 0) + 1,
        createdAt: before?.createdAt ?? req.now,
      };
      const remove: RemovableAttribute[] = [
        'lastError',
        'runId',
        'runStatus',
        'claimedBy',
        'queuedAt',
        'retrying',
        'waitToken',
        'waitSince',
      ];
      const { tier, variables, decommissionDate } = req.changes;
      if (req.action === 'create') {
        set.tier = tier ?? DEFAULT_TIER;
        set.variables = variables ?? {};
        remove.push('outputs', 'sensitiveOutputs', 'workspaceId');
      } else {
        if (tier !== undefined) set.tier = tier;
        if (variables !== undefined) set.variables = variables;
      }
      if (typeof decommissionDate === 'string') set.decommissionDate = decommissionDate;
      else if (decommissionDate === null || req.action === 'create') remove.push('decommissionDate');

      const change: RowChange = { kind: 'update', set, remove };
      const after = applyUpdate(before ?? { tenantCode: req.tenantCode }, change);
      const result = { before: before && tenantOf(before), after: tenantOf(after) };
      const condition = Row.all(
        Row.any(...(allowed.includes('absent') ? [Row.absent] : []), Row.statusIn(from)),
        before ? Row.equals('version', before.version) : Row.absent,
        ...(req.dueBy === undefined ? [] : [Row.atMost('decommissionDate', req.dueBy)]),
      );
      return {
        write: {
          condition,
          change,
          after,
          version: after.version,
          history: History.ofTransition(req, result),
          result,
        },
      };
    },
    exhausted(status) {
      const current = TENANT_STATUSES.find((s) => s === status);
      if (!current) throw new TenantNotFoundError(req.tenantCode);
      throw new TenantConflictError(req.tenantCode, flow.action, current);
    },
  };
}

/**
 * Puts the row back as it was before a transition whose flow could never start, while it still carries
 * that transition's flowId; a first create is removed again.
 */
export function planUndo(result: TransitionResult, now: string): RowWrite<void> {
  const { before, after } = result;
  const condition = Row.equals('flowId', after.flowId);
  const history = History.ofUndo(result, now);
  const version = after.version + 1;
  if (!before) {
    return { condition, change: { kind: 'delete' }, after: undefined, version, history, result: undefined };
  }
  const restored: Partial<TenantRow> = { ...before, version };
  delete restored.tenantCode;
  const remove = [...Object.keys(after), 'claimedBy'].filter(
    (k): k is RemovableAttribute => k !== 'tenantCode' && !(k in restored),
  );
  const change: RowChange = { kind: 'update', set: restored, remove: [...new Set(remove)] };
  return { condition, change, after: applyUpdate(before, change), version, history, result: undefined };
}

/** A flow's progress: only while the row carries its flowId. Progress clears a retry the row shows. */
export function planProgress(
  code: TenantCode,
  flowId: string,
  progress: RunProgress,
  now: string,
): RowWriteRule<void> {
  return ownedFlowWrite(code, flowId, false, (before) => {
    const set: Partial<TenantRow> = { updatedAt: now };
    const remove: RemovableAttribute[] = ['retrying'];
    for (const [k, v] of Object.entries(progress) as [keyof RunProgress, string | null | undefined][]) {
      if (v === null) remove.push(k);
      else if (v !== undefined) set[k] = v;
    }
    return flowUpdate(
      before,
      unchangedFlowRow(before, flowId),
      set,
      remove,
      (b, a) => History.ofRunStarted(b, a),
      () => undefined,
    );
  });
}

/**
 * A retry the flow shows on the row while it is in progress under `flowId`, keeping the outage's `since`.
 * Not history: the flow's end records what became of it.
 */
export function planRetry(
  code: TenantCode,
  flowId: string,
  retry: RetryNotice,
  now: string,
): RowWriteRule<void> {
  return ownedFlowWrite(code, flowId, true, (before) => {
    const since = before.retrying?.since ?? now;
    return flowUpdate(
      before,
      Row.all(unchangedFlowRow(before, flowId), Row.inProgress),
      { retrying: { ...retry, since, at: now }, updatedAt: now },
      [],
      () => [],
      () => undefined,
    );
  });
}

/** Removes the retry the row shows for `flowId`; nothing to write when it shows none or moved on. */
export function planClearRetry(flowId: string, now: string): RowWriteRule<void> {
  return {
    plan(before) {
      if (before?.flowId !== flowId || before.retrying === undefined) return { settled: undefined };
      return {
        write: flowUpdate(
          before,
          unchangedFlowRow(before, flowId),
          { updatedAt: now },
          ['retrying'],
          () => [],
          () => undefined,
        ),
      };
    },
    // Another flow owns the row now: its retries are not ours to clear.
    exhausted: () => undefined,
  };
}

/**
 * A flow's end: the terminal status, with its run's final status, outputs (or the workspace gone, for a
 * delete) and error; only while the row is in progress under `flowId`.
 */
export function planCompletion(code: TenantCode, flowId: string, c: FlowCompletion): RowWriteRule<Tenant> {
  return ownedFlowWrite(code, flowId, true, (before) => {
    const set: Partial<TenantRow> = { status: c.status, updatedAt: c.now };
    const remove: RemovableAttribute[] = ['queuedAt', 'retrying', 'waitToken', 'waitSince'];
    if (c.runStatus !== undefined) set.runStatus = c.runStatus;
    if (c.moduleVersion !== undefined) set.moduleVersion = c.moduleVersion;
    if (c.lastError) set.lastError = c.lastError;
    else remove.push('lastError');
    if (c.status === 'deleted') {
      remove.push('outputs', 'sensitiveOutputs', 'workspaceId');
    } else if (c.outputs !== undefined) {
      set.outputs = c.outputs;
      set.sensitiveOutputs = c.sensitiveOutputs ?? [];
    }
    return flowUpdate(
      before,
      Row.all(unchangedFlowRow(before, flowId), Row.inProgress),
      set,
      remove,
      (b, a) => History.ofCompletion(b, a),
      (after) => after,
    );
  });
}

/** A write of the flow that owns the row (and, when `mustBeInProgress`, has not ended): else superseded. */
function ownedFlowWrite<R>(
  code: TenantCode,
  flowId: string,
  mustBeInProgress: boolean,
  write: (before: TenantRow) => RowWrite<R>,
): RowWriteRule<R> {
  return {
    plan(before) {
      const owned = before?.flowId === flowId && (!mustBeInProgress || isInProgress(before));
      if (!before || !owned) throw new FlowSupersededError(code, flowId);
      return { write: write(before) };
    },
    exhausted() {
      throw new FlowSupersededError(code, flowId);
    },
  };
}

/** The row is still in progress under `flowId`, claimed by `claimedBy` (or by no execution). */
export function lostFlowGuard(flowId: string, claimedBy: string | undefined): RowCondition {
  return Row.all(
    Row.equals('flowId', flowId),
    Row.inProgress,
    claimedBy === undefined ? Row.missing('claimedBy') : Row.equals('claimedBy', claimedBy),
  );
}

/** A flow no execution will finish, failed by the reconciler; undefined once the row has moved on. */
export function planLostFlowFailure(
  flowId: string,
  claimedBy: string | undefined,
  lastError: TenantError,
): RowWriteRule<Tenant | undefined> {
  const guard = lostFlowGuard(flowId, claimedBy);
  return {
    plan(before) {
      if (!before || !holdsLost(before, flowId, claimedBy)) return { settled: undefined };
      return {
        write: flowUpdate(
          before,
          Row.all(guard, Row.equals('version', before.version)),
          { status: FAILURE_STATUS, lastError, updatedAt: lastError.at },
          ['retrying', 'waitToken', 'waitSince'],
          (b, a) => History.ofLostFlow(b, a),
          (after) => after,
        ),
      };
    },
    exhausted: () => undefined,
  };
}

const holdsLost = (row: TenantRow, flowId: string, claimedBy: string | undefined) =>
  row.flowId === flowId && isInProgress(row) && row.claimedBy === claimedBy;

/** Frees the flowId for a new execution, under the guard of {@link lostFlowGuard}. */
export function planReleaseClaim(
  flowId: string,
  claimedBy: string | undefined,
): { condition: RowCondition; change: RowChange } {
  return {
    condition: lostFlowGuard(flowId, claimedBy),
    change: { kind: 'update', set: {}, remove: ['claimedBy'] },
  };
}

/**
 * Marks the flowId as taken by one execution: only a flow still in progress can be claimed, so a late event
 * (a redriven dead letter) for a flow the reconciler already failed never starts a run on a failed tenant.
 */
export function planClaim(
  flowId: string,
  executionId: string,
): { condition: RowCondition; change: RowChange } {
  return {
    condition: Row.all(
      Row.equals('flowId', flowId),
      Row.inProgress,
      Row.any(Row.missing('claimedBy'), Row.equals('claimedBy', executionId)),
    ),
    change: { kind: 'update', set: { claimedBy: executionId }, remove: [] },
  };
}

/**
 * A refused claim: another execution of the same flow holds it (a duplicated event), or the row belongs to
 * another flow (superseded).
 */
export function refusedClaim(
  code: TenantCode,
  flowId: string,
  current: Tenant | undefined,
): { claimed: false; tenant: Tenant } {
  if (!current || current.flowId !== flowId || !IN_PROGRESS_STATUSES.includes(current.status)) {
    throw new FlowSupersededError(code, flowId);
  }
  return { claimed: false, tenant: current };
}

/**
 * Stores the task token of the flow's wait for its run's end, with the run: only while the row is in
 * progress under `flowId` with `runId` recorded, so a receiver that maps a run id to this row wakes this
 * flow and no other. Not history, and the version stays: the token is the flow's own bookkeeping.
 */
export function planRunWaiter(
  flowId: string,
  runId: string,
  taskToken: string,
  now: string,
): { condition: RowCondition; change: RowChange } {
  return {
    condition: Row.all(Row.equals('flowId', flowId), Row.equals('runId', runId), Row.inProgress),
    change: { kind: 'update', set: { waitToken: taskToken, waitSince: now }, remove: [] },
  };
}

/** The flow a row shows waiting for its run's end, if any (in progress, with a run and a token). */
export function runWaiterOf(row: TenantRow | undefined): RunWaiter | undefined {
  if (!row || !isInProgress(row) || !row.runId || !row.waitToken) return undefined;
  return {
    tenantCode: row.tenantCode,
    flowId: row.flowId,
    runId: row.runId,
    taskToken: row.waitToken,
    since: row.waitSince ?? row.updatedAt,
  };
}
