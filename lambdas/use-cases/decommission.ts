import { DecommissionNotDueError, TenantConflictError } from '../core/errors';
import { decide, isInProgress, type TenantStatus } from '../core/lifecycle';
import { isoDate, silentLog, type Clock, type OpsLog, type TenantRepository } from '../core/ports';
import type { Tenant } from '../core/tenant';
import type { TenantRequests } from './tenant-requests';

/** Who the sweep's requests are made as (DESIGN.md, "Events": `requestedBy`). */
export const SYSTEM_REQUESTER = 'system';

/**
 * Why a due tenant was left alone: its flow is still running (it is picked up the next day), another
 * request won the race for it, it is already deleted, or its date was moved or cleared since the index
 * (eventually consistent) listed it.
 */
export type DecommissionSkipReason = 'in-progress' | 'conflict' | 'deleted' | 'not-due';

export interface DecommissionSummary {
  /** The day swept (UTC): tenants whose date is on or before it are due. */
  date: string;
  dryRun: boolean;
  /** Due tenants the index returned. */
  found: number;
  /** Tenants whose delete flow this run started. */
  started: string[];
  /** With `dryRun`: tenants a real run would have started deleting. */
  wouldStart: string[];
  skipped: Array<{ tenantCode: string; reason: DecommissionSkipReason; status: TenantStatus }>;
  failed: Array<{ tenantCode: string; error: string }>;
  /** Items the index queries read: the due tenants only, however large the table. */
  itemsRead: number;
}

export interface DecommissionDeps {
  repository: Pick<TenantRepository, 'listDueForDecommission' | 'get'>;
  /** Makes the delete exactly as the API does: one conditional transition, then the delete event. */
  requests: Pick<TenantRequests, 'delete'>;
  clock: Clock;
  log?: OpsLog;
  /** Items per index query page. @default DynamoDB's own page size (1 MB) */
  pageSize?: number;
}

/**
 * The daily decommission sweep. Finds the tenants past their decommission date through the sparse date
 * index (a query, never a scan) and deletes each one in `ready` or `failed` as `system`. Tenants mid-flow
 * are skipped and picked up the next day; running the sweep again starts nothing new, because the tenants
 * it started are `deleting` (then `deleted`, which leaves the index).
 */
export class Decommission {
  private readonly log: OpsLog;

  public constructor(private readonly deps: DecommissionDeps) {
    this.log = deps.log ?? silentLog;
  }

  public async run(options: { dryRun?: boolean } = {}): Promise<DecommissionSummary> {
    const dryRun = options.dryRun ?? false;
    const summary: DecommissionSummary = {
      date: isoDate(this.deps.clock),
      dryRun,
      found: 0,
      started: [],
      wouldStart: [],
      skipped: [],
      failed: [],
      itemsRead: 0,
    };
    let nextToken: string | undefined;
    do {
      const page = await this.deps.repository.listDueForDecommission(
        summary.date,
        nextToken,
        this.deps.pageSize,
      );
      summary.found += page.items.length;
      summary.itemsRead += page.scannedCount ?? page.items.length;
      for (const listed of page.items) await this.sweep(listed, dryRun, summary);
      nextToken = page.nextToken;
    } while (nextToken);
    this.log.info(dryRun ? 'decommission dry run finished' : 'decommission sweep finished', { ...summary });
    return summary;
  }

  private async sweep(listed: Tenant, dryRun: boolean, summary: DecommissionSummary): Promise<void> {
    const { tenantCode } = listed;
    // The index is eventually consistent: decide on the row itself (a consistent read), and let the
    // transition re-check the date in the same write.
    const tenant = await this.deps.repository.get(tenantCode);
    if (!tenant) {
      summary.skipped.push({ tenantCode, status: 'deleted', reason: 'deleted' });
      return;
    }
    const { status } = tenant;
    if (status !== 'deleted' && !(tenant.decommissionDate && tenant.decommissionDate <= summary.date)) {
      summary.skipped.push({ tenantCode, status, reason: 'not-due' });
      return;
    }
    if (!decide(status, 'delete').allowed) {
      summary.skipped.push({ tenantCode, status, reason: isInProgress(status) ? 'in-progress' : 'deleted' });
      return;
    }
    if (dryRun) {
      summary.wouldStart.push(tenantCode);
      return;
    }
    try {
      await this.deps.requests.delete(tenantCode, SYSTEM_REQUESTER, { dueBy: summary.date });
      summary.started.push(tenantCode);
      this.log.info('decommission started', { tenantCode, decommissionDate: tenant.decommissionDate });
    } catch (error) {
      if (error instanceof DecommissionNotDueError) {
        summary.skipped.push({ tenantCode, status, reason: 'not-due' });
        return;
      }
      if (error instanceof TenantConflictError) {
        // The row changed between the index read and the transition (an API request won the race).
        summary.skipped.push({ tenantCode, status: error.currentStatus, reason: 'conflict' });
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      summary.failed.push({ tenantCode, error: message });
      this.log.warn('decommission failed for one tenant; carrying on with the others', {
        tenantCode,
        error,
      });
    }
  }
}
