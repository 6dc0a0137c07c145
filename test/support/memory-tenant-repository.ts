import { ValidationError } from '../../lambdas/core/errors';
import type { FlowDefinition } from '../../lambdas/core/flows';
import type { HistoryItem } from '../../lambdas/core/history';
import type { TenantStatus } from '../../lambdas/core/lifecycle';
import type {
  FleetReader,
  FlowCompletion,
  Page,
  RunProgress,
  RunWaiter,
  TenantRepository,
  TransitionRequest,
  TransitionResult,
} from '../../lambdas/core/ports';
import type { RetryNotice } from '../../lambdas/core/retry-reporting';
import type { Tenant, TenantError } from '../../lambdas/core/tenant';
import type { TenantCode } from '../../lambdas/core/tenant-code';
import {
  planClaim,
  planClearRetry,
  planCompletion,
  planLostFlowFailure,
  planProgress,
  planRunWaiter,
  runWaiterOf,
  planReleaseClaim,
  planRetry,
  planTransition,
  planUndo,
  refusedClaim,
  runRowWrite,
  type RowWrite,
  type RowWriteRule,
} from '../../lambdas/core/tenant-plans';
import {
  applyUpdate,
  holds,
  tenantOf,
  type RowChange,
  type RowCondition,
  type TenantRow,
} from '../../lambdas/core/tenant-row';

/**
 * The tenant table and its history in memory, for fast use-case tests. It runs the core's plans exactly as
 * the DynamoDB adapter does (read → plan → conditional write with its history, again when the row moved),
 * so a refused condition ends in the same error or answer. The DynamoDB Local suites prove the real writes.
 */
export class MemoryTenantRepository implements TenantRepository, FleetReader {
  private readonly rows = new Map<string, TenantRow>();
  private readonly histories = new Map<string, HistoryItem[]>();
  private readonly beforeWrites: (() => void)[] = [];
  /** Conditional writes made, refused ones included: a test can tell a write from none. */
  public writes = 0;

  /**
   * Runs `change` once, between the next read and its write: the row moves under the writer, as when another
   * request or execution races it.
   */
  public interleave(change: () => void): void {
    this.beforeWrites.push(change);
  }

  /** Writes a row as it is, bypassing every rule (the arrangement of a test). */
  public put(row: TenantRow): void {
    this.rows.set(row.tenantCode, structuredClone(row));
  }

  /** The stored row, claim included. */
  public row(code: string): TenantRow | undefined {
    const row = this.rows.get(code);
    return row && structuredClone(row);
  }

  public get(code: TenantCode): Promise<Tenant | undefined> {
    const row = this.rows.get(code);
    return Promise.resolve(row && structuredClone(tenantOf(row)));
  }

  /** A condition checked and a change applied at once, as DynamoDB does for one item. */
  private change(code: TenantCode, condition: RowCondition, change: RowChange): TenantRow | false {
    this.writes += 1;
    this.beforeWrites.shift()?.();
    const current = this.rows.get(code);
    if (!holds(condition, current)) return false;
    if (change.kind === 'delete') {
      this.rows.delete(code);
      return current ?? false;
    }
    const after = applyUpdate(current ?? { tenantCode: code }, change);
    this.rows.set(code, after);
    return after;
  }

  private write(code: TenantCode, plan: RowWrite<unknown>) {
    if (this.change(code, plan.condition, plan.change) === false) {
      // The row as it was when the condition failed, as DynamoDB returns it.
      const status = this.rows.get(code)?.status;
      return Promise.resolve({ refused: true as const, ...(status ? { status } : {}) });
    }
    this.histories.set(code, [...(this.histories.get(code) ?? []), ...structuredClone(plan.history)]);
    return Promise.resolve({ refused: false as const });
  }

  private apply<R>(code: TenantCode, rule: RowWriteRule<R>): Promise<R> {
    return runRowWrite(rule, {
      read: () => Promise.resolve(this.row(code)),
      write: (plan) => this.write(code, plan),
    });
  }

  public transition(req: TransitionRequest): Promise<TransitionResult> {
    return this.apply(req.tenantCode, planTransition(req));
  }

  public async undoTransition(result: TransitionResult, now = new Date().toISOString()): Promise<void> {
    await this.write(result.after.tenantCode, planUndo(result, now));
  }

  public async claimFlow(
    code: TenantCode,
    flowId: string,
    executionId: string,
  ): Promise<{ claimed: boolean; tenant: Tenant }> {
    const { condition, change } = planClaim(flowId, executionId);
    const after = this.change(code, condition, change);
    if (after) return { claimed: true, tenant: tenantOf(structuredClone(after)) };
    return refusedClaim(code, flowId, await this.get(code));
  }

  public recordProgress(code: TenantCode, flowId: string, progress: RunProgress, now: string): Promise<void> {
    return this.apply(code, planProgress(code, flowId, progress, now));
  }

  public recordRetry(code: TenantCode, flowId: string, retry: RetryNotice, now: string): Promise<void> {
    return this.apply(code, planRetry(code, flowId, retry, now));
  }

  public clearRetry(code: TenantCode, flowId: string, now: string): Promise<void> {
    return this.apply(code, planClearRetry(flowId, now));
  }

  public completeFlow(code: TenantCode, flowId: string, completion: FlowCompletion): Promise<Tenant> {
    return this.apply(code, planCompletion(code, flowId, completion));
  }

  public releaseClaim(code: TenantCode, flowId: string, claimedBy: string | undefined): Promise<boolean> {
    const { condition, change } = planReleaseClaim(flowId, claimedBy);
    return Promise.resolve(this.change(code, condition, change) !== false);
  }

  public failLostFlow(
    code: TenantCode,
    flowId: string,
    claimedBy: string | undefined,
    error: TenantError,
  ): Promise<Tenant | undefined> {
    return this.apply(code, planLostFlowFailure(flowId, claimedBy, error));
  }

  /** Rows in tenant-code order, paged by the last code of the page (the table's key, as DynamoDB does). */
  private page<T>(
    rows: TenantRow[],
    limit: number | undefined,
    nextToken: string | undefined,
    map: (r: TenantRow) => T,
  ) {
    const sorted = [...rows].sort((a, b) => a.tenantCode.localeCompare(b.tenantCode));
    if (nextToken !== undefined && !sorted.some((r) => r.tenantCode === nextToken)) {
      throw new ValidationError('nextToken is not valid for this query', [
        { path: 'nextToken', message: 'is not a token this query returned' },
      ]);
    }
    const from = nextToken === undefined ? 0 : sorted.findIndex((r) => r.tenantCode === nextToken) + 1;
    const taken = sorted.slice(from, limit === undefined ? undefined : from + limit);
    const more = limit !== undefined && from + limit < sorted.length;
    return {
      items: taken.map((r) => map(structuredClone(r))),
      ...(more ? { nextToken: taken.at(-1)?.tenantCode } : {}),
    };
  }

  public list(query: {
    status?: TenantStatus;
    moduleVersion?: string;
    limit: number;
    nextToken?: string;
  }): Promise<Page<Tenant>> {
    const rows = [...this.rows.values()].filter(
      (r) =>
        (query.status === undefined || r.status === query.status) &&
        (query.moduleVersion === undefined || r.moduleVersion === query.moduleVersion),
    );
    return Promise.resolve(this.page(rows, query.limit, query.nextToken, tenantOf));
  }

  /** The sweep's index: rows with a decommission date on or before `date` that are not deleted. */
  public listDueForDecommission(date: string, nextToken?: string, limit?: number) {
    const rows = [...this.rows.values()].filter(
      (r) => r.decommissionDate !== undefined && r.decommissionDate <= date && r.status !== 'deleted',
    );
    const page = this.page(rows, limit, nextToken, tenantOf);
    return Promise.resolve({ ...page, scannedCount: page.items.length });
  }

  public listInProgress(
    status: FlowDefinition['inProgressStatus'],
    page: { nextToken?: string; limit?: number } = {},
  ): Promise<Page<{ tenant: Tenant; claimedBy?: string }>> {
    const rows = [...this.rows.values()].filter((r) => r.status === status);
    return Promise.resolve(
      this.page(rows, page.limit, page.nextToken, (r) => ({
        tenant: tenantOf(r),
        ...(r.claimedBy === undefined ? {} : { claimedBy: r.claimedBy }),
      })),
    );
  }

  /** Newest first, paged by position. */
  public listHistory(
    code: TenantCode,
    page: { limit: number; nextToken?: string },
  ): Promise<Page<HistoryItem>> {
    const items = [...(this.histories.get(code) ?? [])].reverse();
    const from = page.nextToken === undefined ? 0 : Number(page.nextToken);
    const to = from + page.limit;
    return Promise.resolve({
      items: structuredClone(items.slice(from, to)),
      ...(to < items.length ? { nextToken: String(to) } : {}),
    });
  }

  public countByStatus(status: TenantStatus): Promise<number> {
    return Promise.resolve([...this.rows.values()].filter((r) => r.status === status).length);
  }

  public moduleVersionsByStatus(status: TenantStatus): Promise<(string | null)[]> {
    return Promise.resolve(
      [...this.rows.values()].filter((r) => r.status === status).map((r) => r.moduleVersion ?? null),
    );
  }

  public recordRunWaiter(
    code: TenantCode,
    flowId: string,
    runId: string,
    taskToken: string,
    now: string,
  ): Promise<boolean> {
    const { condition, change } = planRunWaiter(flowId, runId, taskToken, now);
    return Promise.resolve(this.change(code, condition, change) !== false);
  }

  public getRunWaiter(code: TenantCode): Promise<RunWaiter | undefined> {
    const row = this.rows.get(code);
    return Promise.resolve(runWaiterOf(row && structuredClone(row)));
  }
}
