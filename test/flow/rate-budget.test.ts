import { DynamoDbRateWindowStore } from '../../lambdas/adapters/dynamodb/rate-window-store';
import { TfcClient } from '../../lambdas/adapters/tfc/client';
import { staticTokenProvider } from '../../lambdas/adapters/tfc/token';
import {
  MemoryRateWindowStore,
  WindowedRateBudget,
  type RateWindowStore,
} from '../../lambdas/core/rate-budget';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { startTfcFake, type TfcFake } from '../support/tfc-fake/server';

const LIMIT = 30; // requests per second per user (api-docs/index.mdx "Rate limiting")
const WORKERS = 3;
const SCOPE = 'tfc-fake/acme';
const TOKENS = Array.from({ length: WORKERS }, (_, i) => `ci-bot-token-${i}`);

let tables: TestTables;
let fake: TfcFake;
let workspaceId: string;
beforeAll(async () => {
  tables = await createTestTables();
  // Every worker has a token of its own, all of one user: TFC limits the user (index.mdx "Rate limiting").
  fake = await startTfcFake({
    organization: 'acme',
    token: 'tfc-test-token-123',
    tokens: Object.fromEntries(TOKENS.map((t) => [t, 'ci-bot'])),
    rateLimitPerSecond: LIMIT,
  });
  const setup = worker(new MemoryRateWindowStore(), 'tfc-test-token-123');
  workspaceId = (await setup.ensureWorkspace('rate-budget', { tenantCode: 'rate-budget' })).id;
});
afterAll(async () => {
  await fake.close();
  await tables.drop();
});

/** One task worker: its own client, token and connection pool, its own budget object over `store`. */
function worker(store: RateWindowStore, token: string): TfcClient {
  return new TfcClient({
    address: fake.url,
    organization: fake.organization,
    token: staticTokenProvider(token),
    budget: new WindowedRateBudget({ store, scope: SCOPE, limits: { api: LIMIT, 'runs-list': 30 } }),
  });
}

/** Most requests the fake received within any one second. */
function peakPerSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let end = 0, start = 0; end < sorted.length; end += 1) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= 1000) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

async function burst(clients: TfcClient[], perWorker: number): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < perWorker; i += 1) await client.getWorkspace({ id: workspaceId });
    }),
  );
}

describe('one TFC rate budget per user, shared by task workers', () => {
  it(`keeps ${WORKERS} workers with their own clients under the user's ${LIMIT} requests/s together (budget on DynamoDB Local)`, async () => {
    const store = new DynamoDbRateWindowStore(tables.doc, tables.coordinationTable);
    fake.clearRequests();

    await burst(
      TOKENS.map((token) => worker(store, token)),
      25,
    );

    // Each read is two requests: the workspace and its tag bindings.
    const log = fake.requests;
    expect(log).toHaveLength(WORKERS * 25 * 2);
    expect(new Set(log.map((r) => r.user))).toEqual(new Set(['ci-bot']));
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    expect(peakPerSecond(log.map((r) => r.rateAt))).toBeLessThanOrEqual(LIMIT);
  });

  it('is what makes the difference: workers pacing only themselves collect 429s together', async () => {
    fake.clearRequests();

    // A budget per worker, as a per-process pacer was: each keeps to the limit alone.
    await burst(
      TOKENS.map((token) => worker(new MemoryRateWindowStore(), token)),
      20,
    );

    expect(fake.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
  });
});
