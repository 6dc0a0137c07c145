import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { DECOMMISSION_BUCKET, TENANT_TABLE } from '../../lambdas/adapters/dynamodb/table-schema';
import { DynamoDbTenantRepository } from '../../lambdas/adapters/dynamodb/tenant-repository';
import { isoDate, systemClock } from '../../lambdas/core/ports';
import { Decommission } from '../../lambdas/use-cases/decommission';
import { TenantRequests } from '../../lambdas/use-cases/tenant-requests';
import { RecordingPublisher } from '../support/api';
import { createTestTables, type TestTables } from '../support/dynamodb';
import type { Figure, SectionResult } from './report';
import type { Scope } from './scope';
import { mapLimit, round, timed } from './stats';

export interface DecommissionOptions {
  /** Table sizes, ascending; the same table is grown from one to the next. */
  sizes: number[];
  /** Tenants past their date in every size. */
  due: number;
  /** BatchWrite calls in flight while loading. */
  loadConcurrency: number;
}

type Item = Record<string, unknown>;

const DAY_MS = 86_400_000;
const BATCH = 25; // BatchWriteItem's limit

function dateFromToday(days: number): string {
  return new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * A row as the repository leaves it after a create flow (tenant-repository.ts): `decommissionBucket` only
 * on rows with a decommission date that are not deleted, which keeps the date index sparse.
 */
function tenantRow(code: string, status: 'ready' | 'failed' | 'deleted', decommissionDate?: string): Item {
  const at = new Date(Date.now() - 30 * DAY_MS).toISOString();
  const row: Item = {
    tenantCode: code,
    status,
    flowId: `00000000-0000-4000-8000-${code
      .replace(/[^a-z0-9]/g, '')
      .slice(-12)
      .padStart(12, '0')}`,
    version: 4,
    action: status === 'deleted' ? 'delete' : 'create',
    tier: 'small',
    variables: { owner: 'bench', cost_center: 'cc-1234' },
    requestedBy: 'api:arn:aws:iam::123456789012:role/tenant-onboarding',
    claimedBy: `arn:aws:states:us-east-1:123456789012:execution:tenant-create:${code}`,
    createdAt: at,
    updatedAt: at,
  };
  if (status !== 'deleted') {
    Object.assign(row, {
      workspaceId: 'ws-AbCdEfGhIjKlMnOp',
      runId: 'run-AbCdEfGhIjKlMnOp',
      runStatus: status === 'ready' ? 'applied' : 'errored',
      outputs: {
        bucket_name: `tenant-prod-${code}-data`,
        queue_url: `https://sqs.us-east-1.amazonaws.com/123456789012/${code}`,
      },
      sensitiveOutputs: ['api_key'],
    });
  }
  if (status === 'failed') {
    row.lastError = { code: 'RunFailed', message: 'Terraform run run-AbCdEfGhIjKlMnOp ended errored', at };
  }
  if (decommissionDate) {
    row.decommissionDate = decommissionDate;
    if (status !== 'deleted') row[TENANT_TABLE.byDecommissionDate.partitionKey] = DECOMMISSION_BUCKET;
  }
  return row;
}

/** Filler row `i`: half without a date, half dated 1-730 days ahead; 90% ready, 5% failed, 5% deleted. */
function fillerRow(i: number): Item {
  const status = i % 20 === 0 ? 'failed' : i % 20 === 1 ? 'deleted' : 'ready';
  const date = i % 2 === 0 ? undefined : dateFromToday(1 + (i % 730));
  return tenantRow(`tenant-${String(i).padStart(6, '0')}`, status, date);
}

function dueRow(i: number): Item {
  return tenantRow(
    `due-${String(i).padStart(3, '0')}`,
    i % 2 === 0 ? 'ready' : 'failed',
    dateFromToday(-1 - i),
  );
}

async function batchWrite(tables: TestTables, items: Item[], concurrency: number): Promise<void> {
  const batches: Item[][] = [];
  for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
  await mapLimit(batches, concurrency, async (batch) => {
    let request: BatchWriteCommandInput['RequestItems'] = {
      [tables.tenantTable]: batch.map((Item) => ({ PutRequest: { Item } })),
    };
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt += 1) {
      if (attempt > 10) throw new Error('BatchWrite kept returning unprocessed items');
      const out: BatchWriteCommandOutput = await tables.doc.send(
        new BatchWriteCommand({ RequestItems: request }),
      );
      request = out.UnprocessedItems;
    }
  });
}

interface SweepRow {
  size: number;
  loadSeconds: number;
  loadRate: number;
  found: number;
  itemsRead: number;
  started: number;
  dryRunMs: number;
  sweepMs: number;
}

/**
 * Figure 5: the decommission sweep (the `Decommission` use case over the DynamoDB repository's sparse
 * date index) against tables of growing size, of which only a few tenants are due.
 */
export async function decommissionSweep(options: DecommissionOptions, scope: Scope): Promise<SectionResult> {
  const tables = await createTestTables();
  scope.defer('decommission tables', tables, () => tables.drop());
  const repository = new DynamoDbTenantRepository(tables.doc, tables.tenantTable, {
    tableName: tables.historyTable,
  });
  const sweep = new Decommission({
    repository,
    requests: new TenantRequests({ repository, publisher: new RecordingPublisher(), clock: systemClock }),
    clock: systemClock,
  });
  const rows: SweepRow[] = [];
  const problems: string[] = [];
  let fillers = 0;
  for (const size of [...options.sizes].sort((a, b) => a - b)) {
    const target = size - options.due;
    const items = Array.from({ length: Math.max(0, target - fillers) }, (_, k) => fillerRow(fillers + k));
    // The due tenants are rewritten as ready/failed each time: the previous sweep moved them to deleting.
    items.push(...Array.from({ length: options.due }, (_, i) => dueRow(i)));
    const load = await timed(() => batchWrite(tables, items, options.loadConcurrency));
    fillers = Math.max(fillers, target);
    const dry = await timed(() => sweep.run({ dryRun: true }));
    const real = await timed(() => sweep.run());
    rows.push({
      size,
      loadSeconds: load.ms / 1000,
      loadRate: items.length / (load.ms / 1000),
      found: real.result.found,
      itemsRead: real.result.itemsRead,
      started: real.result.started.length,
      dryRunMs: dry.ms,
      sweepMs: real.ms,
    });
    if (real.result.started.length !== options.due || real.result.failed.length > 0) {
      problems.push(
        `size ${size}: started ${real.result.started.length} of ${options.due} due tenants, failed ${real.result.failed.length}`,
      );
    }
  }
  const method = (r: SweepRow) =>
    `Decommission.run() (lambdas/use-cases/decommission.ts) over DynamoDbTenantRepository.listDueForDecommission (Query on the sparse byDecommissionDate index, date <= ${isoDate(systemClock)}) against DynamoDB Local (in-memory) holding ${r.size.toLocaleString('en-US')} tenant rows of which ${options.due} are due (half the others carry no date, half a future date; 90% ready, 5% failed, 5% deleted), bulk-loaded with BatchWriteItem (${options.loadConcurrency} in flight); itemsRead is the summary's count (the queries' ScannedCount); time is one real sweep (conditional transition to deleting and a recorded delete event per due tenant) after one dry run`;
  const figures: Figure[] = rows.map((r) => ({
    name: `decommissionSweep.${r.size}`,
    values: {
      tenants: r.size,
      due: options.due,
      itemsRead: r.itemsRead,
      found: r.found,
      started: r.started,
      sweepMs: round(r.sweepMs, 1),
      dryRunMs: round(r.dryRunMs, 1),
      loadItemsPerSecond: round(r.loadRate, 0),
    },
    unit: 'items / ms',
    method: method(r),
  }));
  return {
    title: `5. Decommission sweep (${options.due} due per table size)`,
    figures,
    tables: [
      {
        columns: [
          'tenants',
          'due',
          'items read',
          'started',
          'sweep ms',
          'dry run ms',
          'load s',
          'load items/s',
        ],
        rows: rows.map((r) => [
          r.size,
          options.due,
          r.itemsRead,
          r.started,
          round(r.sweepMs, 1),
          round(r.dryRunMs, 1),
          round(r.loadSeconds, 1),
          round(r.loadRate, 0),
        ]),
      },
    ],
    problems,
    notes: [
      'the table is grown from one size to the next: each load adds the difference and rewrites the due rows',
    ],
  };
}
