import type { Action } from './flows';
import type { TenantStatus } from './lifecycle';
import type { TenantCode } from './tenant-code';

export const TIERS = ['small', 'medium', 'large'] as const;
export type Tier = (typeof TIERS)[number];
export const DEFAULT_TIER: Tier = 'small';

/** A reason a person can act on, kept on the row after a failed flow. */
export interface TenantError {
  code: string;
  message: string;
  at: string;
}

/**
 * Set while a flow's request to TFC fails and is being tried again (connection refused, timeouts, 5xx);
 * removed by the flow's next progress write, its Check once TFC answers again, and its end.
 */
export interface TenantRetry {
  /** What failed: `connection refused (ECONNREFUSED) at app.terraform.io`, `TFC answered 503 …`. */
  reason: string;
  /** The request's attempt that failed last, counting from 1. */
  attempt: number;
  /** At `attempt === maxAttempts` the request gave up and the flow retries the whole step. */
  maxAttempts: number;
  /** First failure of this outage (kept while the flow keeps retrying). */
  since: string;
  /** Latest failure. */
  at: string;
}

/** One tenant row. Sensitive Terraform outputs are never stored: only their names. */
export interface Tenant {
  tenantCode: TenantCode;
  status: TenantStatus;
  /** Identifies the flow that owns the row; fresh on every transition. */
  flowId: string;
  /** Incremented by every write. */
  version: number;
  /** The request that started the current (or last) flow. */
  action: Action;
  tier: Tier;
  variables: Record<string, string>;
  /** ISO date (UTC) from which the daily sweep deletes the tenant. */
  decommissionDate?: string;
  workspaceId?: string;
  /** The flow whose Trigger asked (or may have asked) Terraform for a run. */
  runRequestedFor?: string;
  runId?: string;
  runStatus?: string;
  /** The module version of the current flow's run. */
  runModuleVersion?: string;
  /** Set while the flow waits in the admission queue for a run slot. */
  queuedAt?: string;
  /** Set while the flow retries an unreachable or failing TFC. */
  retrying?: TenantRetry;
  outputs?: Record<string, unknown>;
  sensitiveOutputs?: string[];
  /** The module version the last successful run applied. */
  moduleVersion?: string;
  lastError?: TenantError;
  requestedBy: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * The API's view of a tenant: the row's status, flow, version, action, tier and variables as they are;
 * sensitive outputs appear by name only, as redacted.
 */
export interface TenantView extends Pick<
  Tenant,
  'status' | 'flowId' | 'version' | 'action' | 'tier' | 'variables'
> {
  tenantCode: string;
  decommissionDate: string | null;
  workspaceId: string | null;
  /** The current (or last) run; `link` is where a person can look at it. */
  run: { id: string; status: string | null; link?: string } | null;
  /** When the flow joined the admission queue, while it waits there for a run slot; null otherwise. */
  queuedSince: string | null;
  /** While the flow retries a request TFC did not answer (or answered 5xx): why and which attempt. */
  retrying: TenantRetry | null;
  outputs: Record<string, unknown>;
  sensitiveOutputs: string[];
  moduleVersion: string | null;
  lastError: TenantError | null;
  requestedBy: string;
  createdAt: string;
  updatedAt: string;
}

export const REDACTED = '(sensitive)';

/**
 * Where a person can look at a run: the TFC UI page of the run, or the run's log on the local control
 * plane. Chosen at the entry point; undefined when there is no such place.
 */
export type RunLink = (tenantCode: TenantCode, runId: string) => string | undefined;

export function toView(t: Tenant, runLink?: RunLink): TenantView {
  const link = t.runId ? runLink?.(t.tenantCode, t.runId) : undefined;
  const outputs: Record<string, unknown> = { ...t.outputs };
  for (const name of t.sensitiveOutputs ?? []) outputs[name] = REDACTED;
  return {
    tenantCode: t.tenantCode,
    status: t.status,
    flowId: t.flowId,
    version: t.version,
    action: t.action,
    tier: t.tier,
    variables: t.variables,
    decommissionDate: t.decommissionDate ?? null,
    workspaceId: t.workspaceId ?? null,
    run: t.runId ? { id: t.runId, status: t.runStatus ?? null, ...(link ? { link } : {}) } : null,
    queuedSince: t.queuedAt ?? null,
    retrying: t.retrying ?? null,
    outputs,
    sensitiveOutputs: t.sensitiveOutputs ?? [],
    moduleVersion: t.moduleVersion ?? null,
    lastError: t.lastError ?? null,
    requestedBy: t.requestedBy,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}
