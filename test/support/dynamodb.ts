import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, LOCAL_AWS } from '../../lambdas/local/dynamodb-local';
import {
  coordinationTableDefinition,
  historyTableDefinition,
  idempotencyTableDefinition,
  rolloutTableDefinition,
  tenantTableDefinition,
} from '../../lambdas/adapters/dynamodb/table-schema';
import { documentClient } from '../../lambdas/adapters/aws-clients';

export interface TestTables {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  tenantTable: string;
  idempotencyTable: string;
  historyTable: string;
  /** Rate budget windows and the admission queue. */
  coordinationTable: string;
  /** Fleet rollouts. */
  rolloutTable: string;
  drop(): Promise<void>;
}

/** Fresh tenant and idempotency tables in the run's DynamoDB Local (started by the global setup). */
export async function createTestTables(): Promise<TestTables> {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run through jest (global setup)');
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const suffix = randomUUID().slice(0, 8);
  const tenantTable = `tenants-${suffix}`;
  const idempotencyTable = `idempotency-${suffix}`;
  const historyTable = `history-${suffix}`;
  const coordinationTable = `coordination-${suffix}`;
  const rolloutTable = `rollouts-${suffix}`;
  await ensureTable(client, tenantTableDefinition(tenantTable));
  await ensureTable(client, idempotencyTableDefinition(idempotencyTable));
  await ensureTable(client, historyTableDefinition(historyTable));
  await ensureTable(client, coordinationTableDefinition(coordinationTable));
  await ensureTable(client, rolloutTableDefinition(rolloutTable));
  return {
    client,
    doc: documentClient(client),
    tenantTable,
    idempotencyTable,
    historyTable,
    coordinationTable,
    rolloutTable,
    drop: async () => {
      await client.send(new DeleteTableCommand({ TableName: tenantTable }));
      await client.send(new DeleteTableCommand({ TableName: idempotencyTable }));
      await client.send(new DeleteTableCommand({ TableName: historyTable }));
      await client.send(new DeleteTableCommand({ TableName: coordinationTable }));
      await client.send(new DeleteTableCommand({ TableName: rolloutTable }));
      client.destroy();
    },
  };
}
