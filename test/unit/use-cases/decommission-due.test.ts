import { randomUUID } from 'node:crypto';
import { DynamoDbTenantRepository } from '../../../lambdas/adapters/dynamodb/tenant-repository';
import type { TenantRepository } from '../../../lambdas/core/ports';
import { parseTenantCode, type TenantCode } from '../../../lambdas/core/tenant-code';
import { Decommission } from '../../../lambdas/use-cases/decommission';
import { TenantRequests } from '../../../lambdas/use-cases/tenant-requests';
import { fixedClock, RecordingPublisher, tableSnapshot } from '../../support/api';
import { createTestTables, type TestTables } from '../../support/dynamodb';

const TODAY = '2026-11-23';
const clock = fixedClock(`${TODAY}T03:00:00.000Z`);
const NOW = clock.now().toISOString();

let tables: TestTables;
let repository: DynamoDbTenantRepository;
beforeAll(async () => {
  tables = await createTestTables();
  repository = new DynamoDbTenantRepository(tables.doc, tables.tenantTable, {
    tableName: tables.historyTable,
  });
});
afterAll(() => tables.drop());

let n = 0;
async function readyTenant(decommissionDate: string): Promise<TenantCode> {
  const code = parseTenantCode(`due-${n++}-${randomUUID().slice(0, 8)}`);
  const created = await repository.transition({
    tenantCode: code,
    action: 'create',
    flowId: randomUUID(),
    requestedBy: 'api:test',
    now: NOW,
    changes: { decommissionDate },
  });
  await repository.completeFlow(code, created.after.flowId, { status: 'ready', now: NOW });
  return code;
}

/** The date index as it may still answer just after a write: the rows as they were. */
function staleIndex(snapshot: Awaited<ReturnType<TenantRepository['listDueForDecommission']>>) {
  return {
    listDueForDecommission: () => Promise.resolve(snapshot),
    get: (code: TenantCode) => repository.get(code),
  };
}

describe('Decommission against a stale index', () => {
  it.each([
    ['moved into the future', '2027-06-01'],
    ['cleared', null],
  ])('a tenant whose date was just %s is not deleted', async (_what, newDate) => {
    const code = await readyTenant('2026-11-01');
    const listed = await repository.listDueForDecommission(TODAY);
    const requests = new TenantRequests({ repository, publisher: new RecordingPublisher(), clock });
    const moved = await requests.update(code, { decommissionDate: newDate }, 'api:test');
    await repository.completeFlow(code, moved.flowId, { status: 'ready', now: NOW });
    const before = await tableSnapshot(tables);
    const publisher = new RecordingPublisher();

    const summary = await new Decommission({
      repository: staleIndex(listed),
      requests: new TenantRequests({ repository, publisher, clock }),
      clock,
    }).run();

    expect(summary.started).not.toContain(code);
    expect(summary.skipped).toContainEqual({ tenantCode: code, status: 'ready', reason: 'not-due' });
    expect(publisher.events).toHaveLength(0);
    expect(await tableSnapshot(tables)).toEqual(before);
  });

  it('the transition itself re-checks the date: a move between the read and the write wins', async () => {
    const code = await readyTenant('2026-11-01');
    const requests = new TenantRequests({ repository, publisher: new RecordingPublisher(), clock });
    const racing = {
      listDueForDecommission: (date: string) => repository.listDueForDecommission(date),
      // The row is read as due, then the date moves before the sweep's transition.
      get: async (c: TenantCode) => {
        const row = await repository.get(c);
        if (c === code) {
          const moved = await requests.update(code, { decommissionDate: '2027-06-01' }, 'api:test');
          await repository.completeFlow(code, moved.flowId, { status: 'ready', now: NOW });
        }
        return row;
      },
    };
    const publisher = new RecordingPublisher();

    const summary = await new Decommission({
      repository: racing,
      requests: new TenantRequests({ repository, publisher, clock }),
      clock,
    }).run();

    expect(summary.started).not.toContain(code);
    expect(summary.skipped).toContainEqual({ tenantCode: code, status: 'ready', reason: 'not-due' });
    expect(publisher.events).toHaveLength(0);
    expect((await repository.get(code))?.status).toBe('ready');
  });

  it('a tenant still due is deleted as before', async () => {
    const code = await readyTenant(TODAY);
    const publisher = new RecordingPublisher();
    const summary = await new Decommission({
      repository,
      requests: new TenantRequests({ repository, publisher, clock }),
      clock,
    }).run();
    expect(summary.started).toContain(code);
    expect((await repository.get(code))?.status).toBe('deleting');
  });
});
