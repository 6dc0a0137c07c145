import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTenantRepository } from '../../lambdas/adapters/dynamodb/tenant-repository';
import { loadTenantInputs } from '../../lambdas/adapters/module/tenant-inputs-file';
import type { Action, TenantRequestDetail } from '../../lambdas/core/flows';
import type { Clock, EventPublisher } from '../../lambdas/core/ports';
import type { ApiEvent, ApiResult } from '../../lambdas/handlers/api/http';
import { makeTenantApi } from '../../lambdas/handlers/api/tenant-api';
import { DynamoDbRolloutStore } from '../../lambdas/adapters/dynamodb/rollout-store';
import type { RolloutEvent, RolloutStarter } from '../../lambdas/core/ports';
import { Rollouts } from '../../lambdas/use-cases/rollouts';
import { TenantRequests } from '../../lambdas/use-cases/tenant-requests';
import type { TestTables } from './dynamodb';

/** Records every published request event; can be told to fail. */
export class RecordingPublisher implements EventPublisher {
  public readonly events: Array<{ action: Action; detail: TenantRequestDetail }> = [];
  public failNext = 0;

  public async publish(action: Action, detail: TenantRequestDetail): Promise<void> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('PutEvents failed: ServiceUnavailable');
    }
    this.events.push({ action, detail });
  }
}

/** Records the rollout executions asked for (none runs); can be told to fail. */
export class RecordingRolloutStarter implements RolloutStarter {
  public readonly started: Array<{ rolloutId: string; executionName: string }> = [];
  public failNext = 0;

  public async start(rolloutId: string, executionName: string): Promise<void> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('StartExecution failed: ServiceUnavailable');
    }
    this.started.push({ rolloutId, executionName });
  }
}

export const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso) });

/** The module version the API built by {@link apiOver} calls current. */
export const CURRENT_MODULE_VERSION = 'v2+0123456789ab';

export function apiOver(tables: TestTables, clock: Clock, publisher = new RecordingPublisher()) {
  const repository = new DynamoDbTenantRepository(tables.doc, tables.tenantTable, {
    tableName: tables.historyTable,
  });
  const requests = new TenantRequests({ repository, publisher, clock });
  const starter = new RecordingRolloutStarter();
  const rolloutEvents: RolloutEvent[] = [];
  const rollouts = new Rollouts({
    store: new DynamoDbRolloutStore(tables.doc, tables.rolloutTable),
    tenants: repository,
    requests,
    starter,
    notifier: { notifyRollout: (e) => Promise.resolve(void rolloutEvents.push(e)) },
    clock,
    currentModuleVersion: () => Promise.resolve(CURRENT_MODULE_VERSION),
  });
  const api = makeTenantApi({
    clock,
    tenantInputs: loadTenantInputs('terraform-module/local'),
    requests,
    rollouts,
    fleet: { reader: repository, currentModuleVersion: () => Promise.resolve(CURRENT_MODULE_VERSION) },
    idempotencyStore: new DynamoDBPersistenceLayer({
      tableName: tables.idempotencyTable,
      awsSdkV3Client: tables.client,
    }),
  });
  // The local server's request timeout stands in for a Lambda's remaining time.
  api.registerContext({ getRemainingTimeInMillis: () => 30_000 } as Context);
  return { api, publisher, repository, requests, rollouts, starter, rolloutEvents };
}

export function event(parts: {
  body?: unknown;
  code?: string;
  /** A rollout id path parameter. */
  id?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  caller?: string;
}): ApiEvent {
  return {
    body:
      parts.body === undefined
        ? null
        : typeof parts.body === 'string'
          ? parts.body
          : JSON.stringify(parts.body),
    isBase64Encoded: false,
    headers: parts.headers ?? {},
    pathParameters:
      parts.code !== undefined ? { code: parts.code } : parts.id !== undefined ? { id: parts.id } : null,
    queryStringParameters: parts.query ?? null,
    requestContext: { identity: { userArn: parts.caller ?? 'arn:aws:iam::123456789012:role/caller' } },
  };
}

export function bodyOf(
  result: ApiResult,
): Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } } {
  return JSON.parse(result.body) as Record<string, unknown>;
}

/** Every item of every table (tenants, history, idempotency records, coordination), for a before/after diff. */
export async function allTablesSnapshot(tables: TestTables): Promise<Record<string, unknown[]>> {
  const scan = async (table: string) => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await tables.doc.send(
        new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.map((item) => JSON.stringify(item)).sort();
  };
  return {
    tenants: await scan(tables.tenantTable),
    history: await scan(tables.historyTable),
    idempotency: await scan(tables.idempotencyTable),
    coordination: await scan(tables.coordinationTable),
    rollouts: await scan(tables.rolloutTable),
  };
}

export async function tableSnapshot(tables: TestTables): Promise<unknown[]> {
  const out = await tables.doc.send(new ScanCommand({ TableName: tables.tenantTable, ConsistentRead: true }));
  return (out.Items ?? []).sort((a, b) => String(a.tenantCode).localeCompare(String(b.tenantCode)));
}
