import { randomUUID } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DECOMMISSION_BUCKET, TENANT_TABLE } from '../../../lambdas/adapters/dynamodb/table-schema';
import { DynamoDbTenantRepository } from '../../../lambdas/adapters/dynamodb/tenant-repository';
import type { TenantStatus } from '../../../lambdas/core/lifecycle';
import type { Clock } from '../../../lambdas/core/ports';
import { parseTenantCode, type TenantCode } from '../../../lambdas/core/tenant-code';
import { Decommission } from '../../../lambdas/use-cases/decommission';
import { TenantRequests } from '../../../lambdas/use-cases/tenant-requests';
import { fixedClock, RecordingPublisher, tableSnapshot } from '../../support/api';
import { createTestTables, type TestTables } from '../../support/dynamodb';

const TODAY = '2026-11-23';
const clock = fixedClock(`${TODAY}T03:00:00.000Z`);
const NOW = clock.now().toISOString();
const PAST = '2026-11-01';
const FUTURE = '2027-03-01';

let tables: TestTables;
let repository: DynamoDbTenantRepository;
beforeEach(async () => {
  tables = await createTestTables();
  repository = new DynamoDbTenantRepository(tables.doc, tables.tenantTable, {
    tableName: tables.historyTable,
  });
});
afterEach(() => tables.drop());

let n = 0;
const freshCode = (): TenantCode => parseTenantCode(`dc-${n++}-${randomUUID().slice(0, 8)}`);

function sweepOver(options: { clock?: Clock; pageSize?: number } = {}) {
  const publisher = new RecordingPublisher();
  const at = options.clock ?? clock;
  const sweep = new Decommission({
    repository,
    requests: new TenantRequests({ repository, publisher, clock: at }),
    clock: at,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  return { sweep, publisher };
}

/** A tenant in `status`, reached through the repository's own transitions and flow writes. */
async function tenantIn(status: TenantStatus, decommissionDate?: string): Promise<TenantCode> {
  const code = freshCode();
  const transition = (action: 'create' | 'update' | 'delete') =>
    repository.transition({
      tenantCode: code,
      action,
      flowId: randomUUID(),
      requestedBy: 'api:test',
      now: NOW,
      changes: action === 'create' && decommissionDate ? { decommissionDate } : {},
    });
  const created = await transition('create');
  if (status === 'creating') return code;
  await repository.completeFlow(code, created.after.flowId, {
    status: status === 'failed' ? 'failed' : 'ready',
    now: NOW,
  });
  if (status === 'updating') await transition('update');
  if (status === 'deleting' || status === 'deleted') {
    const deleting = await transition('delete');
    if (status === 'deleted') {
      await repository.completeFlow(code, deleting.after.flowId, { status: 'deleted', now: NOW });
    }
  }
  return code;
}

/** Rows as the repository writes them, put in bulk: 25 per BatchWriteItem, a few batches at a time. */
async function bulkPut(items: Array<Record<string, unknown>>): Promise<void> {
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  const writeBatch = async (batch: Array<Record<string, unknown>>) => {
    let requests = batch.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length) {
      const out = await tables.doc.send(
        new BatchWriteCommand({ RequestItems: { [tables.tenantTable]: requests } }),
      );
      requests = (out.UnprocessedItems?.[tables.tenantTable] ?? []) as typeof requests;
    }
  };
  const workers = Array.from({ length: 8 }, async (_, w) => {
    for (let b = w; b < batches.length; b += 8) await writeBatch(batches[b] ?? []);
  });
  await Promise.all(workers);
}

function rawRow(tenantCode: string, status: TenantStatus, decommissionDate?: string) {
  return {
    tenantCode,
    status,
    flowId: randomUUID(),
    version: 2,
    action: status === 'deleted' ? 'delete' : 'create',
    tier: 'small',
    variables: {},
    requestedBy: 'api:seed',
    createdAt: NOW,
    updatedAt: NOW,
    ...(decommissionDate ? { decommissionDate } : {}),
    // The sparse index holds only dated rows that are not deleted, as the repository keeps it.
    ...(decommissionDate && status !== 'deleted'
      ? { [TENANT_TABLE.byDecommissionDate.partitionKey]: DECOMMISSION_BUCKET }
      : {}),
  };
}

describe('Decommission', () => {
  it('reads only the due tenants of a table of thousands and deletes each as system', async () => {
    const notDue = Array.from({ length: 2994 }, (_, i) => {
      const code = `bulk-${String(i).padStart(4, '0')}`;
      if (i % 3 === 0) return rawRow(code, 'ready', i % 2 ? FUTURE : '2026-11-24');
      if (i % 3 === 1) return rawRow(code, 'ready');
      return rawRow(code, 'deleted', PAST);
    });
    const due = [rawRow('due-ready', 'ready', PAST), rawRow('due-today', 'ready', TODAY)];
    const dueFailed = [rawRow('due-failed', 'failed', '2025-01-01')];
    await bulkPut([...notDue, ...due, ...dueFailed]);
    const inProgress = [await tenantIn('updating', PAST), await tenantIn('creating', PAST)];
    const { sweep, publisher } = sweepOver();

    const summary = await sweep.run();

    const started = ['due-failed', 'due-ready', 'due-today'];
    expect(summary).toEqual({
      date: TODAY,
      dryRun: false,
      found: 5,
      started: expect.arrayContaining(started) as string[],
      wouldStart: [],
      skipped: expect.arrayContaining([
        { tenantCode: inProgress[0], status: 'updating', reason: 'in-progress' },
        { tenantCode: inProgress[1], status: 'creating', reason: 'in-progress' },
      ]) as unknown[],
      failed: [],
      itemsRead: 5,
    });
    expect(summary.started).toHaveLength(3);
    expect(summary.skipped).toHaveLength(2);
    expect(publisher.events.map((e) => [e.action, e.detail.tenantCode, e.detail.requestedBy]).sort()).toEqual(
      started.map((code) => ['delete', code, 'system']),
    );
    for (const code of started) {
      const row = await repository.get(parseTenantCode(code));
      expect(row).toMatchObject({ status: 'deleting', action: 'delete', requestedBy: 'system' });
      expect(publisher.events.find((e) => e.detail.tenantCode === code)?.detail.flowId).toBe(row?.flowId);
    }
  });

  it('skips tenants mid-flow without writing and picks them up on a later day', async () => {
    const creating = await tenantIn('creating', PAST);
    const updating = await tenantIn('updating', PAST);
    const deleting = await tenantIn('deleting', PAST);
    const before = await tableSnapshot(tables);
    const { sweep, publisher } = sweepOver();

    const summary = await sweep.run();

    expect(summary.started).toEqual([]);
    expect(summary.skipped).toEqual(
      expect.arrayContaining([
        { tenantCode: creating, status: 'creating', reason: 'in-progress' },
        { tenantCode: updating, status: 'updating', reason: 'in-progress' },
        { tenantCode: deleting, status: 'deleting', reason: 'in-progress' },
      ]),
    );
    expect(publisher.events).toEqual([]);
    expect(await tableSnapshot(tables)).toEqual(before);

    const row = await repository.get(updating);
    await repository.completeFlow(updating, row?.flowId ?? '', { status: 'ready', now: NOW });
    const nextDay = sweepOver({ clock: fixedClock('2026-11-24T03:00:00.000Z') });
    expect((await nextDay.sweep.run()).started).toEqual([updating]);
  });

  it('starts nothing new when run again the same day', async () => {
    const code = await tenantIn('ready', PAST);
    const { sweep, publisher } = sweepOver();
    await sweep.run();
    const afterFirst = await tableSnapshot(tables);

    const second = await sweep.run();

    expect(second.started).toEqual([]);
    expect(second.skipped).toEqual([{ tenantCode: code, status: 'deleting', reason: 'in-progress' }]);
    expect(publisher.events).toHaveLength(1);
    expect(await tableSnapshot(tables)).toEqual(afterFirst);

    const row = await repository.get(code);
    await repository.completeFlow(code, row?.flowId ?? '', { status: 'deleted', now: NOW });
    expect(await sweep.run()).toMatchObject({ found: 0, started: [], skipped: [], itemsRead: 0 });
  });

  it('leaves alone a tenant whose date an update moved into the future', async () => {
    const code = await tenantIn('ready', PAST);
    const update = await repository.transition({
      tenantCode: code,
      action: 'update',
      flowId: randomUUID(),
      requestedBy: 'api:test',
      now: NOW,
      changes: { decommissionDate: FUTURE },
    });
    await repository.completeFlow(code, update.after.flowId, { status: 'ready', now: NOW });
    const before = await repository.get(code);
    const { sweep, publisher } = sweepOver();

    const summary = await sweep.run();

    expect(summary).toMatchObject({ found: 0, started: [], itemsRead: 0 });
    expect(publisher.events).toEqual([]);
    expect(await repository.get(code)).toEqual(before);
  });

  it('ignores deleted tenants and tenants without a date', async () => {
    await tenantIn('deleted', PAST);
    await tenantIn('ready');
    const { sweep } = sweepOver();

    expect(await sweep.run()).toMatchObject({ found: 0, started: [], skipped: [], itemsRead: 0 });
  });

  it('pages through every due tenant', async () => {
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(await tenantIn(i % 2 ? 'failed' : 'ready', `2026-11-0${i + 1}`));
    const query = jest.spyOn(repository, 'listDueForDecommission');
    const { sweep } = sweepOver({ pageSize: 2 });

    const summary = await sweep.run();

    expect(summary).toMatchObject({ found: 5, itemsRead: 5 });
    expect([...summary.started].sort()).toEqual([...codes].sort());
    expect(query.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(query.mock.calls.every(([date, , limit]) => date === TODAY && limit === 2)).toBe(true);
  });

  it('writes and publishes nothing on a dry run, reporting what it would start', async () => {
    const ready = await tenantIn('ready', PAST);
    const failed = await tenantIn('failed', PAST);
    const creating = await tenantIn('creating', PAST);
    const before = await tableSnapshot(tables);
    const { sweep, publisher } = sweepOver();

    const summary = await sweep.run({ dryRun: true });

    expect(summary).toMatchObject({ dryRun: true, found: 3, started: [], failed: [] });
    expect([...summary.wouldStart].sort()).toEqual([ready, failed].sort());
    expect(summary.skipped).toEqual([{ tenantCode: creating, status: 'creating', reason: 'in-progress' }]);
    expect(publisher.events).toEqual([]);
    expect(await tableSnapshot(tables)).toEqual(before);
  });

  it('skips a tenant an API request took between the query and the transition', async () => {
    const code = await tenantIn('ready', PAST);
    // The sweep reads the row itself (consistently) after the index; the request lands right after that.
    const read = repository.get.bind(repository);
    jest.spyOn(repository, 'get').mockImplementationOnce(async (...args) => {
      const row = await read(...args);
      await repository.transition({
        tenantCode: code,
        action: 'update',
        flowId: randomUUID(),
        requestedBy: 'api:racer',
        now: NOW,
        changes: {},
      });
      return row;
    });
    const { sweep, publisher } = sweepOver();

    const summary = await sweep.run();

    expect(summary.skipped).toEqual([{ tenantCode: code, status: 'updating', reason: 'conflict' }]);
    expect(summary.started).toEqual([]);
    expect(publisher.events).toEqual([]);
    expect((await repository.get(code))?.requestedBy).toBe('api:racer');
  });

  it('reports a tenant whose delete could not be published and carries on with the others', async () => {
    const first = await tenantIn('ready', '2026-11-01');
    const second = await tenantIn('ready', '2026-11-02');
    const { sweep, publisher } = sweepOver();
    publisher.failNext = 1;

    const summary = await sweep.run();

    expect(summary.failed).toEqual([
      { tenantCode: first, error: expect.stringContaining('retry') as string },
    ]);
    expect(summary.started).toEqual([second]);
    expect((await repository.get(first))?.status).toBe('ready');
  });
});
