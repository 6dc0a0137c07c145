import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { RolloutConflictError, ValidationError } from '../../core/errors';
import type {
  Page,
  RolloutItemOutcome,
  RolloutNote,
  RolloutStatusChange,
  RolloutStore,
} from '../../core/ports';
import {
  ROLLOUT_ID_PATTERN,
  type Rollout,
  type RolloutItem,
  type RolloutItemState,
  type RolloutStatus,
} from '../../core/rollout';
import type { TenantCode } from '../../core/tenant-code';
import {
  isConditionFailure,
  isTransactionCancelled,
  transactOrCancellation,
  transactUnlessCancelled,
} from './conditions';

type Item = Record<string, unknown>;

const ROLLOUTS = '@rollouts';
const LOCKS = '@locks';
const rolloutKey = (id: string) => ({ pk: ROLLOUTS, sk: id });
const lockKey = (moduleVersion: string) => ({ pk: LOCKS, sk: moduleVersion });
const itemKey = (id: string, code: string) => ({ pk: id, sk: `tenant#${code}` });
const noteKey = (id: string, code: string) => ({ pk: id, sk: `note#${code}` });

/** An item without its keys. */
function withoutKeys(item: Item): Item {
  const copy = { ...item };
  delete copy.pk;
  delete copy.sk;
  return copy;
}

const toRollout = (item: Item) => withoutKeys(item) as unknown as Rollout;
const toItem = (item: Item) => withoutKeys(item) as unknown as RolloutItem;

/** Rollouts in their own table (`ROLLOUT_TABLE`): see its layout there. */
export class DynamoDbRolloutStore implements RolloutStore {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async create(rollout: Rollout, items: readonly RolloutItem[]): Promise<void> {
    await this.refuseIfLocked(rollout.moduleVersion);
    // The tenants first, 100 per transaction: the rollout becomes visible (and startable) only once all
    // of them are written.
    for (let i = 0; i < items.length; i += 100) {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: items.slice(i, i + 100).map((item) => ({
            Put: {
              TableName: this.tableName,
              Item: { ...itemKey(rollout.rolloutId, item.tenantCode), ...item },
            },
          })),
        }),
      );
    }
    const cancelled = await transactOrCancellation(this.client, [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...lockKey(rollout.moduleVersion), rolloutId: rollout.rolloutId },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...rolloutKey(rollout.rolloutId), ...rollout },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    if (cancelled) {
      await this.refuseIfLocked(rollout.moduleVersion);
      throw cancelled;
    }
  }

  private async refuseIfLocked(moduleVersion: string): Promise<void> {
    const lock = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: lockKey(moduleVersion), ConsistentRead: true }),
    );
    const holder = lock.Item?.rolloutId as string | undefined;
    if (!holder) return;
    const other = await this.get(holder);
    throw new RolloutConflictError(
      `rollout '${holder}' of module version ${moduleVersion} is ${other?.status ?? 'active'}; ` +
        'resume or cancel it before starting another of this version',
    );
  }

  public async get(rolloutId: string): Promise<Rollout | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: rolloutKey(rolloutId), ConsistentRead: true }),
    );
    return out.Item ? toRollout(out.Item) : undefined;
  }

  public async list(page: { limit: number; nextToken?: string }): Promise<Page<Rollout>> {
    let start: Item | undefined;
    if (page.nextToken !== undefined) {
      const id = Buffer.from(page.nextToken, 'base64url').toString('utf8');
      if (!ROLLOUT_ID_PATTERN.test(id)) {
        throw new ValidationError('nextToken is not valid for this query', [
          { path: 'nextToken', message: 'is not a token this query returned' },
        ]);
      }
      start = rolloutKey(id);
    }
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': ROLLOUTS },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: start,
      }),
    );
    const last = out.LastEvaluatedKey?.sk as string | undefined;
    return {
      items: (out.Items ?? []).map(toRollout),
      ...(last ? { nextToken: Buffer.from(last).toString('base64url') } : {}),
    };
  }

  public async items(rolloutId: string): Promise<RolloutItem[]> {
    const items: RolloutItem[] = [];
    for await (const item of this.partition(rolloutId, 'tenant#')) items.push(toItem(item));
    return items.sort((a, b) => a.order - b.order);
  }

  /** The items of a rollout's partition whose sort key starts with `prefix`, page by page (consistent reads). */
  private async *partition(rolloutId: string, prefix: string): AsyncGenerator<Item> {
    let start: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': rolloutId, ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      yield* out.Items ?? [];
      start = out.LastEvaluatedKey;
    } while (start);
  }

  public async getItem(rolloutId: string, code: TenantCode): Promise<RolloutItem | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: itemKey(rolloutId, code), ConsistentRead: true }),
    );
    return out.Item ? toItem(out.Item) : undefined;
  }

  public async notes(
    rolloutId: string,
    limit: number,
  ): Promise<{ failures: RolloutNote[]; skipped: RolloutNote[] }> {
    const failures: RolloutNote[] = [];
    const skipped: RolloutNote[] = [];
    for await (const note of this.partition(rolloutId, 'note#')) {
      const list = note.state === 'failed' ? failures : skipped;
      if (list.length < limit) {
        list.push({
          tenantCode: note.tenantCode as string,
          reason: note.reason as string,
          at: note.at as string,
        });
      }
      if (failures.length >= limit && skipped.length >= limit) break;
    }
    return { failures, skipped };
  }

  public async setStatus(
    rolloutId: string,
    from: readonly RolloutStatus[],
    to: RolloutStatus,
    now: string,
    change: RolloutStatusChange = {},
  ): Promise<Rollout | undefined> {
    const values: Item = { ':to': to, ':now': now };
    from.forEach((status, i) => (values[`:from${i}`] = status));
    const sets = ['#status = :to', 'updatedAt = :now'];
    for (const field of ['haltReason', 'startedAt', 'endedAt'] as const) {
      if (change[field] !== undefined) {
        sets.push(`${field} = :${field}`);
        values[`:${field}`] = change[field];
      }
    }
    const expression = {
      Key: rolloutKey(rolloutId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: `#status IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    };
    try {
      if (!change.releaseLock) {
        const out = await this.client.send(
          new UpdateCommand({ TableName: this.tableName, ...expression, ReturnValues: 'ALL_NEW' }),
        );
        return out.Attributes ? toRollout(out.Attributes) : undefined;
      }
      const current = await this.get(rolloutId);
      if (!current) return undefined;
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { TableName: this.tableName, ...expression } },
            {
              Delete: {
                TableName: this.tableName,
                Key: lockKey(current.moduleVersion),
                ConditionExpression: 'attribute_not_exists(pk) OR rolloutId = :id',
                ExpressionAttributeValues: { ':id': rolloutId },
              },
            },
          ],
        }),
      );
      return await this.get(rolloutId);
    } catch (error) {
      if (isConditionFailure(error) || isTransactionCancelled(error)) return undefined;
      throw error;
    }
  }

  public async startItem(
    rolloutId: string,
    code: TenantCode,
    now: string,
  ): Promise<'started' | 'full' | 'gone'> {
    const started = await this.moveItem(rolloutId, code, 'pending', 'inProgress', now, {
      countCondition: {
        expression: '#status = :running AND counts.inProgress < maxConcurrent',
        values: { ':running': 'running' },
      },
    });
    if (started) return 'started';
    const [rollout, item] = await Promise.all([this.get(rolloutId), this.getItem(rolloutId, code)]);
    const full =
      rollout?.status === 'running' &&
      item?.state === 'pending' &&
      rollout.counts.inProgress >= rollout.maxConcurrent;
    return full ? 'full' : 'gone';
  }

  public async setItemFlow(rolloutId: string, code: TenantCode, flowId: string, now: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: itemKey(rolloutId, code),
        UpdateExpression: 'SET flowId = :flowId, updatedAt = :now',
        ConditionExpression: '#state = :inProgress',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':flowId': flowId, ':now': now, ':inProgress': 'inProgress' },
      }),
    );
  }

  public async unstartItem(rolloutId: string, code: TenantCode, now: string): Promise<void> {
    await this.moveItem(rolloutId, code, 'inProgress', 'pending', now, { remove: ['flowId'] });
  }

  public async noteBusy(rolloutId: string, code: TenantCode, now: string): Promise<number> {
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: itemKey(rolloutId, code),
        UpdateExpression: 'SET updatedAt = :now ADD busyAttempts :one',
        ExpressionAttributeValues: { ':one': 1, ':now': now },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return (out.Attributes?.busyAttempts as number | undefined) ?? 1;
  }

  public async finishItem(
    rolloutId: string,
    code: TenantCode,
    from: 'pending' | 'inProgress',
    outcome: RolloutItemOutcome,
    now: string,
  ): Promise<Rollout | undefined> {
    const reason = outcome.reason ?? null;
    const note = { ...noteKey(rolloutId, code), tenantCode: code, state: outcome.state, reason, at: now };
    const finished = await this.moveItem(rolloutId, code, from, outcome.state, now, {
      set: { reason },
      ...(outcome.state === 'succeeded'
        ? {}
        : { also: [{ Put: { TableName: this.tableName, Item: note } }] }),
    });
    return finished ? this.get(rolloutId) : undefined;
  }

  public async requeueFailed(rolloutId: string, now: string): Promise<number> {
    const failed = (await this.items(rolloutId)).filter((item) => item.state === 'failed');
    let requeued = 0;
    for (const item of failed) {
      const moved = await this.moveItem(rolloutId, item.tenantCode, 'failed', 'pending', now, {
        set: { busyAttempts: 0 },
        remove: ['flowId', 'reason'],
        also: [{ Delete: { TableName: this.tableName, Key: noteKey(rolloutId, item.tenantCode) } }],
      });
      if (moved) requeued++;
    }
    return requeued;
  }

  /**
   * One tenant's state change (`from` → `to`, plus `set`/`remove`) and its counts in one transaction, with
   * `also` (a note's Put or Delete). False when the tenant was not in `from` (or `countCondition` failed).
   */
  private async moveItem(
    rolloutId: string,
    code: TenantCode,
    from: RolloutItemState,
    to: RolloutItemState,
    now: string,
    options: {
      set?: Item;
      remove?: string[];
      countCondition?: { expression: string; values: Item };
      also?: NonNullable<TransactWriteCommandInput['TransactItems']>;
    } = {},
  ): Promise<boolean> {
    const set = Object.keys(options.set ?? {});
    const remove = options.remove?.length ? ` REMOVE ${options.remove.join(', ')}` : '';
    return transactUnlessCancelled(this.client, [
      {
        Update: {
          TableName: this.tableName,
          Key: itemKey(rolloutId, code),
          UpdateExpression: `SET ${['#state = :to', 'updatedAt = :now', ...set.map((k) => `${k} = :${k}`)].join(', ')}${remove}`,
          ConditionExpression: '#state = :from',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':from': from,
            ':to': to,
            ':now': now,
            ...Object.fromEntries(set.map((k) => [`:${k}`, options.set?.[k]])),
          },
        },
      },
      this.moveCount(rolloutId, from, to, now, options.countCondition),
      ...(options.also ?? []),
    ]);
  }

  /** Moves one tenant between two counts of the rollout record, in the same transaction as its state. */
  private moveCount(
    id: string,
    from: RolloutItemState,
    to: RolloutItemState,
    now: string,
    condition?: { expression: string; values: Item },
  ) {
    return {
      Update: {
        TableName: this.tableName,
        Key: rolloutKey(id),
        UpdateExpression:
          'SET counts.#from = counts.#from - :one, counts.#to = counts.#to + :one, updatedAt = :now',
        ConditionExpression: condition?.expression ?? 'attribute_exists(pk)',
        ExpressionAttributeNames: {
          '#from': from,
          '#to': to,
          ...(condition?.expression.includes('#status') ? { '#status': 'status' } : {}),
        },
        ExpressionAttributeValues: { ':one': 1, ':now': now, ...condition?.values },
      },
    };
  }
}
