import { ValidationError } from '../../lambdas/core/errors';
import type { FlowDefinition } from '../../lambdas/core/flows';
import type { HistoryItem } from '../../lambdas/core/history';
import type { TenantStatus } from '../../lambdas/core/lifecycle';
import type { FleetReader, Page, TenantRepository } from '../../lambdas/core/ports';
import type { Tenant } from '../../lambdas/core/tenant';
import type { TenantCode } from '../../lambdas/core/tenant-code';
import type { RowStore, RowWrite } from '../../lambdas/core/tenant-plans';
import { PlannedTenantStore } from '../../lambdas/core/tenant-store';
import {
  applyUpdate,
  holds,
  tenantOf,
  type RowChange,
  type RowCondition,
  type TenantRow,
} from '../../lambdas/core/tenant-row';

/**
 * The tenant table and its history in memory, for fast use-case tests. Its writes are the core's
 * {@link PlannedTenantStore}, as the DynamoDB adapter's are (read → plan → conditional write with its history,
 * again when the row moved), so a refused condition ends in the same error or answer. The DynamoDB Local
 * suites prove the real writes.
 */
export class MemoryTenantRepository extends PlannedTenantStore implements TenantRepository, FleetReader {
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

  protected readRow(code: TenantCode): Promise<TenantRow | undefined> {
    return Promise.resolve(this.row(code));
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

  protected writePlanned(code: TenantCode, plan: RowWrite<unknown>): ReturnType<RowStore['write']> {
    if (this.change(code, plan.condition, plan.change) === false) {
      // The row as it was when the condition failed, as DynamoDB returns it.
      const status = this.rows.get(code)?.status;
      return Promise.resolve({ refused: true as const, ...(status ? { status } : {}) });
    }
    this.histories.set(code, [...(this.histories.get(code) ?? []), ...structuredClone(plan.history)]);
    return Promise.resolve({ refused: false as const });
  }

  protected changeRow(
    code: TenantCode,
    plan: { condition: RowCondition; change: RowChange },
  ): Promise<TenantRow | undefined> {
    const after = this.change(code, plan.condition, plan.change);
    return Promise.resolve(after === false ? undefined : structuredClone(after));
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
}
