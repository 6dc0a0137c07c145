import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  COORDINATION_TABLE,
  HISTORY_TABLE,
  IDEMPOTENCY_TABLE,
  ROLLOUT_TABLE,
  TENANT_TABLE,
} from '../../lambdas/core/tables';

export interface TenantTablesProps {
  /**
   * Customer-managed key encrypting both tables. A customer-managed key (rather than the AWS owned or
   * AWS managed one) because the tenant table holds Terraform variables and outputs: every decrypt is
   * visible in CloudTrail, the key policy decides who may read, and disabling the key cuts all access.
   */
  readonly encryptionKey: IKey;
}

/**
 * The tenant table and the API's idempotency table, built from the key and index contract in
 * `lambdas/core/tables.ts` that the local control plane and the tests use too.
 */
export class TenantTables extends Construct {
  /**
   * One row per tenant, keyed by tenant code; indexes `byStatus` (list by status) and the sparse
   * `byDecommissionDate` (the daily sweep). Point-in-time recovery, deletion protection, retained when the
   * stack goes away.
   */
  public readonly tenants: Table;
  /**
   * Idempotency-Key records (Powertools layout), expiring by TTL. Destroyed with the stack: it only holds
   * records of the last hour, and losing them cannot start a second flow (every transition is a
   * conditional write on the tenant row).
   */
  public readonly idempotency: Table;
  /**
   * Tenant history: requests, runs and status changes, one item each, keyed by tenant code and time, kept
   * for the retention period by TTL (`expiresAt`). Written in the same transaction as the tenant row it
   * describes. Point-in-time recovery, deletion protection, retained: it is the audit trail.
   */
  public readonly history: Table;
  /**
   * The TFC request budget's windows and the admission queue and slots, shared by every flow function.
   * Encrypted with an AWS owned key: its items are flow ids, tenant codes and counters, no tenant data,
   * and every flow request touches it (a customer-managed key would add a KMS call to each). Destroyed
   * with the stack: a new stack starts with an empty queue and no slots held.
   */
  public readonly coordination: Table;
  /**
   * Fleet rollouts: each rollout's record, its tenants and their outcomes, and the lock that keeps one
   * active rollout per module version. Point-in-time recovery, retained: it records who changed the fleet.
   */
  public readonly rollouts: Table;

  public constructor(scope: Construct, id: string, props: TenantTablesProps) {
    super(scope, id);
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    };

    this.tenants = new Table(this, 'Tenants', {
      ...common,
      partitionKey: { name: TENANT_TABLE.partitionKey, type: AttributeType.STRING },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of [TENANT_TABLE.byStatus, TENANT_TABLE.byDecommissionDate]) {
      this.tenants.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    this.rollouts = new Table(this, 'Rollouts', {
      ...common,
      partitionKey: { name: ROLLOUT_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: ROLLOUT_TABLE.sortKey, type: AttributeType.STRING },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.history = new Table(this, 'History', {
      ...common,
      partitionKey: { name: HISTORY_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: HISTORY_TABLE.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: HISTORY_TABLE.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.idempotency = new Table(this, 'Idempotency', {
      ...common,
      partitionKey: { name: IDEMPOTENCY_TABLE.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: IDEMPOTENCY_TABLE.ttlAttribute,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.coordination = new Table(this, 'Coordination', {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.DEFAULT,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      partitionKey: { name: COORDINATION_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: COORDINATION_TABLE.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: COORDINATION_TABLE.ttlAttribute,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
