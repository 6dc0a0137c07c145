import { TENANT_STATUSES, type TenantStatus } from '../core/lifecycle';
import type { FleetReader } from '../core/ports';

/** Key of `byModuleVersion` for tenants that never applied a module (not a valid module version). */
export const NO_MODULE_VERSION = 'none';

export interface FleetSummary {
  /** The module version new runs apply. */
  currentModuleVersion: string;
  /** Tenants that are not deleted. */
  total: number;
  /** Every status, deleted included (deleted rows are counted here only). */
  byStatus: Record<TenantStatus, number>;
  /** Tenants that are not deleted, by the module version their last successful run applied. */
  byModuleVersion: Record<string, number>;
  /** Tenants that are not deleted and not on the current module version (never applied included). */
  behind: number;
}

/**
 * The fleet at a glance, from the status index only (never a table Scan): the module versions of every
 * tenant that is not deleted (one paginated Query per status), and a COUNT query for the deleted ones.
 */
export async function fleetSummary(reader: FleetReader, currentModuleVersion: string): Promise<FleetSummary> {
  const live = TENANT_STATUSES.filter((s) => s !== 'deleted');
  const [versions, deleted] = await Promise.all([
    Promise.all(live.map((s) => reader.moduleVersionsByStatus(s))),
    reader.countByStatus('deleted'),
  ]);
  const byStatus = Object.fromEntries(TENANT_STATUSES.map((s) => [s, 0])) as Record<TenantStatus, number>;
  byStatus.deleted = deleted;
  const byModuleVersion: Record<string, number> = {};
  let total = 0;
  let behind = 0;
  live.forEach((status, i) => {
    for (const version of versions[i] ?? []) {
      byStatus[status] += 1;
      total += 1;
      const key = version ?? NO_MODULE_VERSION;
      byModuleVersion[key] = (byModuleVersion[key] ?? 0) + 1;
      if (version !== currentModuleVersion) behind += 1;
    }
  });
  return { currentModuleVersion, total, byStatus, byModuleVersion, behind };
}
