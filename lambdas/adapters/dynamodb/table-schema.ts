/**
 * CreateTable inputs for local and test tables, built from the keys in `lambdas/core/tables.ts` that the CDK
 * tables use too.
 */
import {
  COORDINATION_TABLE,
  HISTORY_TABLE,
  IDEMPOTENCY_TABLE,
  ROLLOUT_TABLE,
  TENANT_TABLE,
} from '../../core/tables';

export {
  COORDINATION_TABLE,
  DECOMMISSION_BUCKET,
  HISTORY_TABLE,
  IDEMPOTENCY_TABLE,
  ROLLOUT_TABLE,
  TENANT_TABLE,
} from '../../core/tables';

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

export function rolloutTableDefinition(tableName: string) {
  return keyedTableDefinition(tableName, ROLLOUT_TABLE);
}

export function historyTableDefinition(tableName: string) {
  return keyedTableDefinition(tableName, HISTORY_TABLE);
}

export function coordinationTableDefinition(tableName: string) {
  return keyedTableDefinition(tableName, COORDINATION_TABLE);
}
