import { ACTIONS, FAILURE_EVENT, FLOWS } from '../core/flows';
import { isInProgress } from '../core/lifecycle';
import { parseTenantCode } from '../core/tenant-code';
import { DEFAULT_FAIL_AFTER_SECONDS, DEFAULT_REPUBLISH_AFTER_SECONDS } from '../core/defaults';
import {
  silentLog,
  type Clock,
  type EventPublisher,
  type ExecutionInspector,
  type LifecycleNotifier,
  type OpsLog,
  type TenantRepository,
} from '../core/ports';
import type { Tenant, TenantError } from '../core/tenant';
import type { Admission } from './admission';

/** Error code written on a tenant whose flow the reconciler gave up on. */
export const FLOW_LOST = 'FlowLost';

/**
 * Why the reconciler left an in-progress tenant alone: its execution is running; no execution has claimed
 * it yet but its event may still be on its way; or the row moved on while the reconciler looked at it.
 */
export type LeftReason = 'running' | 'awaiting-delivery' | 'moved-on';

export interface ReconcileSummary {
  /** In-progress tenants looked at. */
  examined: number;
  /** Tenants whose request event was published again (same flowId). */
  republished: string[];
  /** Tenants marked failed with a `FlowLost` error. */
  failed: string[];
  left: Array<{ tenantCode: string; reason: LeftReason }>;
  /** Tenants the reconciler could not handle this time (it tries again on its next run). */
  errors: Array<{ tenantCode: string; error: string }>;
  /** Flows whose run slot the reconciler freed: failed here, or no longer owning their tenant. */
  releasedSlots?: string[];
}

export interface ReconcilerDeps {
  repository: Pick<TenantRepository, 'listInProgress' | 'releaseClaim' | 'failLostFlow' | 'get'>;
  /** Admission control, whose slots lost flows hold. @default none */
  admission?: Pick<Admission, 'release' | 'releaseOrphans'>;
  /** Publishes on each action's own bus. */
  publisher: EventPublisher;
  inspector: ExecutionInspector;
  clock: Clock;
  /** Told about every tenant the reconciler fails, like finalize's `TenantFailed`. @default none */
  notifier?: LifecycleNotifier;
  log?: OpsLog;
  /**
   * Age (since the row's last write) at which an unclaimed in-progress tenant's event is published
   * again. @default 600
   */
  republishAfterSeconds?: number;
  /** Age at which an in-progress tenant with no live execution is marked failed. @default 86400 */
  failAfterSeconds?: number;
  /** Items per index query page. @default DynamoDB's own page size (1 MB) */
  pageSize?: number;
}

type Decision =
  { kind: 'leave'; reason: LeftReason } | { kind: 'republish' } | { kind: 'fail'; message: string };

/**
 * Finds tenants left in an in-progress status with no live flow behind them and gets them moving again.
 * A tenant's flow is lost when its request event never reached a state machine (never published, dead-
 * lettered, not delivered: no execution claimed the flowId) or when the execution that claimed it ended
 * without writing a result (aborted, timed out, finalize out of retries). While young, such a flow is
 * started again with the same flowId (the trigger's claim keeps it to one Terraform run, and a run already
 * recorded on the row is followed rather than started again); once older than `failAfterSeconds` the
 * tenant is marked failed with a reason, which an update or a delete retries. A running execution is never
 * touched, and every write is guarded by the flowId and claim the reconciler saw.
 */
export class Reconciler {
  private readonly log: OpsLog;
  private readonly republishAfterMs: number;
  private readonly failAfterMs: number;

  public constructor(private readonly deps: ReconcilerDeps) {
    this.log = deps.log ?? silentLog;
    this.republishAfterMs = (deps.republishAfterSeconds ?? DEFAULT_REPUBLISH_AFTER_SECONDS) * 1000;
    this.failAfterMs = (deps.failAfterSeconds ?? DEFAULT_FAIL_AFTER_SECONDS) * 1000;
    if (this.failAfterMs <= this.republishAfterMs) {
      throw new RangeError('failAfterSeconds must be longer than republishAfterSeconds');
    }
  }

  public async run(): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = { examined: 0, republished: [], failed: [], left: [], errors: [] };
    for (const action of ACTIONS) {
      const status = FLOWS[action].inProgressStatus;
      let nextToken: string | undefined;
      do {
        const page = await this.deps.repository.listInProgress(status, {
          ...(nextToken ? { nextToken } : {}),
          ...(this.deps.pageSize ? { limit: this.deps.pageSize } : {}),
        });
        for (const { tenant, claimedBy } of page.items) {
          summary.examined++;
          try {
            await this.reconcile(tenant, claimedBy, summary);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            summary.errors.push({ tenantCode: tenant.tenantCode, error: message });
            this.log.warn('could not reconcile a tenant; trying again next run', {
              tenantCode: tenant.tenantCode,
              flowId: tenant.flowId,
              error,
            });
          }
        }
        nextToken = page.nextToken;
      } while (nextToken);
    }
    if (this.deps.admission) {
      // A flow that lost its tenant (failed above, or superseded) never reaches Finalize to free its slot.
      const orphans = await this.deps.admission.releaseOrphans(async (entry) => {
        const tenant = await this.deps.repository.get(parseTenantCode(entry.tenantCode));
        return tenant?.flowId === entry.flowId && isInProgress(tenant.status);
      });
      summary.releasedSlots = [...(summary.releasedSlots ?? []), ...orphans];
    }
    this.log.info('reconciler finished', { ...summary });
    return summary;
  }

  private async reconcile(
    tenant: Tenant,
    claimedBy: string | undefined,
    summary: ReconcileSummary,
  ): Promise<void> {
    const { tenantCode } = tenant;
    const decision = await this.decide(tenant, claimedBy);
    if (decision.kind === 'leave') {
      summary.left.push({ tenantCode, reason: decision.reason });
      return;
    }
    if (decision.kind === 'fail') {
      const lastError: TenantError = {
        code: FLOW_LOST,
        message: decision.message,
        at: this.deps.clock.now().toISOString(),
      };
      const failed = await this.deps.repository.failLostFlow(tenantCode, tenant.flowId, claimedBy, lastError);
      if (!failed) {
        summary.left.push({ tenantCode, reason: 'moved-on' });
        return;
      }
      summary.failed.push(tenantCode);
      this.log.warn('failed a lost flow', { tenantCode, flowId: tenant.flowId, lastError });
      if (await this.deps.admission?.release(tenant.flowId)) {
        summary.releasedSlots = [...(summary.releasedSlots ?? []), tenant.flowId];
      }
      await this.deps.notifier?.notify({
        event: FAILURE_EVENT,
        tenantCode,
        flowId: failed.flowId,
        action: failed.action,
        status: failed.status,
        at: lastError.at,
        error: lastError,
      });
      return;
    }
    // A new execution would find the dead one's claim and end as a duplicate: free the flowId first. The
    // guarded write also confirms, on the table rather than the index, that the row is still as seen.
    if (!(await this.deps.repository.releaseClaim(tenantCode, tenant.flowId, claimedBy))) {
      summary.left.push({ tenantCode, reason: 'moved-on' });
      return;
    }
    await this.deps.publisher.publish(tenant.action, {
      tenantCode,
      flowId: tenant.flowId,
      requestedBy: tenant.requestedBy,
      requestedAt: this.deps.clock.now().toISOString(),
    });
    summary.republished.push(tenantCode);
    this.log.info('republished a lost flow', {
      tenantCode,
      flowId: tenant.flowId,
      action: tenant.action,
      deadExecution: claimedBy,
    });
  }

  private async decide(tenant: Tenant, claimedBy: string | undefined): Promise<Decision> {
    const ageMs = this.deps.clock.now().getTime() - Date.parse(tenant.updatedAt);
    const tooOld = ageMs >= this.failAfterMs;
    const since = `since ${tenant.updatedAt}`;
    const retry = 'then retry with an update (PATCH) or a delete';
    if (claimedBy) {
      const status = await this.deps.inspector.describe(claimedBy);
      if (status === 'RUNNING') return { kind: 'leave', reason: 'running' };
      if (!tooOld) return { kind: 'republish' };
      const ended = status === 'UNKNOWN' ? 'is no longer known to Step Functions' : `ended ${status}`;
      return {
        kind: 'fail',
        message:
          `the ${tenant.action} flow's execution ${claimedBy} ${ended} without recording a result, ` +
          `and the tenant has been ${tenant.status} ${since}; check that execution's history` +
          `${tenant.runId ? ` and Terraform run ${tenant.runId}` : ''}, ${retry}`,
      };
    }
    if (tooOld) {
      return {
        kind: 'fail',
        message:
          `no execution ever picked up the ${tenant.action} request (flow ${tenant.flowId}), and the ` +
          `tenant has been ${tenant.status} ${since}; check the ${tenant.action} bus's dead-letter queue ` +
          `and rule, ${retry}`,
      };
    }
    if (ageMs < this.republishAfterMs) return { kind: 'leave', reason: 'awaiting-delivery' };
    return { kind: 'republish' };
  }
}
