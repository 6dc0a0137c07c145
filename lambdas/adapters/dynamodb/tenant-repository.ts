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
import {
  DecommissionNotDueError,
  FlowSupersededError,
  TenantConflictError,
  TenantNotFoundError,
  ValidationError,
} from '../../core/errors';
import { FAILURE_STATUS, FLOWS, type FlowDefinition } from '../../core/flows';
import {
  DEFAULT_HISTORY_RETENTION_DAYS,
  History,
  HistoryItemSchema,
  type HistoryItem,
} from '../../core/history';
import { ALLOWED_FROM, IN_PROGRESS_STATUSES, TENANT_STATUSES, type TenantStatus } from '../../core/lifecycle';
import type {
  FlowCompletion,
  Page,
  RunProgress,
  FleetReader,
  TenantRepository,
  TransitionRequest,
  TransitionResult,
} from '../../core/ports';
import { DEFAULT_TIER, type Tenant, type TenantError } from '../../core/tenant';
import { TENANT_CODE_PATTERN, type TenantCode } from '../../core/tenant-code';
import type { RetryNotice } from '../../core/retry-reporting';
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
type RowWrite = Required<Pick<TransactItem, 'Update'>> | Required<Pick<TransactItem, 'Delete'>>;

/** Reads and re-plans after the row moved between the read and the conditional write. */
const MAX_ATTEMPTS = 3;

/** Attributes that exist for the table's sake and never leave the repository. */
const INTERNAL_ATTRIBUTES = [TENANT_TABLE.byDecommissionDate.partitionKey, 'claimedBy'] as const;

/** SET/REMOVE lists from which one UpdateExpression is built, and the same change applied in memory. */
interface Mutation {
  set: Item;
  remove: string[];
}

function buildUpdate(m: Mutation, extraSet: string[] = []) {
  const names: Record<string, string> = {};
  const values: Item = {};
  const sets = [...extraSet];
  for (const [key, value] of Object.entries(m.set)) {
    names[`#${key}`] = key;
    values[`:${key}`] = value;
    sets.push(`#${key} = :${key}`);
  }
  for (const key of m.remove) names[`#${key}`] = key;
  const expression = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    m.remove.length ? `REMOVE ${m.remove.map((k) => `#${k}`).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return { expression, names, values };
}

function applyMutation(before: Item | undefined, m: Mutation): Item {
  const after: Item = { ...before };
  for (const key of m.remove) delete after[key];
  return { ...after, ...m.set };
}

function toTenant(item: Item): Tenant {
  const copy: Item = { ...item };
  for (const key of INTERNAL_ATTRIBUTES) delete copy[key];
  return copy as unknown as Tenant;
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

function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/**
 * The tenant table. Every lifecycle transition is one conditional UpdateItem whose condition is the
 * lifecycle table itself, so two racing requests can never both win; every flow write is conditioned on
 * the row still carrying the flow's flowId.
 */
export class DynamoDbTenantRepository implements TenantRepository, FleetReader {
  /**
   * @param history where each write's history goes: required by every writer (a write without its history
   *   is refused), not by readers of tenant rows.
   */
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly history?: HistoryTableOptions,
  ) {}

  private async getItem(code: TenantCode): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { tenantCode: code }, ConsistentRead: true }),
    );
    return out.Item;
  }

  public async get(code: TenantCode): Promise<Tenant | undefined> {
    const item = await this.getItem(code);
    return item ? toTenant(item) : undefined;
  }

  /**
   * Sends the row write and the history items describing it as one transaction, so neither lands without
   * the other. A failed condition on the row surfaces as the ConditionalCheckFailedException (with the row
   * as it was) that a single write would have raised; a conflict with a concurrent transaction is retried.
   */
  private async transact(
    row: RowWrite,
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
        if (!conflict || attempt >= MAX_ATTEMPTS) throw error;
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
   * Reads the row, checks the lifecycle, then writes the transition and its history in one transaction
   * conditioned on the lifecycle and on the row's version, so the history describes exactly the row it
   * replaced. A row that moved in between is read and decided again.
   */
  public async transition(req: TransitionRequest): Promise<TransitionResult> {
    const flow = FLOWS[req.action];
    const allowed = ALLOWED_FROM[req.action];
    for (let attempt = 1; ; attempt++) {
      const beforeItem = await this.getItem(req.tenantCode);
      const current = beforeItem?.status as TenantStatus | undefined;
      if (!allowed.includes(current ?? 'absent')) {
        if (!current) throw new TenantNotFoundError(req.tenantCode);
        throw new TenantConflictError(req.tenantCode, flow.action, current);
      }
      // A decommission acts only while the date it found is still due, on the row as it is now.
      const date = beforeItem?.decommissionDate;
      if (req.dueBy !== undefined && !(typeof date === 'string' && date <= req.dueBy)) {
        throw new DecommissionNotDueError(req.tenantCode, req.dueBy);
      }
      const mutation = this.transitionMutation(req);
      const after = applyMutation(beforeItem, mutation);
      after.tenantCode = req.tenantCode;
      after.version = ((beforeItem?.version as number | undefined) ?? 0) + 1;
      after.createdAt = beforeItem?.createdAt ?? req.now;
      const result = { before: beforeItem ? toTenant(beforeItem) : undefined, after: toTenant(after) };

      const update = buildUpdate(mutation, [
        '#version = if_not_exists(#version, :zero) + :one',
        '#createdAt = if_not_exists(#createdAt, :now)',
      ]);
      const statusValues = allowed.filter((s) => s !== 'absent').map((s, i) => [`:from${i}`, s] as const);
      const conditions = [
        ...(allowed.includes('absent') ? ['attribute_not_exists(#tenantCode)'] : []),
        ...(statusValues.length ? [`#status IN (${statusValues.map(([k]) => k).join(', ')})`] : []),
      ];
      const unchanged = [
        beforeItem ? '#version = :readVersion' : 'attribute_not_exists(#tenantCode)',
        ...(req.dueBy === undefined ? [] : ['#decommissionDate <= :dueBy']),
      ].join(' AND ');
      try {
        await this.transact(
          {
            Update: {
              TableName: this.tableName,
              Key: { tenantCode: req.tenantCode },
              UpdateExpression: update.expression,
              ConditionExpression: `(${conditions.join(' OR ')}) AND ${unchanged}`,
              ExpressionAttributeNames: {
                ...update.names,
                '#version': 'version',
                '#createdAt': 'createdAt',
                '#status': 'status',
                ...(allowed.includes('absent') || !beforeItem ? { '#tenantCode': 'tenantCode' } : {}),
                ...(req.dueBy === undefined ? {} : { '#decommissionDate': 'decommissionDate' }),
              },
              ExpressionAttributeValues: {
                ...update.values,
                ...Object.fromEntries(statusValues),
                ':zero': 0,
                ':one': 1,
                ':now': req.now,
                ...(beforeItem ? { ':readVersion': beforeItem.version } : {}),
                ...(req.dueBy === undefined ? {} : { ':dueBy': req.dueBy }),
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          req.tenantCode,
          History.ofTransition(req, result),
          result.after.version,
        );
        return result;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        if (attempt < MAX_ATTEMPTS) continue;
        const status = error.Item?.status as { S?: string } | undefined;
        if (!status?.S) throw new TenantNotFoundError(req.tenantCode);
        throw new TenantConflictError(req.tenantCode, flow.action, status.S as TenantStatus);
      }
    }
  }

  private transitionMutation(req: TransitionRequest): Mutation {
    const flow = FLOWS[req.action];
    const set: Item = {
      status: flow.inProgressStatus,
      flowId: req.flowId,
      action: req.action,
      requestedBy: req.requestedBy,
      updatedAt: req.now,
    };
    // A new flow starts clean: the last run and error belonged to the previous flow.
    const remove = ['lastError', 'runId', 'runStatus', 'claimedBy', 'queuedAt', 'retrying'];
    const { tier, variables, decommissionDate } = req.changes;
    if (req.action === 'create') {
      set.tier = tier ?? DEFAULT_TIER;
      set.variables = variables ?? {};
      remove.push('outputs', 'sensitiveOutputs', 'workspaceId');
    } else {
      if (tier !== undefined) set.tier = tier;
      if (variables !== undefined) set.variables = variables;
    }
    const dateKey = TENANT_TABLE.byDecommissionDate.partitionKey;
    if (typeof decommissionDate === 'string') {
      set.decommissionDate = decommissionDate;
      set[dateKey] = DECOMMISSION_BUCKET;
    } else if (decommissionDate === null || req.action === 'create') {
      remove.push('decommissionDate', dateKey);
    }
    return { set, remove };
  }

  public async undoTransition(result: TransitionResult, now = new Date().toISOString()): Promise<void> {
    const { before, after } = result;
    const history = History.ofUndo(result, now);
    try {
      if (!before) {
        await this.transact(
          {
            Delete: {
              TableName: this.tableName,
              Key: { tenantCode: after.tenantCode },
              ConditionExpression: '#flowId = :flowId',
              ExpressionAttributeNames: { '#flowId': 'flowId' },
              ExpressionAttributeValues: { ':flowId': after.flowId },
            },
          },
          after.tenantCode,
          history,
          after.version + 1,
        );
        return;
      }
      // An UpdateItem, not a PutItem: whoever may make the transition may undo it with the same permission.
      const restored: Item = { ...before, version: after.version + 1 };
      delete restored.tenantCode;
      if (before.decommissionDate && before.status !== 'deleted') {
        restored[TENANT_TABLE.byDecommissionDate.partitionKey] = DECOMMISSION_BUCKET;
      }
      const stale = [...Object.keys(after), ...INTERNAL_ATTRIBUTES].filter(
        (k) => k !== 'tenantCode' && !(k in restored),
      );
      const update = buildUpdate({ set: restored, remove: [...new Set(stale)] });
      await this.transact(
        {
          Update: {
            TableName: this.tableName,
            Key: { tenantCode: after.tenantCode },
            UpdateExpression: update.expression,
            ConditionExpression: '#guardFlowId = :guardFlowId',
            ExpressionAttributeNames: { ...update.names, '#guardFlowId': 'flowId' },
            ExpressionAttributeValues: { ...update.values, ':guardFlowId': after.flowId },
          },
        },
        after.tenantCode,
        history,
        after.version + 1,
      );
    } catch (error) {
      // Another writer already moved the row on: it is no longer ours to restore.
      if (!isConditionFailure(error)) throw error;
    }
  }

  public async claimFlow(
    code: TenantCode,
    flowId: string,
    executionId: string,
  ): Promise<{ claimed: boolean; tenant: Tenant }> {
    // Only a flow still in progress can be claimed: a late event (a redriven dead letter) for a flow the
    // reconciler already failed must not start a run on a tenant shown as failed.
    const inProgress = IN_PROGRESS_STATUSES.map((s, i) => [`:inProgress${i}`, s] as const);
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { tenantCode: code },
          UpdateExpression: 'SET claimedBy = :exec',
          ConditionExpression: `flowId = :flowId AND #status IN (${inProgress.map(([k]) => k).join(', ')}) AND (attribute_not_exists(claimedBy) OR claimedBy = :exec)`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':exec': executionId,
            ':flowId': flowId,
            ...Object.fromEntries(inProgress),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true, tenant: toTenant(out.Attributes ?? {}) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.get(code);
      if (!current || current.flowId !== flowId || !IN_PROGRESS_STATUSES.includes(current.status)) {
        throw new FlowSupersededError(code, flowId);
      }
      return { claimed: false, tenant: current };
    }
  }

  public async recordProgress(
    code: TenantCode,
    flowId: string,
    progress: RunProgress,
    now: string,
  ): Promise<void> {
    const set: Item = { updatedAt: now };
    // Progress means the flow got past whatever it was retrying.
    const remove: string[] = ['retrying'];
    for (const [k, v] of Object.entries(progress)) {
      if (v === null) remove.push(k);
      else if (v !== undefined) set[k] = v;
    }
    await this.guardedUpdate(code, flowId, { set, remove }, false, (b, a) => History.ofRunStarted(b, a));
  }

  public async recordRetry(code: TenantCode, flowId: string, retry: RetryNotice, now: string): Promise<void> {
    // Not history: the flow's end records what became of it; a retry per attempt would crowd the history out.
    await this.guardedUpdate(
      code,
      flowId,
      (before) => {
        const shown = before.retrying as { since?: unknown } | undefined;
        const since = typeof shown?.since === 'string' ? shown.since : now;
        return { set: { retrying: { ...retry, since, at: now }, updatedAt: now }, remove: [] };
      },
      true,
      () => [],
    );
  }

  public async clearRetry(code: TenantCode, flowId: string, now: string): Promise<void> {
    const item = await this.getItem(code);
    if (item?.flowId !== flowId || item.retrying === undefined) return;
    try {
      await this.guardedUpdate(
        code,
        flowId,
        { set: { updatedAt: now }, remove: ['retrying'] },
        false,
        () => [],
      );
    } catch (error) {
      // Another flow owns the row now: its retries are not ours to clear.
      if (!(error instanceof FlowSupersededError)) throw error;
    }
  }

  public async completeFlow(code: TenantCode, flowId: string, c: FlowCompletion): Promise<Tenant> {
    const set: Item = { status: c.status, updatedAt: c.now };
    const remove: string[] = ['queuedAt', 'retrying'];
    if (c.runStatus !== undefined) set.runStatus = c.runStatus;
    if (c.moduleVersion !== undefined) set.moduleVersion = c.moduleVersion;
    if (c.lastError) set.lastError = c.lastError;
    else remove.push('lastError');
    if (c.status === 'deleted') {
      remove.push('outputs', 'sensitiveOutputs', 'workspaceId', TENANT_TABLE.byDecommissionDate.partitionKey);
    } else if (c.outputs !== undefined) {
      set.outputs = c.outputs;
      set.sensitiveOutputs = c.sensitiveOutputs ?? [];
    }
    return this.guardedUpdate(code, flowId, { set, remove }, true, (b, a) => History.ofCompletion(b, a));
  }

  /**
   * A flow's write: read the row, check it still carries `flowId` (and is in progress when the write ends the
   * flow), then write it and its history in one transaction conditioned on the same and on the version read.
   */
  private async guardedUpdate(
    code: TenantCode,
    flowId: string,
    mutation: Mutation | ((before: Item) => Mutation),
    mustBeInProgress: boolean,
    historyOf: (before: Tenant, after: Tenant) => HistoryItem[],
  ): Promise<Tenant> {
    const inProgress = IN_PROGRESS_STATUSES.map((s, i) => [`:inProgress${i}`, s] as const);
    for (let attempt = 1; ; attempt++) {
      const beforeItem = await this.getItem(code);
      const owned =
        beforeItem?.flowId === flowId &&
        (!mustBeInProgress || IN_PROGRESS_STATUSES.includes(beforeItem.status as TenantStatus));
      if (!beforeItem || !owned) throw new FlowSupersededError(code, flowId);
      const m = typeof mutation === 'function' ? mutation(beforeItem) : mutation;
      const update = buildUpdate(m, ['#version = #version + :one']);
      const afterItem = applyMutation(beforeItem, m);
      afterItem.version = (beforeItem.version as number) + 1;
      const [before, after] = [toTenant(beforeItem), toTenant(afterItem)];
      try {
        await this.transact(
          {
            Update: {
              TableName: this.tableName,
              Key: { tenantCode: code },
              UpdateExpression: update.expression,
              ConditionExpression: mustBeInProgress
                ? `#flowId = :flowId AND #currentStatus IN (${inProgress.map(([k]) => k).join(', ')}) AND #version = :readVersion`
                : '#flowId = :flowId AND #version = :readVersion',
              ExpressionAttributeNames: {
                ...update.names,
                '#flowId': 'flowId',
                '#version': 'version',
                ...(mustBeInProgress ? { '#currentStatus': 'status' } : {}),
              },
              ExpressionAttributeValues: {
                ...update.values,
                ':flowId': flowId,
                ':one': 1,
                ':readVersion': beforeItem.version,
                ...(mustBeInProgress ? Object.fromEntries(inProgress) : {}),
              },
            },
          },
          code,
          historyOf(before, after),
          after.version,
        );
        return after;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw new FlowSupersededError(code, flowId);
      }
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

  public async releaseClaim(
    code: TenantCode,
    flowId: string,
    claimedBy: string | undefined,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { tenantCode: code },
          UpdateExpression: 'REMOVE #claimedBy',
          ...this.lostFlowGuard(flowId, claimedBy),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  public async failLostFlow(
    code: TenantCode,
    flowId: string,
    claimedBy: string | undefined,
    lastError: TenantError,
  ): Promise<Tenant | undefined> {
    const guard = this.lostFlowGuard(flowId, claimedBy);
    const m: Mutation = {
      set: { status: FAILURE_STATUS, lastError, updatedAt: lastError.at },
      remove: ['retrying'],
    };
    const update = buildUpdate(m, ['#version = #version + :one']);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const beforeItem = await this.getItem(code);
      const stillLost =
        beforeItem?.flowId === flowId &&
        IN_PROGRESS_STATUSES.includes(beforeItem.status as TenantStatus) &&
        beforeItem.claimedBy === claimedBy;
      if (!beforeItem || !stillLost) return undefined;
      const afterItem = applyMutation(beforeItem, m);
      afterItem.version = (beforeItem.version as number) + 1;
      const [before, after] = [toTenant(beforeItem), toTenant(afterItem)];
      try {
        await this.transact(
          {
            Update: {
              TableName: this.tableName,
              Key: { tenantCode: code },
              UpdateExpression: update.expression,
              ConditionExpression: `${guard.ConditionExpression} AND #version = :readVersion`,
              ExpressionAttributeNames: {
                ...guard.ExpressionAttributeNames,
                ...update.names,
                '#version': 'version',
              },
              ExpressionAttributeValues: {
                ...guard.ExpressionAttributeValues,
                ...update.values,
                ':one': 1,
                ':readVersion': beforeItem.version,
              },
            },
          },
          code,
          History.ofLostFlow(before, after),
          after.version,
        );
        return after;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return undefined;
  }

  /** The row is still in progress under `flowId`, claimed by `claimedBy` (or by no execution). */
  private lostFlowGuard(flowId: string, claimedBy: string | undefined) {
    const inProgress = IN_PROGRESS_STATUSES.map((s, i) => [`:inProgress${i}`, s] as const);
    return {
      ConditionExpression: [
        '#flowId = :flowId',
        `#status IN (${inProgress.map(([k]) => k).join(', ')})`,
        claimedBy === undefined ? 'attribute_not_exists(#claimedBy)' : '#claimedBy = :claimedBy',
      ].join(' AND '),
      ExpressionAttributeNames: { '#flowId': 'flowId', '#status': 'status', '#claimedBy': 'claimedBy' },
      ExpressionAttributeValues: {
        ':flowId': flowId,
        ...Object.fromEntries(inProgress),
        ...(claimedBy === undefined ? {} : { ':claimedBy': claimedBy }),
      } as Item,
    };
  }
}
