import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTenantRepository } from '../../lambdas/adapters/dynamodb/tenant-repository';
import type { Action } from '../../lambdas/core/flows';
import type { TransitionChanges } from '../../lambdas/core/ports';
import { parseTenantCode, type TenantCode } from '../../lambdas/core/tenant-code';
import { createTestTables, type TestTables } from './dynamodb';

export const NOW = '2026-11-23T10:00:00.000Z';

/**
 * A repository over fresh DynamoDB Local tables for one suite (tables made in beforeAll, dropped in
 * afterAll), with helpers to make tenant codes, start transitions and read raw rows.
 */
export function repositoryFixture(prefix: string) {
  const fixture = {} as { tables: TestTables; repo: DynamoDbTenantRepository };
  beforeAll(async () => {
    fixture.tables = await createTestTables();
    fixture.repo = new DynamoDbTenantRepository(fixture.tables.doc, fixture.tables.tenantTable, {
      tableName: fixture.tables.historyTable,
    });
  });
  afterAll(() => fixture.tables.drop());

  let n = 0;
  const freshCode = (): TenantCode => parseTenantCode(`${prefix}-${Date.now().toString(36)}-${n++}`);
  const start = (code: TenantCode, action: Action, changes: TransitionChanges = {}) =>
    fixture.repo.transition({
      tenantCode: code,
      action,
      flowId: randomUUID(),
      requestedBy: 'api:test',
      now: NOW,
      changes,
    });
  const rawItem = async (code: TenantCode) =>
    (
      await fixture.tables.doc.send(
        new GetCommand({
          TableName: fixture.tables.tenantTable,
          Key: { tenantCode: code },
          ConsistentRead: true,
        }),
      )
    ).Item;
  return { fixture, freshCode, start, rawItem };
}
