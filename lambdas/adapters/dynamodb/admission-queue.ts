import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { AdmissionEntry, AdmissionQueue } from '../../core/ports';
import { transactOrCancellation, transactUnlessCancelled, updateUnlessRefused } from './conditions';

/** Partition of every admission item in the coordination table. */
const PK = 'admission';
const SLOTS = 'slots';
const flowKey = (flowId: string) => ({ pk: PK, sk: `flow#${flowId}` });
const slotKey = (flowId: string) => ({ pk: PK, sk: `slot#${flowId}` });
/** Zero-padded, so the sort key orders the queue by ticket. */
const queueKey = (ticket: number) => ({ pk: PK, sk: `queue#${String(ticket).padStart(15, '0')}` });

/** How long a finished flow's entry is kept: a late duplicate of it then passes without taking a slot. */
const KEEP_FINISHED_SECONDS = 2 * 86_400;

const EntryItem = z.object({
  flowId: z.string(),
  tenantCode: z.string(),
  ticket: z.number().int(),
  state: z.enum(['waiting', 'admitted', 'released', 'dropped']),
  enqueuedAt: z.string(),
  lastSeenAt: z.string(),
  admittedAt: z.string().optional(),
});
const QueueItem = EntryItem.omit({ state: true, admittedAt: true });
const SlotsItem = z.object({ held: z.number().int().optional(), nextTicket: z.number().int().optional() });

function toEntry(item: Record<string, unknown>): AdmissionEntry {
  const { admittedAt, ...entry } = EntryItem.parse(item);
  return admittedAt === undefined ? entry : { ...entry, admittedAt };
}

const expiresAt = (now: string) => Math.floor(Date.parse(now) / 1000) + KEEP_FINISHED_SECONDS;

/**
 * The admission queue in the coordination table, all in one partition (`pk = admission`):
 * - `slots`: `held` (slots taken) and `nextTicket` (the queue's ticket counter);
 * - `flow#<flowId>`: the flow's ticket and state, so every retry and duplicate finds it;
 * - `queue#<ticket>`: one per waiting flow, ordered by ticket, with its heartbeat;
 * - `slot#<flowId>`: one per slot holder, so the reconciler lists holders without reading the queue.
 * Admitting and releasing are transactions over the counter and the flow's items, each write conditional:
 * the counter never passes the cap and a flow never holds two slots, whoever races.
 */
export class DynamoDbAdmissionQueue implements AdmissionQueue {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async get(flowId: string): Promise<AdmissionEntry | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: flowKey(flowId), ConsistentRead: true }),
    );
    return out.Item ? toEntry(out.Item) : undefined;
  }

  public async enqueue(flowId: string, tenantCode: string, now: string): Promise<AdmissionEntry> {
    const counter = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: PK, sk: SLOTS },
        UpdateExpression: 'ADD nextTicket :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const ticket = SlotsItem.parse(counter.Attributes ?? {}).nextTicket ?? 1;
    const entry: AdmissionEntry = {
      flowId,
      tenantCode,
      ticket,
      state: 'waiting',
      enqueuedAt: now,
      lastSeenAt: now,
    };
    const cancelled = await transactOrCancellation(this.client, [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...flowKey(flowId), ...entry },
          // A dropped flow that comes back queues again, at the back.
          ConditionExpression: 'attribute_not_exists(pk) OR #state = :dropped',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':dropped': 'dropped' },
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...queueKey(ticket), flowId, tenantCode, ticket, enqueuedAt: now, lastSeenAt: now },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    if (!cancelled) return entry;
    // A duplicate of this flow queued first: its ticket is ours (this ticket number stays unused).
    const existing = await this.get(flowId);
    if (!existing) throw cancelled;
    return existing;
  }

  public async heartbeat(entry: AdmissionEntry, now: string): Promise<boolean> {
    return updateUnlessRefused(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: queueKey(entry.ticket),
        UpdateExpression: 'SET lastSeenAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND flowId = :flowId',
        ExpressionAttributeValues: { ':now': now, ':flowId': entry.flowId },
      }),
    );
  }

  public async head(limit: number): Promise<{ held: number; waiting: AdmissionEntry[] }> {
    const [slots, queue] = await Promise.all([
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: PK, sk: SLOTS }, ConsistentRead: true }),
      ),
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': PK, ':prefix': 'queue#' },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
    ]);
    const held = SlotsItem.parse(slots.Item ?? {}).held ?? 0;
    const waiting = (queue.Items ?? []).map((item) => ({
      ...QueueItem.parse(item),
      state: 'waiting' as const,
    }));
    return { held, waiting };
  }

  public async admit(entry: AdmissionEntry, cap: number, now: string): Promise<'admitted' | 'full' | 'gone'> {
    const cancelled = await transactOrCancellation(this.client, [
      {
        Update: {
          TableName: this.tableName,
          Key: { pk: PK, sk: SLOTS },
          UpdateExpression: 'SET held = if_not_exists(held, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(held) OR held < :cap',
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':cap': cap },
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: flowKey(entry.flowId),
          UpdateExpression: 'SET #state = :admitted, admittedAt = :now',
          ConditionExpression: '#state = :waiting AND ticket = :ticket',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':admitted': 'admitted',
            ':waiting': 'waiting',
            ':now': now,
            ':ticket': entry.ticket,
          },
        },
      },
      {
        Delete: {
          TableName: this.tableName,
          Key: queueKey(entry.ticket),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...slotKey(entry.flowId),
            flowId: entry.flowId,
            tenantCode: entry.tenantCode,
            ticket: entry.ticket,
            admittedAt: now,
          },
        },
      },
    ]);
    if (!cancelled) return 'admitted';
    const reasons = (cancelled.CancellationReasons ?? []).map((r) => r.Code);
    // The entry changed hands: someone else admitted, released or dropped it.
    if (reasons[1] === 'ConditionalCheckFailed' || reasons[2] === 'ConditionalCheckFailed') return 'gone';
    // The cap is reached, or another admission raced this one: stop here, the next ask tries again.
    return 'full';
  }

  public async drop(entry: AdmissionEntry): Promise<boolean> {
    return transactUnlessCancelled(this.client, [
      {
        Delete: {
          TableName: this.tableName,
          Key: queueKey(entry.ticket),
          ConditionExpression: 'lastSeenAt = :seen AND flowId = :flowId',
          ExpressionAttributeValues: { ':seen': entry.lastSeenAt, ':flowId': entry.flowId },
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: flowKey(entry.flowId),
          UpdateExpression: 'SET #state = :dropped, expiresAt = :expiresAt',
          ConditionExpression: '#state = :waiting AND ticket = :ticket',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':dropped': 'dropped',
            ':waiting': 'waiting',
            ':ticket': entry.ticket,
            ':expiresAt': expiresAt(entry.lastSeenAt),
          },
        },
      },
    ]);
  }

  public async release(flowId: string, now: string): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      const entry = await this.get(flowId);
      if (!entry || entry.state === 'released' || entry.state === 'dropped') return false;
      const finished = {
        Update: {
          TableName: this.tableName,
          Key: flowKey(flowId),
          UpdateExpression: 'SET #state = :released, releasedAt = :now, expiresAt = :expiresAt',
          ConditionExpression: '#state = :was AND ticket = :ticket',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':released': 'released',
            ':was': entry.state,
            ':ticket': entry.ticket,
            ':now': now,
            ':expiresAt': expiresAt(now),
          },
        },
      };
      const others =
        entry.state === 'admitted'
          ? [
              {
                Update: {
                  TableName: this.tableName,
                  Key: { pk: PK, sk: SLOTS },
                  UpdateExpression: 'SET held = held - :one',
                  ConditionExpression: 'held > :zero',
                  ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
                },
              },
              { Delete: { TableName: this.tableName, Key: slotKey(flowId) } },
            ]
          : [{ Delete: { TableName: this.tableName, Key: queueKey(entry.ticket) } }];
      const cancelled = await transactOrCancellation(this.client, [finished, ...others]);
      if (!cancelled) return true;
      // The entry moved on meanwhile (admitted while we released it as waiting): read it again.
      if (attempt >= 5) throw cancelled;
    }
  }

  public async holders(): Promise<AdmissionEntry[]> {
    const holders: AdmissionEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': PK, ':prefix': 'slot#' },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const entry = await this.get(String(item.flowId));
        if (entry?.state === 'admitted') holders.push(entry);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return holders;
  }
}
