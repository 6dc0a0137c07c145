import type { Tenant } from './tenant';
import { type TenantCode, TenantCodeSchema } from './tenant-code';

/**
 * How a tenant maps onto a Terraform workspace, the same for Terraform Cloud and for the local runner:
 * the workspace's name and the input variables the control plane sets itself.
 */

/** Prefix every tenant workspace name of an environment starts with: `tenant-<environment>-`. */
export function workspaceNamePrefix(environment: string): string {
  return `tenant-${environment}-`;
}

/** Workspace name of a tenant: `tenant-<environment>-<code>`. */
export function workspaceName(environment: string, code: TenantCode): string {
  return `${workspaceNamePrefix(environment)}${code}`;
}

/**
 * The tenant whose workspace `name` is in this environment (`tenant-<environment>-<code>`, a valid code),
 * or undefined for any other workspace: another environment's, one the control plane does not own.
 */
export function tenantCodeOfWorkspace(environment: string, name: string): TenantCode | undefined {
  const prefix = workspaceNamePrefix(environment);
  if (!name.startsWith(prefix)) return undefined;
  const parsed = TenantCodeSchema.safeParse(name.slice(prefix.length));
  return parsed.success ? parsed.data : undefined;
}

/** Module inputs the control plane sets on every workspace; a tenant cannot supply them. */
export const RESERVED_VARIABLES = ['tenant_code', 'tier', 'environment'] as const;
export type ReservedVariable = (typeof RESERVED_VARIABLES)[number];

/**
 * Every Terraform input of a tenant's run: the reserved ones first, then the tenant's own (which can
 * never replace a reserved one). Values are plain strings, never HCL.
 */
export function tenantInputs(tenant: Tenant, environment: string): Record<string, string> {
  const inputs: Record<string, string> = {
    tenant_code: tenant.tenantCode,
    tier: tenant.tier,
    environment,
  } satisfies Record<ReservedVariable, string>;
  for (const [key, value] of Object.entries(tenant.variables)) {
    if (!isReserved(key)) inputs[key] = value;
  }
  return inputs;
}

export function isReserved(name: string): name is ReservedVariable {
  return (RESERVED_VARIABLES as readonly string[]).includes(name);
}

/**
 * The workspace that holds an environment's module versions (configuration versions every tenant's
 * run references; it never runs). It does not start with `tenant-`, so no tenant can ever get its name.
 */
export function moduleVersionsWorkspaceName(environment: string): string {
  return `control-plane-${environment}-modules`;
}
