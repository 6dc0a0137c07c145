import { parseTenantCode } from '../../lambdas/core/tenant-code';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { flowHarness } from '../support/flow-harness';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from '../support/tfc-fake/server';

let tables: TestTables;
let fake: TfcFake;

beforeAll(async () => {
  tables = await createTestTables();
  fake = await startTfcFake({
    organization: 'acme',
    token: 'tfc-test-token-123',
    ...FAST_TIMINGS,
    // Trigger still lists runs on every call: the runs list is not limited per minute here.
    runsListRateLimitPerMinute: Infinity,
    runDurationMs: 60,
  });
});
afterAll(async () => {
  await fake.close();
  await tables.drop();
});

describe('a late request event', () => {
  it('for a flow the reconciler already failed starts no run and leaves the tenant failed', async () => {
    const h = flowHarness(tables, fake);
    const code = parseTenantCode('late-event');
    await h.requests.create({ tenantCode: code }, 'api:test');
    const event = h.publisher.events.at(-1)!;
    await h.repository.failLostFlow(code, event.detail.flowId, undefined, {
      code: 'FlowLost',
      message: 'no execution picked the flow up',
      at: new Date().toISOString(),
    });
    const runsBefore = fake.countBy('POST /api/v2/runs');
    const workspacesBefore = fake.countBy('POST /api/v2/organizations/:org/workspaces');

    // A dead letter redriven by hand, after the reconciler gave up on it.
    await h.execute(event.action, event.detail);

    expect(fake.countBy('POST /api/v2/runs')).toBe(runsBefore);
    expect(fake.countBy('POST /api/v2/organizations/:org/workspaces')).toBe(workspacesBefore);
    expect((await h.repository.get(code))?.status).toBe('failed');
  });
});
