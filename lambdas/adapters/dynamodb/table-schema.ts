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

/** CreateTable input for local and test tables, matching the CDK definition. */
export function tenantTableDefinition(tableName: string) {
  const { partitionKey, byStatus, byDecommissionDate } = TENANT_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' as const },
      { AttributeName: byStatus.partitionKey, AttributeType: 'S' as const },
      { AttributeName: byDecommissionDate.partitionKey, AttributeType: 'S' as const },
      { AttributeName: byDecommissionDate.sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: [
      {
        IndexName: byStatus.indexName,
        KeySchema: [
          { AttributeName: byStatus.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: byStatus.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
      {
        IndexName: byDecommissionDate.indexName,
        KeySchema: [
          { AttributeName: byDecommissionDate.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: byDecommissionDate.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  };
}

export function idempotencyTableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, KeyType: 'HASH' as const }],
  };
}

/** An on-demand table keyed by two string attributes. */
function keyedTableDefinition(tableName: string, keys: { partitionKey: string; sortKey: string }) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: keys.partitionKey, AttributeType: 'S' as const },
      { AttributeName: keys.sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: keys.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: keys.sortKey, KeyType: 'RANGE' as const },
    ],
  };
}

/**
 * Rollouts: each rollout's record in one partition (`pk = @rollouts`, `sk = <rolloutId>`, ids sort by
 * time), the active rollout's lock per module version (`pk = @locks`), and each rollout's tenants and
 * notes in its own partition (`pk = <rolloutId>`, `sk = tenant#<code>` / `note#<code>`).
 */
export const ROLLOUT_TABLE = { partitionKey: 'pk', sortKey: 'sk' } as const;

export function rolloutTableDefinition(tableName: string) {
  return keyedTableDefinition(tableName, ROLLOUT_TABLE);
}

export function historyTableDefinition(tableName: string) {
  return keyedTableDefinition(tableName, HISTORY_TABLE);
}

/**
 * The coordination table: short-lived items that keep concurrent task instances in step — the TFC request
 * budget's windows (`rate-window-store.ts`) and the admission queue and slots (`admission-queue.ts`).
 * Kept apart from the tenant table so that its hot, throw-away items never share the tenant table's
 * backups, streams or grants. Items that can be forgotten carry `expiresAt` (epoch seconds, TTL).
 */
export const COORDINATION_TABLE = { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' } as const;

export function coordinationTableDefinition(tableName: string) {
  return keyedTableDefinition(tableName, COORDINATION_TABLE);
}
