import {
  COORDINATION_TABLE,
  IDEMPOTENCY_TABLE,
  TENANT_TABLE,
} from '../../lambdas/adapters/dynamodb/table-schema';
import { arnOf, logicalId, resource, synthStack } from './support';

const { stack, template } = synthStack();
const cp = stack.controlPlane;
const tenants = resource(template, 'AWS::DynamoDB::Table', logicalId(cp.tables.tenants));
const idempotency = resource(template, 'AWS::DynamoDB::Table', logicalId(cp.tables.idempotency));

describe('tables', () => {
  it('keys the tenant table by tenant code, with the byStatus and byDecommissionDate indexes of the shared schema', () => {
    expect(tenants.Properties.KeySchema).toEqual([
      { AttributeName: TENANT_TABLE.partitionKey, KeyType: 'HASH' },
    ]);
    expect(tenants.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byStatus',
        KeySchema: [
          { AttributeName: 'status', KeyType: 'HASH' },
          { AttributeName: 'tenantCode', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: 'byDecommissionDate',
        KeySchema: [
          { AttributeName: 'decommissionBucket', KeyType: 'HASH' },
          { AttributeName: 'decommissionDate', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(tenants.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(
        ['tenantCode', 'status', 'decommissionBucket', 'decommissionDate'].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
      ),
    );
  });

  it('encrypts the tenant table with the rotating customer-managed key, with PITR, deletion protection, retained', () => {
    expect(tenants.Properties).toMatchObject({
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arnOf(cp.encryptionKey) },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(tenants.DeletionPolicy).toBe('Retain');
    expect(tenants.UpdateReplacePolicy).toBe('Retain');
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('keeps Idempotency-Key records in their own encrypted table, expiring by TTL', () => {
    expect(idempotency.Properties).toMatchObject({
      KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: IDEMPOTENCY_TABLE.ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arnOf(cp.encryptionKey) },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(idempotency.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('keeps the rate budget and admission queue in a coordination table of their own, expiring by TTL', () => {
    const coordination = resource(template, 'AWS::DynamoDB::Table', logicalId(cp.tables.coordination));
    expect(coordination.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: COORDINATION_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: COORDINATION_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: COORDINATION_TABLE.ttlAttribute, Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(coordination.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });
});
