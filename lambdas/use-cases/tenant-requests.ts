import { randomUUID } from 'node:crypto';
import { FlowStartError, TenantNotFoundError } from '../core/errors';
import type { Action } from '../core/flows';
import type { CreateTenantRequest, ListTenantsQuery, UpdateTenantRequest } from '../core/api-schema';
import type { HistoryItem } from '../core/history';
import type { Clock, EventPublisher, Page, TenantRepository, TransitionChanges } from '../core/ports';
import type { Tenant } from '../core/tenant';
import type { TenantCode } from '../core/tenant-code';

export interface TenantRequestsDeps {
  repository: TenantRepository;
  publisher: EventPublisher;
  clock: Clock;
  newFlowId?: () => string;
  /** Called when a flow could not be started and its transition was undone. */
  onFlowStartFailure?: (tenant: Tenant, error: unknown) => void;
}

/**
 * The tenant requests the API and the decommission sweep make: one conditional transition, then the
 * request event on the action's bus. If the event cannot be published the transition is undone, so no
 * tenant is left in progress with no flow behind it.
 */
export class TenantRequests {
  private readonly newFlowId: () => string;

  public constructor(private readonly deps: TenantRequestsDeps) {
    this.newFlowId = deps.newFlowId ?? randomUUID;
  }

  public create(request: CreateTenantRequest, requestedBy: string): Promise<Tenant> {
    const { tenantCode, ...changes } = request;
    return this.start(tenantCode, 'create', changes, requestedBy);
  }

  public update(code: TenantCode, request: UpdateTenantRequest, requestedBy: string): Promise<Tenant> {
    return this.start(code, 'update', request, requestedBy);
  }

  /** `dueBy` (the decommission sweep): only while the tenant's decommission date is on or before it. */
  public delete(code: TenantCode, requestedBy: string, options: { dueBy?: string } = {}): Promise<Tenant> {
    return this.start(code, 'delete', {}, requestedBy, options.dueBy);
  }

  public async get(code: TenantCode): Promise<Tenant> {
    const tenant = await this.deps.repository.get(code);
    if (!tenant) throw new TenantNotFoundError(code);
    return tenant;
  }

  public list(query: ListTenantsQuery): Promise<Page<Tenant>> {
    return this.deps.repository.list(query);
  }

  /** A tenant's history, newest first; kept after a delete. Not found only when the code never existed. */
  public async history(
    code: TenantCode,
    page: { limit: number; nextToken?: string },
  ): Promise<Page<HistoryItem>> {
    const result = await this.deps.repository.listHistory(code, page);
    if (result.items.length === 0 && !page.nextToken && !(await this.deps.repository.get(code))) {
      throw new TenantNotFoundError(code);
    }
    return result;
  }

  private async start(
    tenantCode: TenantCode,
    action: Action,
    changes: TransitionChanges,
    requestedBy: string,
    dueBy?: string,
  ): Promise<Tenant> {
    const now = this.deps.clock.now().toISOString();
    const result = await this.deps.repository.transition({
      tenantCode,
      action,
      flowId: this.newFlowId(),
      requestedBy,
      now,
      changes,
      ...(dueBy === undefined ? {} : { dueBy }),
    });
    try {
      await this.deps.publisher.publish(action, {
        tenantCode,
        flowId: result.after.flowId,
        requestedBy,
        requestedAt: now,
      });
    } catch (error) {
      await this.deps.repository.undoTransition(result, this.deps.clock.now().toISOString());
      this.deps.onFlowStartFailure?.(result.after, error);
      throw new FlowStartError(
        `could not start the ${action} flow for '${tenantCode}'; nothing was changed, retry`,
        {
          cause: error,
        },
      );
    }
    return result.after;
  }
}
