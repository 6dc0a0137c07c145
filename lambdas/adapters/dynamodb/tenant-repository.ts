import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  ScanCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../core/errors';
import type { FlowDefinition } from '../../core/flows';
import { DEFAULT_HISTORY_RETENTION_DAYS, HistoryItemSchema, type HistoryItem } from '../../core/history';
import { TENANT_STATUSES, type TenantStatus } from '../../core/lifecycle';
import type { FleetReader, Page, TenantRepository } from '../../core/ports';
import type { Tenant } from '../../core/tenant';
import { TENANT_CODE_PATTERN, type TenantCode } from '../../core/tenant-code';
import type { RowStore, RowWrite } from '../../core/tenant-plans';
import { PlannedTenantStore } from '../../core/tenant-store';
import {
  parseTenantRow,
  tenantOf,
  type RowChange,
  type RowCondition,
  type TenantRow,
} from '../../core/tenant-row';
import { isConditionFailure } from './conditions';
import { DECOMMISSION_BUCKET, HISTORY_TABLE, TENANT_TABLE } from './table-schema';

type Item = Record<string, unknown>;

/** Where the history items of every write go, and how long they are kept. */
export interface HistoryTableOptions {
  tableName: string;
  /** @default DEFAULT_HISTORY_RETENTION_DAYS (90) */
  retentionDays?: number;
}

/** A row write inside a transaction: one TransactWriteItems element for the tenant table. */
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type TableWrite = Required<Pick<TransactItem, 'Update'>> | Required<Pick<TransactItem, 'Delete'>>;

/** Tries of a transaction that a concurrent transaction cancelled. */
const TRANSACTION_ATTEMPTS = 3;

/**
 * One write's expression attribute names and values, shared by its update and condition expressions: a
 * core plan (condition and change) in DynamoDB's terms.
 */
class Expressions {
  private readonly names: Record<string, string> = {};
  private readonly values: Item = {};

  private name(attribute: string): string {
    this.names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  }

  private value(value: unknown): string {
    const key = `:v${Object.keys(this.values).length}`;
    this.values[key] = value;
    return key;
  }

  public condition(c: RowCondition): string {
    switch (c.kind) {
      case 'statusIn':
        return `${this.name('status')} IN (${c.statuses.map((s) => this.value(s)).join(', ')})`;
      case 'equals':
        return `${this.name(c.attribute)} = ${this.value(c.value)}`;
      case 'missing':
        return `attribute_not_exists(${this.name(c.attribute)})`;
      case 'atMost':
        return `${this.name(c.attribute)} <= ${this.value(c.value)}`;
      case 'all':
      case 'any': {
        // Flattened, and parenthesised only where precedence needs it: DynamoDB refuses redundant parentheses.
        const parts = c.conditions.flatMap((x) => (x.kind === c.kind ? x.conditions : [x]));
        const wrap = (x: RowCondition) =>
          c.kind === 'all' && x.kind === 'any' && x.conditions.length > 1
            ? `(${this.condition(x)})`
            : this.condition(x);
        return parts.map(wrap).join(c.kind === 'all' ? ' AND ' : ' OR ');
      }
    }
  }

  /**
   * The update expression of a change. The date index's bucket follows the row it leaves: present while
   * the row has a decommission date and is not deleted, so the sweep's index holds only rows it may act on.
   */
  public update(change: Extract<RowChange, { kind: 'update' }>, after: TenantRow | undefined): string {
    const set: Item = { ...change.set };
    const remove: string[] = [...change.remove];
    const touchesDate = 'status' in set || 'decommissionDate' in set || remove.includes('decommissionDate');
    if (touchesDate) {
      const bucket = TENANT_TABLE.byDecommissionDate.partitionKey;
      if (after?.decommissionDate !== undefined && after.status !== 'deleted')
        set[bucket] = DECOMMISSION_BUCKET;
      else remove.push(bucket);
    }
    const sets = Object.entries(set)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${this.name(k)} = ${this.value(v)}`);
    return [
      sets.length ? `SET ${sets.join(', ')}` : '',
      remove.length ? `REMOVE ${remove.map((k) => this.name(k)).join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
  }

  public attributes() {
    return {
      ExpressionAttributeNames: this.names,
      ...(Object.keys(this.values).length ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

/** The key, expressions and values of a conditional DeleteItem, or with a change, UpdateItem. */
function conditional(
  code: TenantCode,
  condition: RowCondition,
  update?: { change: Extract<RowChange, { kind: 'update' }>; after: TenantRow | undefined },
) {
  const x = new Expressions();
  const UpdateExpression = update && x.update(update.change, update.after);
  const ConditionExpression = x.condition(condition);
  return {
    Key: { tenantCode: code },
    ConditionExpression,
    ...x.attributes(),
    ...(UpdateExpression === undefined ? {} : { UpdateExpression }),
  };
}

/** A conditional UpdateItem's parameters for a planned update. */
function conditionalUpdate(
  code: TenantCode,
  plan: { condition: RowCondition; change: RowChange; after?: TenantRow | undefined },
) {
  if (plan.change.kind !== 'update') throw new Error('not an update');
  const { UpdateExpression = '', ...params } = conditional(code, plan.condition, {
    change: plan.change,
    after: plan.after,
  });
  return { ...params, UpdateExpression };
}

/** A stored item as the tenant it holds: parsed through the row's schema, the claim and index keys left out. */
function toTenant(item: Item): Tenant {
  return tenantOf(parseTenantRow(item));
}

function encodeToken(key: Item | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

/** What a page token's key must hold to belong to the query it is sent with: one rule per key attribute. */
type TokenShape = Readonly<Record<string, (value: string) => boolean>>;

const isTenantCode = (v: string) => TENANT_CODE_PATTERN.test(v);
const isIsoDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);

/** Scan tokens: the table's key only. */
const SCAN_TOKEN: TokenShape = { [TENANT_TABLE.partitionKey]: isTenantCode };

/** Tokens of the status index, for one status: a token of another status's query is not one of ours. */
function statusToken(status: TenantStatus): TokenShape {
  const { partitionKey } = TENANT_TABLE.byStatus;
  return {
    [TENANT_TABLE.partitionKey]: isTenantCode,
    [partitionKey]: (v) => v === status && (TENANT_STATUSES as readonly string[]).includes(v),
  };
}

/** Tokens of the date index, for the sweep of one day. */
function dueToken(date: string): TokenShape {
  const { partitionKey, sortKey } = TENANT_TABLE.byDecommissionDate;
  return {
    [TENANT_TABLE.partitionKey]: isTenantCode,
    [partitionKey]: (v) => v === DECOMMISSION_BUCKET,
    [sortKey]: (v) => isIsoDate(v) && v <= date,
  };
}

/**
 * A page token back into the ExclusiveStartKey it was made from, checked against the query it is sent
 * with: exactly the query's key attributes, each a string of the right form (the status or bucket of
 * this query, a valid tenant code). Anything else is a ValidationError, never a DynamoDB error.
 */
function decodeToken(token: string | undefined, shape: TokenShape): Item | undefined {
  if (token === undefined) return undefined;
  const invalid = new ValidationError('nextToken is not valid for this query', [
    { path: 'nextToken', message: 'is not a token this query returned' },
  ]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new ValidationError(invalid.message, invalid.issues, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid;
  const entries = Object.entries(parsed);
  const expected = Object.keys(shape);
  const ok =
    entries.length === expected.length &&
    entries.every(([k, v]) => Object.hasOwn(shape, k) && typeof v === 'string' && shape[k]?.(v) === true);
  if (!ok) throw invalid;
  return Object.fromEntries<unknown>(entries);
}

/**
 * The tenant table. Every lifecycle transition is one conditional UpdateItem whose condition is the
 * lifecycle table itself, so two racing requests can never both win; every flow write is conditioned on
 * the row still carrying the flow's flowId.
 */
export class DynamoDbTenantRepository extends PlannedTenantStore implements TenantRepository, FleetReader {
  /**
   * @param history where each write's history goes: required by every writer (a write without its history
   *   is refused), not by readers of tenant rows.
   */
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly history?: HistoryTableOptions,
  ) {
    super();
  }

  protected async readRow(code: TenantCode): Promise<TenantRow | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { tenantCode: code }, ConsistentRead: true }),
    );
    return out.Item ? parseTenantRow(out.Item) : undefined;
  }

  /**
   * Sends the row write and the history items describing it as one transaction, so neither lands without
   * the other. A failed condition on the row surfaces as the ConditionalCheckFailedException (with the row
   * as it was) that a single write would have raised; a conflict with a concurrent transaction is retried.
   */
  private async transact(
    row: TableWrite,
    code: TenantCode,
    history: HistoryItem[],
    version: number,
  ): Promise<void> {
    if (!this.history) throw new Error('this repository has no history table: it cannot write tenants');
    const { tableName, retentionDays = DEFAULT_HISTORY_RETENTION_DAYS } = this.history;
    const puts = history.map((item, position) => ({
      Put: {
        TableName: tableName,
        Item: {
          ...item,
          [HISTORY_TABLE.partitionKey]: code,
          // Time, then the row version the write made (orders writes within one millisecond), then the
          // item's place in its write; the random suffix means no write can ever overwrite another's item.
          [HISTORY_TABLE.sortKey]: [
            item.at,
            String(version).padStart(10, '0'),
            position,
            randomBytes(3).toString('hex'),
          ].join('#'),
          [HISTORY_TABLE.ttlAttribute]: Math.floor(Date.parse(item.at) / 1000) + retentionDays * 86_400,
        },
      },
    }));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: [row, ...puts] }));
        return;
      } catch (error) {
        const reason =
          error instanceof TransactionCanceledException ? error.CancellationReasons?.[0] : undefined;
        if (reason?.Code === 'ConditionalCheckFailed') {
          throw new ConditionalCheckFailedException({
            message: reason.Message ?? 'The conditional request failed',
            $metadata: error instanceof TransactionCanceledException ? error.$metadata : {},
            ...(reason.Item ? { Item: reason.Item } : {}),
          });
        }
        const conflict =
          error instanceof TransactionCanceledException &&
          (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
        if (!conflict || attempt >= TRANSACTION_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }

  public async listHistory(
    code: TenantCode,
    page: { limit: number; nextToken?: string },
  ): Promise<Page<HistoryItem>> {
    if (!this.history) throw new Error('this repository has no history table');
    const { partitionKey, sortKey, ttlAttribute } = HISTORY_TABLE;
    // A token of this tenant's history only: any other tenant's, or a forged key, is a ValidationError.
    const start = decodeToken(page.nextToken, {
      [partitionKey]: (v) => v === code,
      [sortKey]: (v) => v.length > 0 && v.length <= 256,
    });
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.history.tableName,
        KeyConditionExpression: '#pk = :code',
        ExpressionAttributeNames: { '#pk': partitionKey },
        ExpressionAttributeValues: { ':code': code },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: start,
      }),
    );
    const items = (out.Items ?? []).map((raw) => {
      const item: Item = { ...raw };
      for (const key of [partitionKey, sortKey, ttlAttribute]) delete item[key];
      return HistoryItemSchema.parse(item);
    });
    return { items, nextToken: encodeToken(out.LastEvaluatedKey) };
  }

  public async list(query: {
    status?: TenantStatus;
    moduleVersion?: string;
    limit: number;
    nextToken?: string;
  }): Promise<Page<Tenant>> {
    // A module version filters the page DynamoDB read (Limit counts rows read, before the filter): a page
    // may hold fewer items than `limit`, even none, and still carry a nextToken.
    const filter = query.moduleVersion
      ? {
          FilterExpression: '#mv = :mv',
          ExpressionAttributeNames: { '#mv': 'moduleVersion' },
          ExpressionAttributeValues: { ':mv': query.moduleVersion },
        }
      : {};
    if (query.status) {
      const out = await this.queryByStatus(query.status, query, query.moduleVersion);
      return { items: (out.Items ?? []).map(toTenant), nextToken: encodeToken(out.LastEvaluatedKey) };
    }
    const out = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        Limit: query.limit,
        ExclusiveStartKey: decodeToken(query.nextToken, SCAN_TOKEN),
        ...filter,
      }),
    );
    return { items: (out.Items ?? []).map(toTenant), nextToken: encodeToken(out.LastEvaluatedKey) };
  }

  /**
   * A planned write and its history in one transaction, under the plan's condition; refused (with the
   * row's status as it was) when the condition fails.
   */
  protected async writePlanned(code: TenantCode, plan: RowWrite<unknown>): ReturnType<RowStore['write']> {
    // Each item names its table in place: the least-privilege test reads the tables an adapter writes from here.
    let row: TableWrite;
    if (plan.change.kind === 'delete') {
      const params = conditional(code, plan.condition);
      row = {
        Delete: { TableName: this.tableName, ...params, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
      };
    } else {
      const params = conditionalUpdate(code, plan);
      row = {
        Update: { TableName: this.tableName, ...params, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
      };
    }
    try {
      await this.transact(row, code, plan.history, plan.version);
      return { refused: false };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const status = (error.Item?.status as { S?: string } | undefined)?.S;
      return { refused: true, ...(status ? { status } : {}) };
    }
  }

  /** One conditional UpdateItem, no history: the row as it is after, undefined when the condition failed. */
  protected async changeRow(
    code: TenantCode,
    plan: { condition: RowCondition; change: RowChange },
  ): Promise<TenantRow | undefined> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          ...conditionalUpdate(code, plan),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return parseTenantRow(out.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  public async listDueForDecommission(
    date: string,
    nextToken?: string,
    limit?: number,
  ): Promise<Page<Tenant> & { scannedCount?: number }> {
    const { indexName, partitionKey, sortKey } = TENANT_TABLE.byDecommissionDate;
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: indexName,
        KeyConditionExpression: '#b = :b AND #d <= :d',
        ExpressionAttributeNames: { '#b': partitionKey, '#d': sortKey },
        ExpressionAttributeValues: { ':b': DECOMMISSION_BUCKET, ':d': date },
        ExclusiveStartKey: decodeToken(nextToken, dueToken(date)),
        ...(limit === undefined ? {} : { Limit: limit }),
      }),
    );
    return {
      items: (out.Items ?? []).map(toTenant),
      nextToken: encodeToken(out.LastEvaluatedKey),
      scannedCount: out.ScannedCount ?? out.Items?.length ?? 0,
    };
  }

  /** One page of the byStatus index for one status, optionally only the rows on one module version. */
  private queryByStatus(
    status: TenantStatus,
    page: { nextToken?: string; limit?: number },
    moduleVersion?: string,
  ) {
    const { indexName, partitionKey } = TENANT_TABLE.byStatus;
    return this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: indexName,
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: {
          '#s': partitionKey,
          ...(moduleVersion ? { '#mv': 'moduleVersion' } : {}),
        },
        ExpressionAttributeValues: { ':s': status, ...(moduleVersion ? { ':mv': moduleVersion } : {}) },
        ...(moduleVersion ? { FilterExpression: '#mv = :mv' } : {}),
        ExclusiveStartKey: decodeToken(page.nextToken, statusToken(status)),
        ...(page.limit === undefined ? {} : { Limit: page.limit }),
      }),
    );
  }

  /**
   * The module version of every row in `status`, read page by page through the status index (only that
   * attribute is returned, but DynamoDB charges for the whole rows read). Null for rows that never applied one.
   */
  public async moduleVersionsByStatus(status: TenantStatus): Promise<(string | null)[]> {
    const versions: (string | null)[] = [];
    await this.eachStatusPage(
      status,
      { ExpressionAttributeNames: { '#mv': 'moduleVersion' }, ProjectionExpression: '#mv' },
      (out) => {
        for (const item of out.Items ?? []) {
          versions.push(typeof item.moduleVersion === 'string' ? item.moduleVersion : null);
        }
      },
    );
    return versions;
  }

  /** Rows in `status`, counted through the status index (a COUNT query reads keys only from the index). */
  public async countByStatus(status: TenantStatus, pageSize?: number): Promise<number> {
    let count = 0;
    await this.eachStatusPage(
      status,
      { Select: 'COUNT', ...(pageSize === undefined ? {} : { Limit: pageSize }) },
      (out) => {
        count += out.Count ?? 0;
      },
    );
    return count;
  }

  /** Every page of a Query of the status index for `status`, with `extra` merged into each request. */
  private async eachStatusPage(
    status: TenantStatus,
    extra: Pick<QueryCommandInput, 'ExpressionAttributeNames' | 'ProjectionExpression' | 'Select' | 'Limit'>,
    onPage: (out: QueryCommandOutput) => void,
  ): Promise<void> {
    const { indexName, partitionKey } = TENANT_TABLE.byStatus;
    let start: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...extra,
          IndexName: indexName,
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': partitionKey, ...extra.ExpressionAttributeNames },
          ExpressionAttributeValues: { ':s': status },
          ExclusiveStartKey: start,
        }),
      );
      onPage(out);
      start = out.LastEvaluatedKey;
    } while (start);
  }

  public async listInProgress(
    status: FlowDefinition['inProgressStatus'],
    page: { nextToken?: string; limit?: number } = {},
  ): Promise<Page<{ tenant: Tenant; claimedBy?: string }>> {
    const out = await this.queryByStatus(status, page);
    return {
      items: (out.Items ?? []).map((item) => ({
        tenant: toTenant(item),
        ...(typeof item.claimedBy === 'string' ? { claimedBy: item.claimedBy } : {}),
      })),
      nextToken: encodeToken(out.LastEvaluatedKey),
    };
  }
}
