import type { Tenant } from '../../../../lambdas/core/tenant';
import { parseTenantCode } from '../../../../lambdas/core/tenant-code';
import { createTestTables, type TestTables } from '../../../support/dynamodb';
import {
  apiOver,
  bodyOf,
  CURRENT_MODULE_VERSION,
  event,
  fixedClock,
  tableSnapshot,
} from '../../../support/api';

const clock = fixedClock('2026-11-23T10:00:00.000Z');
const OLD = 'v1+aaaaaaaaaaaa';
let tables: TestTables;
let api: ReturnType<typeof apiOver>;

/** Creates a tenant and ends its flow as `status`, recording `moduleVersion` when it succeeded. */
async function tenant(code: string, status: 'ready' | 'creating', moduleVersion?: string) {
  const created = await api.api.create(event({ body: { tenantCode: code } }));
  expect(created.statusCode).toBe(202);
  if (status === 'creating') return;
  const { flowId } = bodyOf(created) as unknown as Tenant;
  await api.repository.completeFlow(parseTenantCode(code), flowId, {
    status,
    now: clock.now().toISOString(),
    ...(moduleVersion ? { moduleVersion } : {}),
  });
}

beforeAll(async () => {
  tables = await createTestTables();
  api = apiOver(tables, clock);
  await tenant('fleet-cur-1', 'ready', CURRENT_MODULE_VERSION);
  await tenant('fleet-cur-2', 'ready', CURRENT_MODULE_VERSION);
  await tenant('fleet-old-1', 'ready', OLD);
  await tenant('fleet-old-2', 'ready', OLD);
  await tenant('fleet-old-3', 'ready', OLD);
  await tenant('fleet-new', 'creating');
  await tenant('fleet-gone', 'ready', OLD);
  const gone = await api.api.delete(event({ code: 'fleet-gone' }));
  const { flowId } = bodyOf(gone) as unknown as Tenant;
  await api.repository.completeFlow(parseTenantCode('fleet-gone'), flowId, {
    status: 'deleted',
    now: clock.now().toISOString(),
  });
});
afterAll(() => tables.drop());

describe('GET /fleet', () => {
  it('counts tenants per status and per module version; deleted ones only under their status', async () => {
    const before = await tableSnapshot(tables);
    const res = await api.api.fleet(event({}));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual({
      currentModuleVersion: CURRENT_MODULE_VERSION,
      total: 6,
      byStatus: { creating: 1, updating: 0, deleting: 0, ready: 5, failed: 0, deleted: 1 },
      byModuleVersion: { [CURRENT_MODULE_VERSION]: 2, [OLD]: 3, none: 1 },
      behind: 4,
    });
    expect(await tableSnapshot(tables)).toEqual(before);
  });
});

describe('GET /tenants?moduleVersion=', () => {
  const codes = (items: unknown) => (items as { tenantCode: string }[]).map((t) => t.tenantCode).sort();

  it('lists only the tenants on that module version, with and without a status', async () => {
    const all = bodyOf(await api.api.list(event({ query: { moduleVersion: OLD } })));
    // fleet-gone was deleted after applying OLD: its row keeps the version it applied.
    expect(codes(all.items)).toEqual(['fleet-gone', 'fleet-old-1', 'fleet-old-2', 'fleet-old-3']);
    const ready = bodyOf(await api.api.list(event({ query: { moduleVersion: OLD, status: 'ready' } })));
    expect(codes(ready.items)).toEqual(['fleet-old-1', 'fleet-old-2', 'fleet-old-3']);
    const none = bodyOf(await api.api.list(event({ query: { moduleVersion: '000000000000' } })));
    expect(none.items).toEqual([]);
  });

  it('pages through the filtered list with its tokens, and refuses a token of another status', async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const query: Record<string, string> = { moduleVersion: OLD, status: 'ready', limit: '1' };
      if (nextToken) query.nextToken = nextToken;
      const page = bodyOf(await api.api.list(event({ query })));
      seen.push(...codes(page.items));
      nextToken = page.nextToken as string | undefined;
      pages += 1;
    } while (nextToken && pages < 20);
    expect(seen.sort()).toEqual(['fleet-old-1', 'fleet-old-2', 'fleet-old-3']);

    const first = bodyOf(await api.api.list(event({ query: { status: 'ready', limit: '1' } })));
    const foreign = await api.api.list(
      event({ query: { moduleVersion: OLD, status: 'failed', nextToken: first.nextToken as string } }),
    );
    expect(foreign.statusCode).toBe(400);
    expect(JSON.stringify(bodyOf(foreign))).toContain('nextToken');
  });
});
