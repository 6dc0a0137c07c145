import { metrics } from '../../../../lambdas/shared/observability';
import { publishTenantCounts } from '../../../../lambdas/handlers/ops/wiring';
import { NOW, repositoryFixture } from '../../../support/repository';

const { fixture, freshCode, start } = repositoryFixture('cnt');

describe('tenants by status', () => {
  it('counts the rows of each status through the status index, page by page', async () => {
    const before = await fixture.repo.countByStatus('ready', 1);
    const codes = [freshCode(), freshCode(), freshCode()];
    for (const code of codes) {
      const { after } = await start(code, 'create');
      await fixture.repo.completeFlow(code, after.flowId, { status: 'ready', now: NOW });
    }

    expect(await fixture.repo.countByStatus('ready', 1)).toBe(before + 3);
  });

  it('publishes one Tenants gauge per status, dimensioned by status', async () => {
    const added: Array<[string, number]> = [];
    const single = {
      addDimension: jest.fn().mockReturnThis(),
      addMetric: jest.fn((name: string, _unit: unknown, value: number) => {
        added.push([name, value]);
      }),
    };
    const spy = jest.spyOn(metrics, 'singleMetric').mockReturnValue(single as never);
    try {
      const counts = await publishTenantCounts(fixture.repo);

      expect(Object.keys(counts).sort()).toEqual(
        ['creating', 'deleted', 'deleting', 'failed', 'ready', 'updating'].sort(),
      );
      expect(single.addDimension.mock.calls.map(([k, v]) => `${String(k)}=${String(v)}`).sort()).toEqual(
        Object.keys(counts)
          .map((s) => `status=${s}`)
          .sort(),
      );
      expect(added.every(([name]) => name === 'Tenants')).toBe(true);
      expect(added.map(([, v]) => v)).toEqual(Object.values(counts));
    } finally {
      spy.mockRestore();
    }
  });
});
