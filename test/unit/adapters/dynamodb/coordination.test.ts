import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAdmissionQueue } from '../../../../lambdas/adapters/dynamodb/admission-queue';
import { DynamoDbRateWindowStore } from '../../../../lambdas/adapters/dynamodb/rate-window-store';
import type { AdmissionEntry } from '../../../../lambdas/core/ports';
import { createTestTables, type TestTables } from '../../../support/dynamodb';

const NOW = '2026-12-01T10:00:00.000Z';
const LATER = '2026-12-01T10:01:00.000Z';

let tables: TestTables;
let queue: DynamoDbAdmissionQueue;
beforeEach(async () => {
  tables = await createTestTables();
  queue = new DynamoDbAdmissionQueue(tables.doc, tables.coordinationTable);
});
afterEach(() => tables.drop());

const held = async () => (await queue.head(1)).held;

describe('DynamoDbRateWindowStore (DynamoDB Local)', () => {
  it('counts at most perWindow requests in a window, however many reserve at once', async () => {
    const store = new DynamoDbRateWindowStore(tables.doc, tables.coordinationTable);
    const expiresAt = Date.parse(NOW) + 3600_000;

    const results = await Promise.all(
      Array.from({ length: 25 }, () => store.tryReserve('acme#api#123x3', 42, 3, expiresAt)),
    );

    expect(results.filter(Boolean)).toHaveLength(3);
    expect(await store.tryReserve('acme#api#123x3', 43, 3, expiresAt)).toBe(true);
    const item = await tables.doc.send(
      new GetCommand({ TableName: tables.coordinationTable, Key: { pk: 'rate#acme#api#123x3', sk: '42' } }),
    );
    expect(item.Item).toMatchObject({ count: 3, expiresAt: Math.ceil(expiresAt / 1000) });
  });
});

describe('DynamoDbAdmissionQueue (DynamoDB Local)', () => {
  it('gives each flow one ticket, in arrival order, even when its duplicates enqueue at the same time', async () => {
    const first = await queue.enqueue('flow-a', 'tenant-a', NOW);
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => queue.enqueue('flow-b', 'tenant-b', NOW)),
    );

    expect(first).toMatchObject({ ticket: 1, state: 'waiting', flowId: 'flow-a' });
    expect(new Set(racing.map((e) => e.ticket)).size).toBe(1);
    const { waiting } = await queue.head(10);
    expect(waiting.map((e) => e.flowId)).toEqual(['flow-a', 'flow-b']);
  });

  it('never admits past the cap, however many admissions race', async () => {
    const entries: AdmissionEntry[] = [];
    for (let i = 0; i < 12; i += 1) entries.push(await queue.enqueue(`flow-${i}`, `tenant-${i}`, NOW));

    const results = await Promise.all(entries.map((e) => queue.admit(e, 4, LATER)));

    expect(results.filter((r) => r === 'admitted')).toHaveLength(4);
    expect(await held()).toBe(4);
    expect(await queue.holders()).toHaveLength(4);
    const admittedAgain = await Promise.all(entries.map((e) => queue.admit(e, 100, LATER)));
    // The four that hold a slot are gone from the queue; the others get one now.
    expect(admittedAgain.filter((r) => r === 'gone')).toHaveLength(4);
    expect(await held()).toBe(12);
  });

  it('admits one waiting entry once when two flows admit it at the same time', async () => {
    const entry = await queue.enqueue('flow-a', 'tenant-a', NOW);

    const results = await Promise.all([queue.admit(entry, 5, LATER), queue.admit(entry, 5, LATER)]);

    expect(results.filter((r) => r === 'admitted')).toHaveLength(1);
    expect(await held()).toBe(1);
    expect(await queue.get('flow-a')).toMatchObject({ state: 'admitted', admittedAt: LATER });
  });

  it('releases a slot once, however often it is released', async () => {
    const entry = await queue.enqueue('flow-a', 'tenant-a', NOW);
    await queue.admit(entry, 5, LATER);

    const results = await Promise.all([queue.release('flow-a', LATER), queue.release('flow-a', LATER)]);

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await held()).toBe(0);
    expect(await queue.holders()).toEqual([]);
    expect(await queue.get('flow-a')).toMatchObject({ state: 'released' });
    expect(await queue.release('flow-unknown', LATER)).toBe(false);
  });

  it('releases a waiting flow’s place in the queue without touching the slots', async () => {
    const holder = await queue.enqueue('flow-a', 'tenant-a', NOW);
    await queue.admit(holder, 1, NOW);
    await queue.enqueue('flow-b', 'tenant-b', NOW);

    expect(await queue.release('flow-b', LATER)).toBe(true);

    expect(await held()).toBe(1);
    expect((await queue.head(10)).waiting).toEqual([]);
  });

  it('drops a waiting entry only while its heartbeat is the one seen, and a dropped flow queues again', async () => {
    const seen = await queue.enqueue('flow-a', 'tenant-a', NOW);
    expect(await queue.heartbeat(seen, LATER)).toBe(true);

    expect(await queue.drop(seen)).toBe(false); // it asked again since
    const [current] = (await queue.head(1)).waiting;
    if (!current) throw new Error('expected a waiting entry');
    expect(await queue.drop(current)).toBe(true);
    expect(await queue.get('flow-a')).toMatchObject({ state: 'dropped' });
    expect(await queue.heartbeat(current, LATER)).toBe(false);

    const again = await queue.enqueue('flow-a', 'tenant-a', LATER);
    expect(again).toMatchObject({ state: 'waiting', ticket: 2 });
  });
});
