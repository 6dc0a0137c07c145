/**
 * The tables' keys and indexes, defined once: the CDK tables (lib/constructs/tenant-tables.ts), the
 * CreateTable inputs of the local control plane and the tests (adapters/dynamodb/table-schema.ts) and the
 * DynamoDB adapters all use these names. Plain data.
 */

/**
 * The tenant table's keys and indexes, defined once: the CDK table, the local control plane and the tests
 * all build the table from these names.
 */
export const TENANT_TABLE = {
  partitionKey: 'tenantCode',
  byStatus: { indexName: 'byStatus', partitionKey: 'status', sortKey: 'tenantCode' },
  /**
   * Sparse: only rows with a decommission date that are not deleted carry `decommissionBucket`, so the
   * daily sweep queries the few due rows instead of scanning the table.
   */
  byDecommissionDate: {
    indexName: 'byDecommissionDate',
    partitionKey: 'decommissionBucket',
    sortKey: 'decommissionDate',
  },
} as const;

/** The single value of the sparse index's partition key. */
export const DECOMMISSION_BUCKET = 'scheduled';

/** Idempotency records (Powertools layout): partition key `id`, TTL on `expiration`. */
export const IDEMPOTENCY_TABLE = { partitionKey: 'id', ttlAttribute: 'expiration' } as const;

/**
 * Tenant history: one item per request, run and status change, keyed by tenant code and a sort key that
 * orders them in time (`<ISO time>#<position in its write>#<random>`), expiring by TTL.
 */
export const HISTORY_TABLE = {
  partitionKey: 'tenantCode',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;

/**
 * Rollouts: each rollout's record in one partition (`pk = @rollouts`, `sk = <rolloutId>`, ids sort by
 * time), the active rollout's lock per module version (`pk = @locks`), and each rollout's tenants and
 * notes in its own partition (`pk = <rolloutId>`, `sk = tenant#<code>` / `note#<code>`).
 */
export const ROLLOUT_TABLE = { partitionKey: 'pk', sortKey: 'sk' } as const;

/**
 * The coordination table: short-lived items that keep concurrent task instances in step — the TFC request
 * budget's windows (`rate-window-store.ts`) and the admission queue and slots (`admission-queue.ts`).
 * Kept apart from the tenant table so that its hot, throw-away items never share the tenant table's
 * backups, streams or grants. Items that can be forgotten carry `expiresAt` (epoch seconds, TTL).
 */
export const COORDINATION_TABLE = { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' } as const;
