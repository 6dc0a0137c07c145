import * as z from 'zod';
import { ACTIONS } from './flows';
import { IN_PROGRESS_STATUSES, TENANT_STATUSES, type TenantStatus } from './lifecycle';
import { TIERS, type Tenant } from './tenant';
import { TenantCodeSchema } from './tenant-code';

/**
 * A tenant row as stored: the tenant, plus the execution that claimed its flow. The claim decides which
 * execution may run the flow and never leaves the store.
 */
export type TenantRow = Tenant & {
  claimedBy?: string;
  /** The task token of the flow waiting for its run's end (Step Functions callback), stored with `runId`. */
  waitToken?: string;
  /** When the flow began to wait for the run's end. */
  waitSince?: string;
};

/** An attribute of the row a plan may read, set or remove. */
export type RowAttribute = keyof TenantRow;

/** A tenant's `lastError`, as stored and as answered. */
export const TenantErrorSchema = z.object({ code: z.string(), message: z.string(), at: z.string() });

/** A tenant's `retrying`, as stored and as answered. */
export const TenantRetrySchema = z.object({
  reason: z.string(),
  attempt: z.number(),
  maxAttempts: z.number(),
  since: z.string(),
  at: z.string(),
});

/** Fields a stored row and the CLI's view of an answered tenant check alike. */
export const TENANT_FIELD_SCHEMAS = {
  status: z.enum(TENANT_STATUSES),
  flowId: z.string(),
  version: z.number(),
  action: z.enum(ACTIONS),
  tier: z.enum(TIERS),
  variables: z.record(z.string(), z.string()),
};

/** The row as the store returns it; attributes that exist only for the store's indexes are dropped. */
export const TenantRowSchema = z.object({
  tenantCode: TenantCodeSchema,
  ...TENANT_FIELD_SCHEMAS,
  decommissionDate: z.string().optional(),
  workspaceId: z.string().optional(),
  runRequestedFor: z.string().optional(),
  runId: z.string().optional(),
  runStatus: z.string().optional(),
  runModuleVersion: z.string().optional(),
  queuedAt: z.string().optional(),
  retrying: TenantRetrySchema.optional(),
  outputs: z.record(z.string(), z.unknown()).optional(),
  sensitiveOutputs: z.array(z.string()).optional(),
  moduleVersion: z.string().optional(),
  lastError: TenantErrorSchema.optional(),
  requestedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  claimedBy: z.string().optional(),
  waitToken: z.string().optional(),
  waitSince: z.string().optional(),
}) satisfies z.ZodType<TenantRow>;

/** Parses a stored item into a row: a malformed item is an error, never a tenant with missing fields. */
export function parseTenantRow(item: unknown): TenantRow {
  return TenantRowSchema.parse(item);
}

/** The tenant a row shows: everything but the claim and the waiting flow's task token. */
export function tenantOf(row: TenantRow): Tenant {
  const tenant: TenantRow = { ...row };
  delete tenant.claimedBy;
  delete tenant.waitToken;
  delete tenant.waitSince;
  return tenant;
}

/**
 * What must hold of the row when a write lands, in the store's terms (a DynamoDB condition expression, or
 * the in-memory check of a test double). A missing row has no attributes.
 */
export type RowCondition =
  | { readonly kind: 'statusIn'; readonly statuses: readonly TenantStatus[] }
  | { readonly kind: 'equals'; readonly attribute: RowAttribute; readonly value: string | number }
  | { readonly kind: 'missing'; readonly attribute: RowAttribute }
  | { readonly kind: 'atMost'; readonly attribute: RowAttribute; readonly value: string }
  | { readonly kind: 'all'; readonly conditions: readonly RowCondition[] }
  | { readonly kind: 'any'; readonly conditions: readonly RowCondition[] };

export const Row = {
  statusIn: (statuses: readonly TenantStatus[]): RowCondition => ({ kind: 'statusIn', statuses }),
  /** The row is held by a flow that has not ended. */
  inProgress: { kind: 'statusIn', statuses: IN_PROGRESS_STATUSES } as RowCondition,
  equals: (attribute: RowAttribute, value: string | number): RowCondition => ({
    kind: 'equals',
    attribute,
    value,
  }),
  missing: (attribute: RowAttribute): RowCondition => ({ kind: 'missing', attribute }),
  atMost: (attribute: RowAttribute, value: string): RowCondition => ({ kind: 'atMost', attribute, value }),
  all: (...conditions: RowCondition[]): RowCondition => ({ kind: 'all', conditions }),
  any: (...conditions: RowCondition[]): RowCondition => ({ kind: 'any', conditions }),
  /** There is no row yet. */
  absent: { kind: 'missing', attribute: 'tenantCode' } as RowCondition,
};

/** Whether `condition` holds of `row` (undefined: no row), with DynamoDB's semantics for missing attributes. */
export function holds(condition: RowCondition, row: Readonly<Partial<TenantRow>> | undefined): boolean {
  const value = (attribute: RowAttribute): unknown => row?.[attribute];
  switch (condition.kind) {
    case 'statusIn':
      return condition.statuses.some((s) => s === row?.status);
    case 'equals':
      return value(condition.attribute) === condition.value;
    case 'missing':
      return value(condition.attribute) === undefined;
    case 'atMost': {
      const v = value(condition.attribute);
      return typeof v === 'string' && v <= condition.value;
    }
    case 'all':
      return condition.conditions.every((c) => holds(c, row));
    case 'any':
      return condition.conditions.some((c) => holds(c, row));
  }
}

/** An attribute a write may remove: the optional ones. */
export type RemovableAttribute = {
  [K in RowAttribute]-?: undefined extends TenantRow[K] ? K : never;
}[RowAttribute];

/** What a write does to the row: set and remove attributes, or delete the row. */
export type RowChange =
  | {
      readonly kind: 'update';
      readonly set: Partial<TenantRow>;
      readonly remove: readonly RemovableAttribute[];
    }
  | { readonly kind: 'delete' };

/** The row after an update: `before` (or a new row under `tenantCode`) with `change` applied, checked. */
export function applyUpdate(
  before: Readonly<Partial<TenantRow>>,
  change: Extract<RowChange, { kind: 'update' }>,
): TenantRow {
  const after: Partial<TenantRow> = { ...before };
  for (const key of change.remove) delete after[key];
  return parseTenantRow({ ...after, ...change.set });
}
