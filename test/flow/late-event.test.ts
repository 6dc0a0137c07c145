import { parseTenantCode } from '../../lambdas/core/tenant-code';
import { flowHarness } from '../support/flow-harness';
import { useFlowFixtures } from '../support/flow-fixtures';

const f = useFlowFixtures({ runDurationMs: 60 });

describe('a late request event', () => {
  it('for a flow the reconciler already failed starts no run and leaves the tenant failed', async () => {
    const h = flowHarness(f.tables, f.fake);
    const code = parseTenantCode('late-event');
    await h.requests.create({ tenantCode: code }, 'api:test');
    const event = h.publisher.events.at(-1)!;
    await h.repository.failLostFlow(code, event.detail.flowId, undefined, {
      code: 'FlowLost',
      message: 'no execution picked the flow up',
      at: new Date().toISOString(),
    });
    const runsBefore = f.fake.countBy('POST /api/v2/runs');
    const workspacesBefore = f.fake.countBy('POST /api/v2/organizations/:org/workspaces');

    // A dead letter redriven by hand, after the reconciler gave up on it.
    await h.execute(event.action, event.detail);

    expect(f.fake.countBy('POST /api/v2/runs')).toBe(runsBefore);
    expect(f.fake.countBy('POST /api/v2/organizations/:org/workspaces')).toBe(workspacesBefore);
    expect((await h.repository.get(code))?.status).toBe('failed');
  });
});
